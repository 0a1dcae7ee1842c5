package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sparseCase is one BlockRows test matrix: W [k×n] with each weight zero
// with probability sparsity, every emptyEvery-th row all zero, and inputs x
// zero with probability 1-activity.
type sparseCase struct {
	k, n       int
	sparsity   float64
	activity   float64
	emptyEvery int
}

func (c sparseCase) String() string {
	return fmt.Sprintf("%dx%d_s%.2f_a%.2f_e%d", c.k, c.n, c.sparsity, c.activity, c.emptyEvery)
}

// sparseCases are awkward shapes (n not a multiple of 8 or 16, k = 1, empty
// rows, all-zero inputs and weights) and the small preset's shapes.
func sparseCases() []sparseCase {
	cs := []sparseCase{
		{1, 1, 0, 1, 0}, {1, 7, 0, 1, 0}, {1, 8, 0, 1, 0}, {1, 9, 0.5, 1, 0}, {3, 17, 0.5, 1, 0},
		{5, 100, 0.9, 0.5, 2}, {40, 33, 0.75, 0.3, 3}, {64, 129, 0.98, 1, 0}, {7, 16, 1, 1, 0},
		{9, 24, 0, 0, 0}, {0, 8, 0, 1, 0}, {4, 0, 0, 1, 0}, {50, 1000, 0.95, 0.2, 5},
	}
	for _, n := range []int{768, 1024} {
		for _, s := range []float64{0, 0.5, 0.9, 0.98} {
			cs = append(cs, sparseCase{256, n, s, 0.2, 0})
		}
	}
	return cs
}

func (c sparseCase) operands(r *rand.Rand) (w, x []float32) {
	w = randSlice(r, c.k*c.n)
	for i := 0; i < c.k; i++ {
		for j := 0; j < c.n; j++ {
			if r.Float64() < c.sparsity || c.emptyEvery > 0 && i%c.emptyEvery == 0 {
				w[i*c.n+j] = 0
			}
		}
	}
	x = randSlice(r, c.k)
	for i := range x {
		if r.Float64() >= c.activity {
			x[i] = 0
		}
	}
	return w, x
}

// withBlockRows runs f with BlockRows.MulAdd forced to use kernel k.
func withBlockRows(k func(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32), f func()) {
	old := blockRows
	blockRows = k
	defer func() { blockRows = old }()
	f()
}

// sumBound returns γ·(|y0| + Σ_i |x_i·W[i,j]|) for column j, where γ =
// (k+1)·2⁻²⁴·1.01 bounds the relative error of a recursive float32 sum of
// k+1 terms with products rounded or fused (Higham, Accuracy and Stability
// of Numerical Algorithms, 2nd ed., §3.1, γ_n = nu/(1-nu)).
func sumBound(k int, y0 float32, terms func(i int) float64) float64 {
	s := math.Abs(float64(y0))
	for i := 0; i < k; i++ {
		s += math.Abs(terms(i))
	}
	return float64(k+1) * 0x1p-24 * 1.01 * s
}

func TestBlockRowsKernels(t *testing.T) {
	for _, kern := range blockRowsAvailable() {
		for _, c := range sparseCases() {
			r := rand.New(rand.NewPCG(uint64(c.k), uint64(c.n)))
			w, x := c.operands(r)
			s := NewBlockRows(false, c.k, c.n, w)
			y0 := randSlice(r, c.n)
			y := append([]float32(nil), y0...)
			withBlockRows(kern.kern, func() { s.MulAdd(x, y) })
			for j := 0; j < c.n; j++ {
				want := float64(y0[j])
				for i := 0; i < c.k; i++ {
					want += float64(x[i]) * float64(w[i*c.n+j])
				}
				bound := sumBound(c.k, y0[j], func(i int) float64 { return float64(x[i]) * float64(w[i*c.n+j]) })
				if d := math.Abs(float64(y[j]) - want); d > bound {
					t.Fatalf("%s %v: y[%d] = %v, float64 reference %v, |diff| %g > bound %g", kern.name, c, j, y[j], want, d, bound)
				}
			}
			// The generic kernel performs exactly MulAddNaive's roundings.
			if kern.name == "generic" {
				ref := append([]float32(nil), y0...)
				MulAddNaive(c.k, c.n, w, x, ref)
				for j := range ref {
					if math.Float32bits(ref[j]) != math.Float32bits(y[j]) {
						t.Fatalf("generic %v: y[%d] = %v, MulAddNaive %v: want the same bits", c, j, y[j], ref[j])
					}
				}
			}
			// Counts, recomputed from the dense matrix.
			macs, lanes := 0, 0
			for i := 0; i < c.k; i++ {
				if x[i] == 0 {
					continue
				}
				for j := 0; j < c.n; j++ {
					if w[i*c.n+j] != 0 {
						macs++
					}
				}
				for b := 0; b+8 <= c.n; b += 8 {
					for j := b; j < b+8; j++ {
						if w[i*c.n+j] != 0 {
							lanes += 8
							break
						}
					}
				}
				lanes += c.n % 8
			}
			if got := s.MACs(x); got != macs {
				t.Errorf("%v: MACs = %d, want %d (non-zero weights of active rows)", c, got, macs)
			}
			if got := s.Lanes(x); got != lanes {
				t.Errorf("%v: Lanes = %d, want %d", c, got, lanes)
			}
		}
	}
}

