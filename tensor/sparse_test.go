package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sparseCase is one SparseRows test matrix: W [k×n] with each weight zero
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

// withSparse runs f with SparseRows.MulAdd forced to use the kernel set k.
func withSparse(k sparseKernels, f func()) {
	old := sparseKern
	sparseKern = k
	defer func() { sparseKern = old }()
	f()
}

// kernelNamed returns the Gemm kernel of the given instruction set.
func kernelNamed(t *testing.T, name string) *kernelInfo {
	for _, ki := range kernelsAvailable() {
		if ki.name == name {
			return ki
		}
	}
	t.Fatalf("no Gemm kernel %q on this machine", name)
	return nil
}

// sparseFormats are the storage formats every test runs in.
var sparseFormats = []Format{FormatCSR, FormatBlocks, FormatDense}

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

func TestSparseRowsKernels(t *testing.T) {
	for _, kern := range sparseAvailable() {
		for _, f := range sparseFormats {
			for _, c := range sparseCases() {
				testSparseKernel(t, kern, f, c)
			}
		}
	}
}

func testSparseKernel(t *testing.T, kern sparseKernels, f Format, c sparseCase) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(c.k), uint64(c.n)))
	w, x := c.operands(r)
	s := NewSparseRows(false, c.k, c.n, w, f)
	if s.Format() != f {
		t.Fatalf("%v: format %v, asked for %v", c, s.Format(), f)
	}
	y0 := randSlice(r, c.n)
	y := append([]float32(nil), y0...)
	// The dense format adds rows with the vector kernels of Gemm's
	// instruction set: the one of the same name as kern.
	ev := Events(x, nil)
	yev := append([]float32(nil), y0...)
	withKernel(kernelNamed(t, kern.name), func() {
		withSparse(kern, func() {
			s.MulAdd(x, y)
			s.MulAddEvents(x, ev, yev)
		})
	})
	for j := range y {
		if math.Float32bits(y[j]) != math.Float32bits(yev[j]) {
			t.Fatalf("%s %v %v: y[%d]: MulAddEvents %v, MulAdd %v: want the same bits", kern.name, f, c, j, yev[j], y[j])
		}
	}
	if got, want := s.MACsEvents(ev), s.MACs(x); got != want {
		t.Errorf("%v %v: MACsEvents = %d, MACs = %d", f, c, got, want)
	}
	for j := 0; j < c.n; j++ {
		want := float64(y0[j])
		for i := 0; i < c.k; i++ {
			want += float64(x[i]) * float64(w[i*c.n+j])
		}
		bound := sumBound(c.k, y0[j], func(i int) float64 { return float64(x[i]) * float64(w[i*c.n+j]) })
		if d := math.Abs(float64(y[j]) - want); d > bound {
			t.Fatalf("%s %v %v: y[%d] = %v, float64 reference %v, |diff| %g > bound %g", kern.name, f, c, j, y[j], want, d, bound)
		}
	}
	// The generic kernel performs exactly MulAddNaive's roundings (where
	// the compiler fuses plain Go, the same fused ones as a plain loop over
	// the non-zero weights).
	if kern.name == "generic" {
		ref := append([]float32(nil), y0...)
		if compilerFuses() {
			mulAddRowsPlain(c.k, c.n, w, x, ref)
		} else {
			MulAddNaive(c.k, c.n, w, x, ref)
		}
		for j := range ref {
			if math.Float32bits(ref[j]) != math.Float32bits(y[j]) {
				t.Fatalf("generic %v %v: y[%d] = %v, MulAddNaive %v: want the same bits", f, c, j, y[j], ref[j])
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
		switch f {
		case FormatDense:
			lanes += c.n
			continue
		case FormatCSR:
			for j := 0; j < c.n&^7; j++ {
				if w[i*c.n+j] != 0 {
					lanes++
				}
			}
		case FormatBlocks:
			for b := 0; b+8 <= c.n; b += 8 {
				for j := b; j < b+8; j++ {
					if w[i*c.n+j] != 0 {
						lanes += 8
						break
					}
				}
			}
		}
		lanes += c.n % 8
	}
	if got := s.MACs(x); got != macs {
		t.Errorf("%v %v: MACs = %d, want %d (non-zero weights of active rows)", f, c, got, macs)
	}
	if got := s.Lanes(x); got != lanes {
		t.Errorf("%v %v: Lanes = %d, want %d", f, c, got, lanes)
	}
}

// TestSparseRowsMatchesDense checks the claim of the sparse format notes:
// with the same vector width, or with every product fused (NEON), MulAdd
// in every format gives the bits of VecMat (and of Gemm at batch 1, y
// zeroed) on the pruned dense matrix.
func TestSparseRowsMatchesDense(t *testing.T) {
	type pair struct {
		ki   *kernelInfo
		kern sparseKernels
	}
	pairs := []pair{{genericKernel, genericSparse}}
	for _, k := range sparseAvailable() {
		for _, ki := range kernelsAvailable() {
			if k.name != "generic" && k.name == ki.name { // avx2, neon
				pairs = append(pairs, pair{ki, k})
			}
		}
	}
	for _, p := range pairs {
		for _, f := range sparseFormats {
			for _, c := range sparseCases() {
				r := rand.New(rand.NewPCG(7, uint64(c.n)))
				w, x := c.operands(r)
				s := NewSparseRows(false, c.k, c.n, w, f)
				y0 := randSlice(r, c.n)
				got, dense, gemm := append([]float32(nil), y0...), append([]float32(nil), y0...), make([]float32, c.n)
				zero := make([]float32, c.n)
				withKernel(p.ki, func() {
					withSparse(p.kern, func() {
						s.MulAdd(x, got)
						s.MulAdd(x, zero)
					})
					VecMat(1, c.k, c.n, x, w, dense)
					Gemm(false, false, 1, c.n, c.k, 1, x, c.k, w, max(c.n, 1), 0, gemm, max(c.n, 1))
				})
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(dense[j]) || math.Float32bits(zero[j]) != math.Float32bits(gemm[j]) {
						t.Fatalf("%s %v %v: column %d: MulAdd %v, VecMat %v; from zero MulAdd %v, Gemm %v: want the same bits",
							p.ki.name, f, c, j, got[j], dense[j], zero[j], gemm[j])
					}
				}
			}
		}
	}
}

