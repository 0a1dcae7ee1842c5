//go:build (amd64 || arm64) && !purego

package tensor

// makeVec wraps assembly vector kernels that handle the first n rounded
// down to a whole number of width-float vectors (AVX-512 16, AVX2 8, NEON
// 4) into a vecKernels whose Go tails finish the rest with the generic
// kernels' expressions.
func makeVec(width int, dot func(x, y *float32, n int) float32, axpy func(alpha float32, x, y *float32, n int),
	scale func(alpha float32, x *float32, n int), axpy8 func(a *[8]float32, w *[8]*float32, y *float32, n int)) vecKernels {
	return vecKernels{
		axpy8: func(a [8]float32, w [8][]float32, y []float32) {
			n := len(y)
			body := n &^ (width - 1)
			var p [8]*float32
			for r := range w {
				w[r] = w[r][:n]
				if body > 0 {
					p[r] = &w[r][0]
				}
			}
			if body > 0 {
				axpy8(&a, &p, &y[0], body)
			}
			if body < n {
				for r := range w {
					w[r] = w[r][body:]
				}
				axpy8Generic(a, w, y[body:])
			}
		},
		dot: func(x, y []float32) float32 {
			n := len(x)
			if n < width {
				return dotGeneric(x, y)
			}
			y = y[:n]
			s := dot(&x[0], &y[0], n)
			for i := n &^ (width - 1); i < n; i++ {
				s += x[i] * y[i]
			}
			return s
		},
		axpy: func(alpha float32, x, y []float32) {
			n := len(x)
			y = y[:n]
			if n >= width {
				axpy(alpha, &x[0], &y[0], n)
			}
			for i := n &^ (width - 1); i < n; i++ {
				y[i] += alpha * x[i]
			}
		},
		scale: func(alpha float32, x []float32) {
			n := len(x)
			if n >= width {
				scale(alpha, &x[0], n)
			}
			for i := n &^ (width - 1); i < n; i++ {
				x[i] *= alpha
			}
		},
	}
}