// TestBlockRowsMatchesDense checks the claim of the sparse format notes: with
// the same vector width, MulAdd gives the bits of VecMat (and of Gemm at
// batch 1, y zeroed) on the pruned dense matrix.
func TestBlockRowsMatchesDense(t *testing.T) {
	pairs := []struct {
		ki   *kernelInfo
		kern func(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32)
	}{{genericKernel, blockRowsGeneric}}
	for _, k := range blockRowsAvailable() {
		if k.name == "avx2" {
			for _, ki := range kernelsAvailable() {
				if ki.name == "avx2" {
					pairs = append(pairs, struct {
						ki   *kernelInfo
						kern func(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32)
					}{ki, k.kern})
				}
			}
		}
	}
	for _, p := range pairs {
		for _, c := range sparseCases() {
			r := rand.New(rand.NewPCG(7, uint64(c.n)))
			w, x := c.operands(r)
			s := NewBlockRows(false, c.k, c.n, w)
			y0 := randSlice(r, c.n)
			got, dense, gemm := append([]float32(nil), y0...), append([]float32(nil), y0...), make([]float32, c.n)
			zero := make([]float32, c.n)
			withKernel(p.ki, func() {
				withBlockRows(p.kern, func() {
					s.MulAdd(x, got)
					s.MulAdd(x, zero)
				})
				VecMat(1, c.k, c.n, x, w, dense)
				Gemm(false, false, 1, c.n, c.k, 1, x, c.k, w, max(c.n, 1), 0, gemm, max(c.n, 1))
			})
			for j := range got {
				if math.Float32bits(got[j]) != math.Float32bits(dense[j]) || math.Float32bits(zero[j]) != math.Float32bits(gemm[j]) {
					t.Fatalf("%s %v: column %d: MulAdd %v, VecMat %v; from zero MulAdd %v, Gemm %v: want the same bits",
						p.ki.name, c, j, got[j], dense[j], zero[j], gemm[j])
				}
			}
		}
	}
}

func TestBlockRowsTransposed(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	c := sparseCase{37, 91, 0.8, 1, 4}
	w, _ := c.operands(r)
	wt := make([]float32, len(w)) // Wᵀ [n×k]
	for i := 0; i < c.k; i++ {
		for j := 0; j < c.n; j++ {
			wt[j*c.k+i] = w[i*c.n+j]
		}
	}
	a, b := NewBlockRows(false, c.k, c.n, w), NewBlockRows(true, c.k, c.n, wt)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("NewBlockRows(true, Wᵀ) differs from NewBlockRows(false, W)")
	}
	if a.NNZ() == 0 || a.Bytes() == 0 {
		t.Fatalf("NNZ %d, Bytes %d", a.NNZ(), a.Bytes())
	}
}

// TestBlockRowsInputs checks which inputs are events: ±0 is not, NaN is.
func TestBlockRowsInputs(t *testing.T) {
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	s := NewBlockRows(false, 2, 9, w)
	for _, kern := range blockRowsAvailable() {
		y := make([]float32, 9)
		withBlockRows(kern.kern, func() { s.MulAdd([]float32{float32(math.Copysign(0, -1)), 2}, y) })
		for j, v := range y {
			if v != 2 {
				t.Errorf("%s: -0 input: y[%d] = %v, want 2", kern.name, j, v)
			}
		}
		withBlockRows(kern.kern, func() { s.MulAdd([]float32{float32(math.NaN()), 0}, y) })
		for j, v := range y {
			if !math.IsNaN(float64(v)) {
				t.Errorf("%s: NaN input: y[%d] = %v, want NaN", kern.name, j, v)
			}
		}
	}
	if got := s.MACs([]float32{0, 1}); got != 9 {
		t.Errorf("MACs = %d, want 9", got)
	}
}

func TestBlockRowsPanics(t *testing.T) {
	s := NewBlockRows(false, 2, 3, make([]float32, 6))
	mustPanic(t, "short x", func() { s.MulAdd(make([]float32, 1), make([]float32, 3)) })
	mustPanic(t, "long y", func() { s.MulAdd(make([]float32, 2), make([]float32, 4)) })
	mustPanic(t, "MACs", func() { s.MACs(make([]float32, 3)) })
	mustPanic(t, "short w", func() { NewBlockRows(false, 2, 3, make([]float32, 5)) })
	mustPanic(t, "negative", func() { NewBlockRows(false, -1, 3, nil) })
	mustPanic(t, "too wide", func() { NewBlockRows(false, 0, maxBlockCols+1, nil) })
}

func TestBlockRowsNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []sparseCase{{256, 1024, 0.9, 0.2, 0}, {10, 13, 0.5, 1, 0}} {
		w, x := c.operands(r)
		s := NewBlockRows(false, c.k, c.n, w)
		y := make([]float32, c.n)
		for _, kern := range blockRowsAvailable() {
			withBlockRows(kern.kern, func() {
				if n := testing.AllocsPerRun(10, func() { s.MulAdd(x, y) }); n != 0 {
					t.Errorf("%s %v: %v allocations per MulAdd, want 0", kern.name, c, n)
				}
			})
		}
	}
}

// TestCSRRows checks the benchmarked alternative: unfused, in the same
// order, so the bits of MulAddNaive.
func TestCSRRows(t *testing.T) {
	for _, c := range sparseCases() {
		r := rand.New(rand.NewPCG(9, uint64(c.k)))
		w, x := c.operands(r)
		y0 := randSlice(r, c.n)
		got, want := append([]float32(nil), y0...), append([]float32(nil), y0...)
		newCSRRows(c.k, c.n, w).mulAdd(x, got)
		MulAddNaive(c.k, c.n, w, x, want)
		for j := range got {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%v: y[%d] = %v, MulAddNaive %v", c, j, got[j], want[j])
			}
		}
	}
}