func TestSparseRowsTransposed(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	c := sparseCase{37, 91, 0.8, 1, 4}
	w, _ := c.operands(r)
	wt := make([]float32, len(w)) // Wᵀ [n×k]
	for i := 0; i < c.k; i++ {
		for j := 0; j < c.n; j++ {
			wt[j*c.k+i] = w[i*c.n+j]
		}
	}
	for _, f := range sparseFormats {
		a, b := NewSparseRows(false, c.k, c.n, w, f), NewSparseRows(true, c.k, c.n, wt, f)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%v: NewSparseRows(true, Wᵀ) differs from NewSparseRows(false, W)", f)
		}
		if a.NNZ() == 0 || a.Bytes() == 0 {
			t.Fatalf("%v: NNZ %d, Bytes %d", f, a.NNZ(), a.Bytes())
		}
	}
}

// TestSparseRowsInputs checks which inputs are events: ±0 is not, NaN is.
func TestSparseRowsInputs(t *testing.T) {
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	for _, f := range sparseFormats {
		s := NewSparseRows(false, 2, 9, w, f)
		for _, kern := range sparseAvailable() {
			y := make([]float32, 9)
			withSparse(kern, func() { s.MulAdd([]float32{float32(math.Copysign(0, -1)), 2}, y) })
			for j, v := range y {
				if v != 2 {
					t.Errorf("%s %v: -0 input: y[%d] = %v, want 2", kern.name, f, j, v)
				}
			}
			withSparse(kern, func() { s.MulAdd([]float32{float32(math.NaN()), 0}, y) })
			for j, v := range y {
				if !math.IsNaN(float64(v)) {
					t.Errorf("%s %v: NaN input: y[%d] = %v, want NaN", kern.name, f, j, v)
				}
			}
		}
		if got := s.MACs([]float32{0, 1}); got != 9 {
			t.Errorf("%v: MACs = %d, want 9", f, got)
		}
	}
}

