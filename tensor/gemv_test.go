package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// batchShapes are awkward (k = 1, n not a multiple of 8 or 16, n across the
// 512- and 1024-column chunks) and preset shapes, for m = 1..8.
var batchShapes = [][2]int{{1, 1}, {1, 17}, {3, 7}, {5, 9}, {33, 100}, {64, 1030}, {20, 2049}, {256, 768}}

func TestVecMatMatVec(t *testing.T) {
	for _, ki := range kernelsAvailable() {
		for m := 0; m <= 8; m++ {
			for _, kn := range batchShapes {
				k, n := kn[0], kn[1]
				r := rand.New(rand.NewPCG(uint64(m), uint64(k*n)))
				x, w, y0 := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
				y, yt := append([]float32(nil), y0...), append([]float32(nil), y0...)
				wt := make([]float32, k*n) // Wᵀ [n×k] for MatVec
				for p := 0; p < k; p++ {
					for j := 0; j < n; j++ {
						wt[j*k+p] = w[p*n+j]
					}
				}
				withKernel(ki, func() {
					VecMat(m, k, n, x, w, y)
					MatVec(m, k, n, x, wt, yt)
				})
				for b := 0; b < m; b++ {
					for j := 0; j < n; j++ {
						want := float64(y0[b*n+j])
						for p := 0; p < k; p++ {
							want += float64(x[b*k+p]) * float64(w[p*n+j])
						}
						bound := sumBound(k, y0[b*n+j], func(p int) float64 { return float64(x[b*k+p]) * float64(w[p*n+j]) })
						if d := math.Abs(float64(y[b*n+j]) - want); d > bound {
							t.Fatalf("%s VecMat m=%d k=%d n=%d: y[%d,%d] = %v, float64 %v, |diff| %g > %g", ki.name, m, k, n, b, j, y[b*n+j], want, d, bound)
						}
						// MatVec rounds the dot, then adds y0: one more rounding.
						if d := math.Abs(float64(yt[b*n+j]) - want); d > 2*bound {
							t.Fatalf("%s MatVec m=%d k=%d n=%d: y[%d,%d] = %v, float64 %v, |diff| %g > %g", ki.name, m, k, n, b, j, yt[b*n+j], want, d, 2*bound)
						}
					}
				}
				// The generic kernels do VecMatNaive's roundings exactly
				// (where the compiler fuses plain Go, its fused ones).
				if ki.name == "generic" {
					ref := append([]float32(nil), y0...)
					if compilerFuses() {
						vecMatPlain(m, k, n, x, w, ref)
					} else {
						VecMatNaive(m, k, n, x, w, ref)
					}
					assertSameBits(t, "VecMat generic vs VecMatNaive", y, ref)
				}
				// From zero, m < 4: Gemm's matrix-vector path, bit for bit.
				if m < smallM {
					a, b := make([]float32, m*n), make([]float32, m*n)
					g, gt := make([]float32, m*n), make([]float32, m*n)
					withKernel(ki, func() {
						VecMat(m, k, n, x, w, a)
						MatVec(m, k, n, x, wt, b)
						Gemm(false, false, m, n, k, 1, x, k, w, n, 0, g, n)
						Gemm(false, true, m, n, k, 1, x, k, wt, k, 0, gt, n)
					})
					assertSameBits(t, ki.name+" VecMat vs Gemm", a, g)
					assertSameBits(t, ki.name+" MatVec vs Gemm NT", b, gt)
				}
			}
		}
	}
}

func assertSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, want %v (same bits)", what, i, got[i], want[i])
		}
	}
}

func TestVecMatNaiveMatVecNaive(t *testing.T) {
	// Against float64 with the same bound as above, for the references themselves.
	r := rand.New(rand.NewPCG(2, 3))
	m, k, n := 3, 41, 29
	x, w := randSlice(r, m*k), randSlice(r, k*n)
	y, yt := make([]float32, m*n), make([]float32, m*n)
	wt := make([]float32, k*n)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			wt[j*k+p] = w[p*n+j]
		}
	}
	VecMatNaive(m, k, n, x, w, y)
	MatVecNaive(m, k, n, x, wt, yt)
	for b := 0; b < m; b++ {
		for j := 0; j < n; j++ {
			var want float64
			for p := 0; p < k; p++ {
				want += float64(x[b*k+p]) * float64(w[p*n+j])
			}
			bound := sumBound(k, 0, func(p int) float64 { return float64(x[b*k+p]) * float64(w[p*n+j]) })
			if math.Abs(float64(y[b*n+j])-want) > bound || math.Abs(float64(yt[b*n+j])-want) > bound {
				t.Fatalf("[%d,%d]: naive %v, %v, float64 %v", b, j, y[b*n+j], yt[b*n+j], want)
			}
		}
	}
}

func TestVecMatPanics(t *testing.T) {
	mustPanic(t, "negative", func() { VecMat(-1, 1, 1, nil, nil, nil) })
	mustPanic(t, "short x", func() { VecMat(2, 3, 4, make([]float32, 5), make([]float32, 12), make([]float32, 8)) })
	mustPanic(t, "short w", func() { MatVec(2, 3, 4, make([]float32, 6), make([]float32, 11), make([]float32, 8)) })
	mustPanic(t, "short y", func() { MatVec(2, 3, 4, make([]float32, 6), make([]float32, 12), make([]float32, 7)) })
}

func TestVecMatNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	m, k, n := 8, 64, 1100
	x, w, y := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	if a := testing.AllocsPerRun(5, func() { VecMat(m, k, n, x, w, y); MatVec(m, k, n, x, w, y) }); a != 0 {
		t.Errorf("%v allocations per VecMat+MatVec, want 0", a)
	}
}
