package tensor

import "unsafe"

// genericKernel is the portable 4×4 micro-kernel: 16 scalar accumulators,
// one broadcast of op(A) and one row of op(B) per k step.
var genericKernel = &kernelInfo{name: "generic", mr: 4, nr: 4, mc: 128, kc: 256, nc: 1024, kern: kernGeneric, vec: &genericVec}

func kernGeneric(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	as := unsafe.Slice(a, 4*k)
	bs := unsafe.Slice(b, (k-1)*ldb+4)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		ap := (*[4]float32)(as[4*p:])
		bp := (*[4]float32)(bs[p*ldb:])
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		// No explicit float32() rounding here: where the compiler fuses
		// these into FMAs (e.g. arm64) it does so identically for every
		// tile, so results stay deterministic.
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	acc := [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for i := range 4 {
		row := cs[i*ldc : i*ldc+4 : i*ldc+4]
		if beta == 0 {
			for j := range 4 {
				row[j] = alpha * acc[i][j]
			}
		} else {
			for j := range 4 {
				row[j] = float32(alpha*acc[i][j]) + float32(beta*row[j])
			}
		}
	}
}

func dotGeneric(x, y []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// axpy8Generic is axpyGeneric of w[0], …, w[7] in turn, with y read and
// written once per element: each y[j] receives the eight products in the
// same order and with the same expressions (hence the same rounding).
func axpy8Generic(a [8]float32, w [8][]float32, y []float32) {
	n := len(y)
	for r := range w {
		w[r] = w[r][:n]
	}
	for j := range y {
		s := y[j]
		s += a[0] * w[0][j]
		s += a[1] * w[1][j]
		s += a[2] * w[2][j]
		s += a[3] * w[3][j]
		s += a[4] * w[4][j]
		s += a[5] * w[5][j]
		s += a[6] * w[6][j]
		s += a[7] * w[7][j]
		y[j] = s
	}
}

func scaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}