func TestSparseRowsPanics(t *testing.T) {
	s := NewSparseRows(false, 2, 3, make([]float32, 6), FormatAuto)
	mustPanic(t, "short x", func() { s.MulAdd(make([]float32, 1), make([]float32, 3)) })
	mustPanic(t, "long y", func() { s.MulAdd(make([]float32, 2), make([]float32, 4)) })
	mustPanic(t, "MACs", func() { s.MACs(make([]float32, 3)) })
	mustPanic(t, "short w", func() { NewSparseRows(false, 2, 3, make([]float32, 5), FormatAuto) })
	mustPanic(t, "negative", func() { NewSparseRows(false, -1, 3, nil, FormatAuto) })
	mustPanic(t, "too wide", func() { NewSparseRows(false, 0, maxSparseCols+1, nil, FormatAuto) })
	mustPanic(t, "format", func() { NewSparseRows(false, 1, 1, []float32{1}, FormatDense+1) })
}

// TestSparseRowsWidest checks the uint16 index limits at the widest N:
// the last block index and column index below N rounded down to 8.
func TestSparseRowsWidest(t *testing.T) {
	n := maxSparseCols
	w := make([]float32, n)
	w[0], w[n&^7-1], w[n-1] = 1, 2, 3
	want := make([]float32, n)
	MulAddNaive(1, n, w, []float32{2}, want)
	for _, f := range sparseFormats {
		for _, kern := range sparseAvailable() {
			y := make([]float32, n)
			withSparse(kern, func() { NewSparseRows(false, 1, n, w, f).MulAdd([]float32{2}, y) })
			for j := range y {
				if y[j] != want[j] {
					t.Fatalf("%s %v: y[%d] = %v, want %v", kern.name, f, j, y[j], want[j])
				}
			}
		}
	}
}

// TestChooseFormat checks the cost model's choices at its corners.
func TestChooseFormat(t *testing.T) {
	for _, c := range []struct {
		k, n, nnz, blocks int
		want              Format
	}{
		{100, 800, 80000, 10000, FormatDense}, // unpruned
		{100, 800, 8000, 5700, FormatCSR},     // 90% sparse, random: most blocks hold one or two weights
		{100, 800, 40000, 10000, FormatDense}, // 50% sparse, every block present
		{100, 800, 20000, 2500, FormatBlocks}, // 75% sparse in full blocks (structured)
		{100, 800, 20000, 10000, FormatDense}, // 75% sparse, random: every block present
		{100, 800, 16000, 8400, FormatCSR},    // 80% sparse, random
	} {
		if got := chooseFormat(c.k, c.n, c.nnz, c.blocks); got != c.want {
			t.Errorf("chooseFormat(%d, %d, nnz %d, blocks %d) = %v, want %v", c.k, c.n, c.nnz, c.blocks, got, c.want)
		}
	}
}

func TestSparseRowsNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []sparseCase{{256, 1024, 0.9, 0.2, 0}, {10, 13, 0.5, 1, 0}} {
		w, x := c.operands(r)
		for _, f := range sparseFormats {
			s := NewSparseRows(false, c.k, c.n, w, f)
			y := make([]float32, c.n)
			for _, kern := range sparseAvailable() {
				withSparse(kern, func() {
					if n := testing.AllocsPerRun(10, func() { s.MulAdd(x, y) }); n != 0 {
						t.Errorf("%s %v %v: %v allocations per MulAdd, want 0", kern.name, f, c, n)
					}
				})
			}
		}
	}
}

