package tensor

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/bench/fmapeak"
)

type benchShape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

// benchShapes are the products of one training step of the small and the
// paper presets (bench/compare.sh runs the same list through numpy; its
// parser needs the literal form {"name", tA, tB, m, n, k}). Per layer with
// input I, width H and gates G (4H LSTM, 3H EGRU), T·B rows per window:
// input projections T·B×G×I, per step the recurrent product B×G×H and its
// backward B×H×G (NT), then dW/dR I×G×T·B (TN) and dX T·B×I×G (NT); the
// decoder in chunks of 512 rows: logits 512×V×E (NT), dh 512×E×V, dEmb
// V×E×512 (TN). Names with "_step_" are the per-time-step products, whose B
// (the recurrent matrix) is packed once per window of T steps (see
// tensor.PackedB): they are timed that way, packing included, once every T
// products. The tiny shapes are awkward sizes, not training shapes.
var benchShapes = []benchShape{
	// small: E = H = 256, B = 32, T = 35, V = 10000 (PTB); LSTM G = 1024, EGRU G = 768.
	{"small_inproj_1120x1024x256", false, false, 1120, 1024, 256},
	{"small_step_rec_32x1024x256", false, false, 32, 1024, 256},
	{"small_step_dnext_NT_32x256x1024", false, true, 32, 256, 1024},
	{"small_step_egru_rec_32x768x256", false, false, 32, 768, 256},
	{"small_dW_TN_256x1024x1120", true, false, 256, 1024, 1120},
	{"small_dX_NT_1120x256x1024", false, true, 1120, 256, 1024},
	{"small_dec_NT_512x10000x256", false, true, 512, 10000, 256},
	{"small_dh_512x256x10000", false, false, 512, 256, 10000},
	{"small_dEmb_TN_10000x256x512", true, false, 10000, 256, 512},
	// paper (LSTM): E = 750, H = 1350, 1350, 750, B = 64, T = 70, V = 10000.
	{"paper_inproj_4480x5400x750", false, false, 4480, 5400, 750},
	{"paper_inproj_4480x3000x1350", false, false, 4480, 3000, 1350},
	{"paper_step_rec_64x5400x1350", false, false, 64, 5400, 1350},
	{"paper_step_rec_64x3000x750", false, false, 64, 3000, 750},
	{"paper_step_dnext_NT_64x1350x5400", false, true, 64, 1350, 5400},
	{"paper_dW_TN_1350x5400x4480", true, false, 1350, 5400, 4480},
	{"paper_dX_NT_4480x1350x5400", false, true, 4480, 1350, 5400},
	{"paper_dec_NT_512x10000x750", false, true, 512, 10000, 750},
	{"paper_dh_512x750x10000", false, false, 512, 750, 10000},
	{"paper_dEmb_TN_10000x750x512", true, false, 10000, 750, 512},
	{"tiny_1x800x200", false, false, 1, 800, 200},
	{"tiny_33x65x127", false, false, 33, 65, 127},
	{"tiny_TT_129x257x63", true, true, 129, 257, 63},
	{"tiny_7x13x1", false, false, 7, 13, 1},
}

// operands returns random A, B and C for the shape (seed fixed) and the
// leading dimensions of A and B.
func (s benchShape) operands() (a, b, c []float32, lda, ldb int) {
	r := rand.New(rand.NewPCG(1, 2))
	a, b, c = randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), randSlice(r, s.m*s.n)
	lda, ldb = s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	return a, b, c, lda, ldb
}

// stepsPerPack is how many per-step products share one packing of the
// recurrent matrix in the benchmarks: the small preset's window (T = 35).
const stepsPerPack = 35

// gemmRunner returns a function that computes product s once; its argument
// counts the calls, so that a per-step product repacks its B every
// stepsPerPack calls, as a training window does.
func gemmRunner(s benchShape) func(i int) {
	a, bb, c, lda, ldb := s.operands()
	if !strings.Contains(s.name, "_step_") {
		return func(int) { Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) }
	}
	var p PackedB
	return func(i int) {
		if i%stepsPerPack == 0 {
			p.Set(s.transB, s.k, s.n, bb, ldb) // a new window: repack
		}
		GemmPacked(s.transA, s.m, 1, a, lda, &p, 0, c, s.n)
	}
}

func benchGemm(b *testing.B, s benchShape, threads int) {
	defer SetThreads(Threads())
	SetThreads(threads)
	run := gemmRunner(s)
	run(0) // warm pools
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		run(i)
		i++
	}
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, s, 1) })
	}
}

