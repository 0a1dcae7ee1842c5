package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the batch-1..8 dense products and of the event kernels, one
// call = one time step of one matrix. Run one at a time on an idle machine:
//
//	go test -run '^$' -bench 'DenseBatch|EventKernels' -count 7 ./tensor
//
// For the paired ratios quoted in the notes (variants alternated in one
// process, median of the per-round ratios) use TestEventTune in
// sparse_tune_test.go.

// batchShape is one matrix of a step: K×N, NN (y += x·W, W [K×N]) or, if
// nt, the decoder's y += h·Embᵀ with Emb [N×K].
type batchShape struct {
	name string
	k, n int
	nt   bool
}

var batchBenchShapes = []batchShape{
	{"small_lstm_256x1024", 256, 1024, false},
	{"small_egru_256x768", 256, 768, false},
	{"small_dec_NT_256x10000", 256, 10000, true},
	{"paper_lstm_1350x5400", 1350, 5400, false},
	{"paper_lstm3_750x3000", 750, 3000, false},
	{"paper_dec_NT_750x10000", 750, 10000, true},
}

// denseBatchVariants returns the ways to compute one step of s at batch m:
// Gemm, the dedicated kernel (VecMat or MatVec) and "stream", a Dot of the
// matrix with itself, which reads it once and bounds any product from below.
func denseBatchVariants(s batchShape, m int) (names []string, fns []func()) {
	r := rand.New(rand.NewPCG(1, uint64(s.k)))
	x, w, y := randSlice(r, m*s.k), randSlice(r, s.k*s.n), make([]float32, m*s.n)
	var sink float32
	gemm := func() { Gemm(false, false, m, s.n, s.k, 1, x, s.k, w, s.n, 0, y, s.n) }
	ded := func() { VecMat(m, s.k, s.n, x, w, y) }
	if s.nt {
		gemm = func() { Gemm(false, true, m, s.n, s.k, 1, x, s.k, w, s.k, 0, y, s.n) }
		ded = func() { MatVec(m, s.k, s.n, x, w, y) }
	}
	stream := func() { sink += Dot(w, w) }
	return []string{"gemm", "dedicated", "stream"}, []func(){gemm, ded, stream}
}

func BenchmarkDenseBatch(b *testing.B) {
	defer SetThreads(Threads())
	SetThreads(1)
	for _, s := range batchBenchShapes {
		for _, m := range []int{1, 2, 4, 8} {
			names, fns := denseBatchVariants(s, m)
			for v, f := range fns {
				b.Run(fmt.Sprintf("%s/m%d/%s", s.name, m, names[v]), func(b *testing.B) {
					f()
					for b.Loop() {
						f()
					}
					ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
					b.ReportMetric(ns, "ns/step")
					macs := float64(m * s.k * s.n)
					if names[v] == "stream" {
						macs = float64(s.k * s.n)
					}
					b.ReportMetric(2*macs/ns, "GFLOP/s")
					b.ReportMetric(4*float64(s.k*s.n)/ns, "GB/s")
				})
			}
		}
	}
}

// eventCase is one event-kernel benchmark: a K×N matrix with the given
// weight sparsity and fraction of active inputs.
type eventCase struct {
	name               string
	k, n               int
	sparsity, activity float64
}

func eventCases() []eventCase {
	var cs []eventCase
	for _, sh := range []struct {
		name string
		k, n int
		acts []float64
	}{
		{"small_lstm_256x1024", 256, 1024, []float64{1}},
		{"small_egru_256x768", 256, 768, []float64{0.2, 0.1}},
		{"paper_egru_1350x4050", 1350, 4050, []float64{0.2}},
		{"paper_egru0_750x4050", 750, 4050, []float64{1}}, // layer 0's W: the embedding is a dense input
	} {
		for _, a := range sh.acts {
			for _, s := range []float64{0, 0.5, 0.75, 0.9, 0.95, 0.98} {
				cs = append(cs, eventCase{sh.name, sh.k, sh.n, s, a})
			}
		}
	}
	return cs
}

// eventPatterns is the number of distinct input vectors cycled through, so
// that the active rows change from step to step as events do.
const eventPatterns = 16

// eventVariants returns dense (VecMat, every weight) and SparseRows.MulAdd
// in the CSR, Blocks and Dense formats and with the portable CSR kernel
// (csr-go) for c, and the mean effective MACs per step (Σ nnz of active
// rows) and dense MACs (K·N).
func eventVariants(c eventCase) (names []string, fns []func(), effMACs, denseMACs float64) {
	r := rand.New(rand.NewPCG(2, uint64(c.k*c.n)))
	w := randSlice(r, c.k*c.n)
	for i := range w {
		if r.Float64() < c.sparsity {
			w[i] = 0
		}
	}
	xs := make([][]float32, eventPatterns)
	for p := range xs {
		xs[p] = randSlice(r, c.k)
		for i := range xs[p] {
			if r.Float64() >= c.activity {
				xs[p][i] = 0
			}
		}
	}
	csr := NewSparseRows(false, c.k, c.n, w, FormatCSR)
	blk := NewSparseRows(false, c.k, c.n, w, FormatBlocks)
	dns := NewSparseRows(false, c.k, c.n, w, FormatDense)
	for _, x := range xs {
		effMACs += float64(csr.MACs(x)) / eventPatterns
	}
	y := make([]float32, c.n)
	var ev []int32
	step := 0
	next := func() []float32 { step++; return xs[step%eventPatterns] }
	fns = []func(){
		func() { VecMat(1, c.k, c.n, next(), w, y) },
		func() { csr.MulAdd(next(), y) },
		func() { blk.MulAdd(next(), y) },
		func() { dns.MulAdd(next(), y) },
		func() { withSparse(genericSparse, func() { csr.MulAdd(next(), y) }) },
		func() { x := next(); ev = Events(x, ev); csr.MulAddEvents(x, ev, y) },
	}
	return []string{"dense", "csr", "blocks", "densefmt", "csr-go", "csr-ev"}, fns, effMACs, float64(c.k * c.n)
}

func BenchmarkEventKernels(b *testing.B) {
	for _, c := range eventCases() {
		names, fns, eff, dense := eventVariants(c)
		for v, f := range fns {
			b.Run(fmt.Sprintf("%s/s%02.0f/a%03.0f/%s", c.name, 100*c.sparsity, 100*c.activity, names[v]), func(b *testing.B) {
				f()
				for b.Loop() {
					f()
				}
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				macs := eff
				if names[v] == "dense" {
					macs = dense
				}
				b.ReportMetric(ns, "ns/step")
				b.ReportMetric(2*macs/ns, "GFLOP/s")
				b.ReportMetric(eff/ns, "effGMAC/s")
			})
		}
	}
}

// eventAuto returns the format FormatAuto picks for c's matrix.
func eventAuto(c eventCase) Format {
	r := rand.New(rand.NewPCG(2, uint64(c.k*c.n)))
	w := randSlice(r, c.k*c.n)
	for i := range w {
		if r.Float64() < c.sparsity {
			w[i] = 0
		}
	}
	return NewSparseRows(false, c.k, c.n, w, FormatAuto).Format()
}
