package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

type benchShape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

// benchShapes are the products of one training step (T·B rows, hidden H,
// gates G, embedding E, vocabulary V).
var benchShapes = []benchShape{
	{"inproj_700x800x200", false, false, 700, 800, 200},
	{"inproj_1400x1600x400", false, false, 1400, 1600, 400},
	{"inproj_4480x5400x750", false, false, 4480, 5400, 750},
	{"rec_20x800x200", false, false, 20, 800, 200},
	{"rec_64x5400x1350", false, false, 64, 5400, 1350},
	{"rec_64x1600x400", false, false, 64, 1600, 400},
	{"dec_NT_256x10000x200", false, true, 256, 10000, 200},
	{"dec_NT_256x10000x400", false, true, 256, 10000, 400},
	{"dW_TN_200x800x700", true, false, 200, 800, 700},
	{"dW_TN_400x1600x1400", true, false, 400, 1600, 1400},
	{"dX_NT_700x200x800", false, true, 700, 200, 800},
	// The small preset's training step (T·B = 35·32 = 1120, E = H = 256,
	// LSTM gates 4H = 1024, decoder chunks of 512 rows, V = 10000).
	{"small_inproj_1120x1024x256", false, false, 1120, 1024, 256},
	{"small_rec_32x1024x256", false, false, 32, 1024, 256},
	{"small_dec_NT_512x10000x256", false, true, 512, 10000, 256},
	{"small_dh_512x256x10000", false, false, 512, 256, 10000},
	{"small_dEmb_TN_10000x256x512", true, false, 10000, 256, 512},
	{"small_dW_TN_256x1024x1120", true, false, 256, 1024, 1120},
	{"small_dX_NT_1120x256x1024", false, true, 1120, 256, 1024},
	{"tiny_1x800x200", false, false, 1, 800, 200},
	{"tiny_33x65x127", false, false, 33, 65, 127},
	{"tiny_TT_129x257x63", true, true, 129, 257, 63},
	{"tiny_7x13x1", false, false, 7, 13, 1},
}

func benchGemm(b *testing.B, s benchShape, threads int) {
	defer SetThreads(Threads())
	SetThreads(threads)
	r := rand.New(rand.NewPCG(1, 2))
	a := randSlice(r, s.m*s.k)
	bb := randSlice(r, s.k*s.n)
	c := randSlice(r, s.m*s.n)
	lda, ldb := s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) // warm pools
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
	}
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, s, 1) })
	}
}

func BenchmarkGemmThreads2(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, s, 2) })
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