// TestEvents checks the event list: the indices of the non-zero inputs in
// order, ±0 left out, NaN and denormals in, dst's storage reused.
func TestEvents(t *testing.T) {
	nan, neg0 := float32(math.NaN()), float32(math.Copysign(0, -1))
	x := []float32{0, 1, neg0, nan, -2, 0, math.SmallestNonzeroFloat32, 0}
	dst := make([]int32, 0, 16)
	ev := Events(x, dst)
	if want := []int32{1, 3, 4, 6}; fmt.Sprint(ev) != fmt.Sprint(want) {
		t.Fatalf("Events = %v, want %v", ev, want)
	}
	if &ev[0] != &dst[:1][0] {
		t.Errorf("Events did not reuse dst's storage")
	}
	if ev := Events(make([]float32, 5), nil); len(ev) != 0 {
		t.Errorf("Events of zeros = %v, want none", ev)
	}
	s := NewSparseRows(false, 3, 8, make([]float32, 24), FormatCSR)
	y := make([]float32, 8)
	mustPanic(t, "decreasing", func() { s.MulAddEvents(make([]float32, 3), []int32{2, 1}, y) })
	mustPanic(t, "repeated", func() { s.MulAddEvents(make([]float32, 3), []int32{1, 1}, y) })
	mustPanic(t, "out of range", func() { s.MulAddEvents(make([]float32, 3), []int32{3}, y) })
	mustPanic(t, "negative", func() { s.MACsEvents([]int32{-1}) })
}

// TestEventsEdges runs MulAddEvents on the lists the random cases may miss:
// one row (the first, the last, an empty one), two adjacent rows, the last
// two rows, with rows of fewer and of more than eight stored weights (the
// list kernel's one-at-a-time and eight-at-a-time loops, and its last-row
// case), against MulAdd of the same x, bit for bit.
func TestEventsEdges(t *testing.T) {
	const k, n = 6, 75 // 72 columns in CSR and Blocks, 3 in the tail
	r := rand.New(rand.NewPCG(3, 4))
	w := randSlice(r, k*n)
	for j := 0; j < n; j++ {
		if j%9 != 0 {
			w[1*n+j] = 0 // row 1: 9 weights, one past eight
		}
		if j%20 != 0 {
			w[4*n+j] = 0 // row 4: 4 weights, fewer than eight
		}
		w[2*n+j] = 0 // row 2: empty
	}
	for _, rows := range [][]int{{0}, {k - 1}, {2}, {1}, {4}, {1, 2}, {3, 4}, {k - 2, k - 1}, {0, 2, 4}} {
		x := make([]float32, k)
		for _, i := range rows {
			x[i] = float32(r.Float64()*2 - 1)
		}
		ev := Events(x, nil)
		if len(ev) != len(rows) {
			t.Fatalf("rows %v: Events = %v", rows, ev)
		}
		for _, f := range sparseFormats {
			s := NewSparseRows(false, k, n, w, f)
			for _, kern := range sparseAvailable() {
				y0 := randSlice(r, n)
				got, want := append([]float32(nil), y0...), append([]float32(nil), y0...)
				withKernel(kernelNamed(t, kern.name), func() {
					withSparse(kern, func() {
						s.MulAddEvents(x, ev, got)
						s.MulAdd(x, want)
					})
				})
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("%s %v rows %v: y[%d]: MulAddEvents %v, MulAdd %v", kern.name, f, rows, j, got[j], want[j])
					}
				}
				if changed := !slicesEqualBits(got, y0); changed != (s.MACsEvents(ev) > 0) {
					t.Errorf("%s %v rows %v: y changed %v with %d MACs", kern.name, f, rows, changed, s.MACsEvents(ev))
				}
			}
		}
	}
}

func slicesEqualBits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}
