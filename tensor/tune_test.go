package tensor

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// TestTune prints best-of-N GFLOP/s per benchmark shape (robust against a
// busy machine). Run with TENSOR_TUNE=1 go test -run Tune -v.
func TestTune(t *testing.T) {
	if os.Getenv("TENSOR_TUNE") == "" {
		t.Skip("set TENSOR_TUNE=1")
	}
	filter := os.Getenv("TENSOR_TUNE_FILTER")
	defer SetThreads(Threads())
	for _, th := range []int{1, 2} {
		SetThreads(th)
		for _, s := range benchShapes {
			if filter != "" && !strings.Contains(s.name, filter) {
				continue
			}
			r := rand.New(rand.NewPCG(1, 2))
			a, bb, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), randSlice(r, s.m*s.n)
			lda, ldb := s.k, s.n
			if s.transA {
				lda = s.m
			}
			if s.transB {
				ldb = s.k
			}
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			reps := max(3, min(200, int(3e9/flops)))
			best := time.Hour
			for i := 0; i < reps; i++ {
				t0 := time.Now()
				Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				best = min(best, time.Since(t0))
			}
			t.Logf("threads=%d %-24s %7.1f GFLOP/s", th, s.name, flops/best.Seconds()/1e9)
		}
	}
}

func TestTuneKernel(t *testing.T) {
	if os.Getenv("TENSOR_TUNE") == "" {
		t.Skip("set TENSOR_TUNE=1")
	}
	for _, ki := range kernelsAvailable() {
		kc := 256
		a := make([]float32, ki.mr*kc)
		b := make([]float32, ki.nr*kc)
		c := make([]float32, ki.mr*ki.nr)
		best := time.Hour
		const calls = 2000
		for rep := 0; rep < 50; rep++ {
			t0 := time.Now()
			for i := 0; i < calls; i++ {
				ki.kern(kc, &a[0], &b[0], ki.nr, &c[0], ki.nr, 1, 0)
			}
			best = min(best, time.Since(t0))
		}
		t.Logf("%-8s %dx%d kc=%d: %.1f GFLOP/s", ki.name, ki.mr, ki.nr, kc, 2*float64(ki.mr*ki.nr*kc*calls)/best.Seconds()/1e9)
	}
}