// BenchmarkGemmOfPeak reports each product, one thread, as a fraction of
// the FMA peak measured beside it. Every iteration times the bench/fmapeak
// loop and the product for about 15 ms each, in alternating order, and the
// metric %peak is the median over iterations of product GFLOP/s / loop
// GFLOP/s (also reported: the medians of both). The speed this virtual
// machine gives a core drifts by tens of percent within minutes (the peak
// measured before each shape ranged 83..163 GFLOP/s within one
// bench/compare.sh run), so a peak measured even seconds away is a poor
// denominator. The loop runs on the widest vector unit the CPU has
// (AVX-512, AVX2+FMA or NEON: fmapeak.Unit), the ceiling of any kernel on
// that CPU. Run it with -benchtime Nx for N pairs.
func BenchmarkGemmOfPeak(b *testing.B) {
	if !fmapeak.Available() {
		b.Skipf("no FMA peak loop to compare with: %v", fmapeak.Err())
	}
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchGemmOfPeak(b, s) })
	}
}

func benchGemmOfPeak(b *testing.B, s benchShape) {
	defer SetThreads(Threads())
	SetThreads(1)
	const loopFlops = 2.1e9 // 14 ms at 150 GFLOP/s, 21 ms at 100
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	reps := max(1, int(1.5e9/flops)) // about 15 ms at 100 GFLOP/s
	run := gemmRunner(s)
	run(0) // warm pools, pack
	calls := 1
	gemm := func() float64 {
		t0 := time.Now()
		for range reps {
			run(calls)
			calls++
		}
		return flops * float64(reps) / time.Since(t0).Seconds() / 1e9
	}
	peak := func() float64 { return fmapeak.Rate(loopFlops) }
	var frac, rates, peaks []float64
	i := 0
	for b.Loop() {
		var g, p float64
		if i%2 == 0 {
			p, g = peak(), gemm()
		} else {
			g, p = gemm(), peak()
		}
		frac, rates, peaks = append(frac, g/p), append(rates, g), append(peaks, p)
		i++
	}
	b.ReportMetric(100*median(frac), "%peak")
	b.ReportMetric(median(rates), "GFLOP/s")
	b.ReportMetric(median(peaks), "peak-GFLOP/s")
}

func BenchmarkGemmThreads2(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, s, 2) })
	}
}

// busyRanger spins for its duration on every range: a part of a fixed
// length, as the products of one time step are.
type busyRanger struct{ d time.Duration }

func (r *busyRanger) Range(lo, hi int) {
	for start := time.Now(); time.Since(start) < r.d; {
	}
}

// BenchmarkFanOut times one Parallel call of two parts of a fixed length on
// two threads, after a pause of the caller's own (as between the products
// of a step): the time above the part's length is the cost of handing a
// part to the worker and of waiting for it.
func BenchmarkFanOut(b *testing.B) {
	defer SetThreads(Threads())
	SetThreads(2)
	for _, d := range []time.Duration{0, 20 * time.Microsecond, 200 * time.Microsecond} {
		for _, gap := range []time.Duration{0, 50 * time.Microsecond, 500 * time.Microsecond} {
			b.Run(fmt.Sprintf("part=%v/gap=%v", d, gap), func(b *testing.B) {
				r, pause := &busyRanger{d}, &busyRanger{gap}
				var spent time.Duration
				for b.Loop() {
					pause.Range(0, 1)
					start := time.Now()
					Parallel(2, 1, r)
					spent += time.Since(start)
				}
				b.ReportMetric(float64((spent-time.Duration(b.N)*d).Nanoseconds())/float64(b.N), "ns-overhead/op")
			})
		}
	}
}

func BenchmarkNaiveGemm(b *testing.B) {
	s := benchShapes[0]
	r := rand.New(rand.NewPCG(1, 2))
	a, bb, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), randSlice(r, s.m*s.n)
	b.ReportAllocs()
	for b.Loop() {
		GemmNaive(false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
	}
	b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkVec(b *testing.B) {
	for _, n := range []int{64, 1024, 65536} {
		r := rand.New(rand.NewPCG(1, 2))
		x, y := randSlice(r, n), randSlice(r, n)
		b.Run(fmt.Sprintf("Dot/%d", n), func(b *testing.B) {
			var s float32
			for b.Loop() {
				s += Dot(x, y)
			}
			b.ReportMetric(2*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("Axpy/%d", n), func(b *testing.B) {
			for b.Loop() {
				Axpy(1e-7, x, y)
			}
			b.ReportMetric(2*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
