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
	n := simdPrefix(h)
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

// cellKernelWidths lists the widths of the cell kernels this CPU can run
// (for tests).
func cellKernelWidths() []int {
	var w []int
	if hasAVX2() {
		w = append(w, 8)
	}
	if hasAVX512() {
		w = append(w, 16)
	}
	return w
}

//go:noescape
func egruCellBackward1AVX512(dy, dnext, dcell, chat, theta, o, dchat, dth *float32, n int, c *egruConsts)

//go:noescape
func egruCellBackward2AVX512(gates, dp, dr, cprev, zr, dcell *float32, h, n int, c *egruConsts)

//go:noescape
func egruCellBackward1AVX2(dy, dnext, dcell, chat, theta, o, dchat, dth *float32, n int, c *egruConsts)

//go:noescape
func egruCellBackward2AVX2(gates, dp, dr, cprev, zr, dcell *float32, h, n int, c *egruConsts)

// egruCellBackwardSIMD runs the two kernel passes on the largest multiple
// of the vector width and returns how many elements they did.
func egruCellBackwardSIMD(gates, dp, dr, dy, dnext, dcell, chat, o, cprev, zr, theta, dth []float32, h int, c *egruConsts) int {
	n := simdPrefix(h)
	if n == 0 {
		return 0
	}
	if cellSIMD == 16 {
		egruCellBackward1AVX512(&dy[0], &dnext[0], &dcell[0], &chat[0], &theta[0], &o[0], &dp[0], &dth[0], n, c)
		egruCellBackward2AVX512(&gates[0], &dp[0], &dr[0], &cprev[0], &zr[0], &dcell[0], h, n, c)
	} else {
		egruCellBackward1AVX2(&dy[0], &dnext[0], &dcell[0], &chat[0], &theta[0], &o[0], &dp[0], &dth[0], n, c)
		egruCellBackward2AVX2(&gates[0], &dp[0], &dr[0], &cprev[0], &zr[0], &dcell[0], h, n, c)
	}
	return n
}

//go:noescape
func egruCellForward1AVX512(rcz, brz, r, zr, z *float32, n int)

//go:noescape
func egruCellForward2AVX512(gates, cprev, theta, chat, o, y, c *float32, h, n int)

//go:noescape
func egruCellForward1AVX2(rcz, brz, r, zr, z *float32, n int)

//go:noescape
func egruCellForward2AVX2(gates, cprev, theta, chat, o, y, c *float32, h, n int)

func egruCellForward1SIMD(rcz, brz, r, zr, z []float32) int {
	n := simdPrefix(len(brz))
	if n == 0 {
		return 0
	}
	if cellSIMD == 16 {
		egruCellForward1AVX512(&rcz[0], &brz[0], &r[0], &zr[0], &z[0], n)
	} else {
		egruCellForward1AVX2(&rcz[0], &brz[0], &r[0], &zr[0], &z[0], n)
	}
	return n
}

func egruCellForward2SIMD(gates, cprev, theta, chat, o, y, c []float32, h int) int {
	n := simdPrefix(h)
	if n == 0 {
		return 0
	}
	if cellSIMD == 16 {
		egruCellForward2AVX512(&gates[0], &cprev[0], &theta[0], &chat[0], &o[0], &y[0], &c[0], h, n)
	} else {
		egruCellForward2AVX2(&gates[0], &cprev[0], &theta[0], &chat[0], &o[0], &y[0], &c[0], h, n)
	}
	return n
}
