//go:build amd64 && !purego

package tensor

//go:noescape
func lstmCellBackwardAVX512(gates, dg, dout, dnext, dcell, tc, cprev *float32, h, n int)

//go:noescape
func lstmCellBackwardAVX2(gates, dg, dout, dnext, dcell, tc, cprev *float32, h, n int)

// cellSIMD selects the cell kernels: 16 (AVX-512), 8 (AVX2) or 0 (Go only);
// tests may change it.
var cellSIMD = func() int {
	switch {
	case hasAVX512():
		return 16
	case hasAVX2():
		return 8
	}
	return 0
}()

// lstmCellBackwardSIMD runs the kernel on the largest multiple of the
// vector width and returns how many elements it did.
func lstmCellBackwardSIMD(g, dg, dout, dnext, dcell, tc, cprev []float32, h int) int {
	n := 0
	if cellSIMD > 0 {
		n = h &^ (cellSIMD - 1)
	}
	if n == 0 {
		return 0
	}
	if cellSIMD == 16 {
		lstmCellBackwardAVX512(&g[0], &dg[0], &dout[0], &dnext[0], &dcell[0], &tc[0], &cprev[0], h, n)
	} else {
		lstmCellBackwardAVX2(&g[0], &dg[0], &dout[0], &dnext[0], &dcell[0], &tc[0], &cprev[0], h, n)
	}
	return n
}

func hasAVX512Cell() bool { return hasAVX512() }
func hasAVX2Cell() bool   { return hasAVX2() }
