//go:build linux

package tensor

import (
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time of the calling OS thread, so that time
// spent descheduled on a busy machine does not count.
func threadCPU() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

// TestTune prints best-of-N GFLOP/s per benchmark shape, by wall time and by
// CPU time of the calling thread (the latter ignores time spent descheduled
// on a busy machine; it is meaningful for threads=1 only). Run with
//
//	TENSOR_TUNE=1 [TENSOR_TUNE_FILTER=substr] [TENSOR_TUNE_1=1] go test -run Tune -v ./tensor
//
// TestTuneKernel reports the micro-kernels' throughput on L1-resident panels
// (the practical peak).
func TestTune(t *testing.T) {
	if os.Getenv("TENSOR_TUNE") == "" {
		t.Skip("set TENSOR_TUNE=1")
	}
	filter := os.Getenv("TENSOR_TUNE_FILTER")
	defer SetThreads(Threads())
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ths := []int{1, 2}
	if os.Getenv("TENSOR_TUNE_1") != "" {
		ths = ths[:1]
	}
	for _, th := range ths {
		SetThreads(th)
		for _, s := range benchShapes {
			if filter != "" && !strings.Contains(s.name, filter) {
				continue
			}
			a, bb, c, lda, ldb := s.operands()
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			inner := max(1, int(2e7/flops))
			reps := max(5, min(100, int(2e9/flops/float64(inner))))
			best, bestCPU := time.Hour, time.Hour
			for i := 0; i < reps; i++ {
				t0, c0 := time.Now(), threadCPU()
				for j := 0; j < inner; j++ {
					Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				best = min(best, time.Since(t0))
				bestCPU = min(bestCPU, threadCPU()-c0)
			}
			f := flops * float64(inner)
			t.Logf("threads=%d %-24s %7.1f GFLOP/s wall  %7.1f GFLOP/s thread-cpu", th, s.name, f/best.Seconds()/1e9, f/bestCPU.Seconds()/1e9)
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

// TestTuneBlocking compares cache-blocking settings of the kernel in use by
// paired runs: each round times the current setting and then every
// alternative on the same shape, and the median over rounds of the time
// ratios is printed (above 1: the alternative is faster). Pairs measured
// seconds apart share the machine's state, which on a busy or virtual
// machine moves single figures by ±20%. Run with
//
//	TENSOR_TUNE=blocking [TENSOR_TUNE_FILTER=substr] [TENSOR_TUNE_ALTS="name,name"] go test -run TuneBlocking -v ./tensor
func TestTuneBlocking(t *testing.T) {
	if os.Getenv("TENSOR_TUNE") != "blocking" {
		t.Skip("set TENSOR_TUNE=blocking")
	}
	type setting struct {
		name             string
		kc, mc, nc, aPad int
		noDirect         bool
	}
	cur := setting{"current", sgemm.kc, sgemm.mc, sgemm.nc, aPad, false}
	alts := []setting{
		{"kc×3/4", cur.kc * 3 / 4, cur.mc, cur.nc, cur.aPad, false}, {"mc/2", cur.kc, cur.mc / 2, cur.nc, cur.aPad, false},
		{"mc×2", cur.kc, cur.mc * 2, cur.nc, cur.aPad, false}, {"nc×2", cur.kc, cur.mc, cur.nc * 2, cur.aPad, false},
		{"no A padding", cur.kc, cur.mc, cur.nc, 0, false}, {"kc×2", cur.kc * 2, cur.mc / 2, cur.nc, cur.aPad, false}, {"kc×3/2", cur.kc * 3 / 2, cur.mc * 2 / 3 / sgemm.mr * sgemm.mr, cur.nc, cur.aPad, false}, {"kc×2 mc", cur.kc * 2, cur.mc, cur.nc, cur.aPad, false}, {"kc×4", cur.kc * 4, cur.mc / 4, cur.nc, cur.aPad, false}, {"nc/2", cur.kc, cur.mc, cur.nc / 2, cur.aPad, false}, {"nc/4", cur.kc, cur.mc, cur.nc / 4, cur.aPad, false}, {"B always packed", cur.kc, cur.mc, cur.nc, cur.aPad, true},
	}
	if only := os.Getenv("TENSOR_TUNE_ALTS"); only != "" {
		var keep []setting
		for _, st := range alts {
			if strings.Contains(only, st.name) {
				keep = append(keep, st)
			}
		}
		alts = keep
	}
	filter := os.Getenv("TENSOR_TUNE_FILTER")
	for _, s := range benchShapes {
		if !strings.Contains(s.name, filter) || strings.HasPrefix(s.name, "tiny") {
			continue
		}
		a, b, c, lda, ldb := s.operands()
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		reps := max(1, int(3e8/flops))
		run := func(st setting) time.Duration {
			saved, savedPad, savedDirect := *sgemm, aPad, useDirectB
			sgemm.kc, sgemm.mc, sgemm.nc, aPad, useDirectB = st.kc, st.mc, st.nc, st.aPad, !st.noDirect
			defer func() { *sgemm, aPad, useDirectB = saved, savedPad, savedDirect }()
			t0 := time.Now()
			for range reps {
				Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
			}
			return time.Since(t0)
		}
		ratios := make([][]float64, len(alts))
		var rates []float64
		for range 15 {
			tc := run(cur)
			rates = append(rates, flops*float64(reps)/tc.Seconds()/1e9)
			for i, st := range alts {
				ratios[i] = append(ratios[i], tc.Seconds()/run(st).Seconds())
			}
		}
		line := s.name + ": current " + strconv.FormatFloat(median(rates), 'f', 1, 64) + " GFLOP/s"
		for i, st := range alts {
			line += ", " + st.name + " " + strconv.FormatFloat(median(ratios[i]), 'f', 3, 64)
		}
		t.Log(line)
	}
}

func median(x []float64) float64 {
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	return y[len(y)/2]
}
