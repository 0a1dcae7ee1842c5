//go:build linux

package tensor

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// pairedRun calls each variant reps times in turn, rounds times, timing by
// the CPU time of the calling thread, and returns per variant the median
// ns per call and the median over rounds of its time divided by variant 0's
// in the same round (paired ratios: drift of the machine cancels).
func pairedRun(rounds, reps int, fns []func()) (med, ratio []float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, f := range fns {
		for i := 0; i < reps; i++ {
			f()
		}
	}
	ns := make([][]float64, len(fns))
	for r := 0; r < rounds; r++ {
		for v, f := range fns {
			t0 := threadCPU()
			for i := 0; i < reps; i++ {
				f()
			}
			ns[v] = append(ns[v], float64((threadCPU()-t0).Nanoseconds())/float64(reps))
		}
	}
	median := func(s []float64) float64 {
		s = append([]float64(nil), s...)
		sort.Float64s(s)
		return s[len(s)/2]
	}
	for v := range fns {
		rs := make([]float64, rounds)
		for r := range rs {
			rs[r] = ns[v][r] / ns[0][r]
		}
		med = append(med, median(ns[v]))
		ratio = append(ratio, median(rs))
	}
	return med, ratio
}

// TestEventTune prints paired timings of the dense batch products and of
// the event kernels (one thread, median of 9 rounds). Run on an idle
// machine with
//
//	TENSOR_EVENT_TUNE=dense|event [TENSOR_TUNE_FILTER=substr] go test -run EventTune -v ./tensor
//
// dense: per shape and batch m, Gemm, the dedicated kernel (VecMat or
// MatVec) and a Dot that only streams the matrix, as ratios to Gemm.
// event: per shape, sparsity and activity, the dense VecMat and
// SparseRows in each format; speedup = dense/variant, and of = speedup / counted reduction, where
// the counted reduction is K·N over Σ nnz of the active rows.
func TestEventTune(t *testing.T) {
	mode := os.Getenv("TENSOR_EVENT_TUNE")
	if mode == "" {
		t.Skip("set TENSOR_EVENT_TUNE=dense or event")
	}
	filter := os.Getenv("TENSOR_TUNE_FILTER")
	defer SetThreads(Threads())
	SetThreads(1)
	const rounds = 9
	reps := func(work float64) int { return max(3, int(2e7/work)) } // ≈ 5-20 ms a round
	if mode == "dense" {
		fmt.Printf("%-24s %2s %10s %10s %10s %8s\n", "shape", "m", "gemm ns", "ded/gemm", "stream/g", "ded GB/s")
		for _, s := range batchBenchShapes {
			for _, m := range []int{1, 2, 3, 4, 8} {
				name := fmt.Sprintf("%s/m%d", s.name, m)
				if filter != "" && !strings.Contains(name, filter) {
					continue
				}
				_, fns := denseBatchVariants(s, m)
				med, ratio := pairedRun(rounds, reps(float64(m*s.k*s.n)), fns)
				fmt.Printf("%-24s %2d %10.0f %10.3f %10.3f %8.1f\n", s.name, m, med[0], ratio[1], ratio[2], 4*float64(s.k*s.n)/med[1])
			}
		}
		return
	}
	fmt.Printf("%-22s %5s %5s %10s %9s  speedup over dense (of counted): csr, blocks, densefmt, csr-go, csr-ev (event list, Events included), auto=format chosen\n", "shape", "spars", "act", "dense ns", "counted×")
	for _, c := range eventCases() {
		name := fmt.Sprintf("%s/s%02.0f/a%03.0f", c.name, 100*c.sparsity, 100*c.activity)
		if filter != "" && !strings.Contains(name, filter) {
			continue
		}
		_, fns, eff, dense := eventVariants(c)
		med, ratio := pairedRun(rounds, reps(dense), fns)
		counted := dense / max(eff, 1)
		fmt.Printf("%-22s %5.2f %5.2f %10.0f %9.1f", c.name, c.sparsity, c.activity, med[0], counted)
		for _, q := range ratio[1:] {
			fmt.Printf("  %6.2f (%.2f)", 1/q, 1/q/counted)
		}
		fmt.Printf("  auto=%v\n", eventAuto(c))
	}
}
