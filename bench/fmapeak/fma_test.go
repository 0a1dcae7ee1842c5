package fmapeak

import (
	"runtime"
	"strings"
	"testing"
)

// TestPickX86 checks the choice of the x86 unit from the CPU's features:
// the widest present, never one whose instructions are missing.
func TestPickX86(t *testing.T) {
	for _, c := range []struct {
		name              string
		avx512f, avx2, fm bool
		unit, why         string
	}{
		{"Xeon AVX-512", true, true, true, UnitAVX512, ""},
		{"AVX-512F without the FMA bit", true, false, false, UnitAVX512, ""},
		{"EPYC Zen 3: AVX2 and FMA only", false, true, true, UnitAVX2, ""},
		{"AVX2 without FMA", false, true, false, "", "not FMA"},
		{"FMA without AVX2", false, false, true, "", "neither"},
		{"SSE only", false, false, false, "", "neither"},
	} {
		unit, err := pickX86(c.avx512f, c.avx2, c.fm)
		if unit != c.unit {
			t.Errorf("%s: unit %q, want %q", c.name, unit, c.unit)
		}
		switch {
		case c.why == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.name, err)
		case c.why != "" && (err == nil || !strings.Contains(err.Error(), c.why)):
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.why)
		}
	}
}

// TestUnit checks that the loop in use is the widest this CPU runs and
// logs which one it is (bench/compare.sh records the line).
func TestUnit(t *testing.T) {
	t.Logf("fmapeak unit: %s", Describe())
	all := runnable()
	switch {
	case len(all) == 0:
		if Available() || Err() == nil || Unit() != "" || FlopsPerIter() != 0 {
			t.Errorf("no loop runs here, yet Available %v, Err %v, Unit %q, FlopsPerIter %d", Available(), Err(), Unit(), FlopsPerIter())
		}
	case best != all[0]:
		t.Errorf("loop in use %s, want the widest runnable %s", Unit(), all[0].unit)
	case Err() != nil || FlopsPerIter() != 2*all[0].lanes*all[0].chains:
		t.Errorf("Err %v, FlopsPerIter %d for %s", Err(), FlopsPerIter(), Describe())
	}
	if want := map[string]string{"arm64": UnitNEON}[runtime.GOARCH]; want != "" && Unit() != want {
		t.Errorf("GOARCH %s: unit %q, want %q", runtime.GOARCH, Unit(), want)
	}
}

// TestLoopCounts runs every loop this CPU has with v = 1 in every lane and
// checks that each lane of the summed accumulators is chains × n: the loop
// ran n iterations of chains FMAs on lanes lanes, which is what
// FlopsPerIter counts. All values are small integers, exact in float32.
func TestLoopCounts(t *testing.T) {
	all := runnable()
	if len(all) == 0 {
		t.Skipf("no FMA loop here: %v", Err())
	}
	for _, l := range all {
		for _, n := range []int{-1, 0, 1, 3, 1000} {
			var v [16]float32
			for i := range v {
				v[i] = 1
			}
			l.run(n, &v)
			want := float32(l.chains * max(n, 0))
			for i := range l.lanes {
				if v[i] != want {
					t.Fatalf("%s, n = %d: lane %d is %v, want %v (chains × n)", l.unit, n, i, v[i], want)
				}
			}
			for i := l.lanes; i < len(v); i++ {
				if v[i] != 1 {
					t.Fatalf("%s, n = %d: element %d beyond the %d lanes changed to %v", l.unit, n, i, l.lanes, v[i])
				}
			}
		}
	}
}

// TestRate checks that Rate runs and returns a positive, finite figure.
func TestRate(t *testing.T) {
	if !Available() {
		t.Skipf("no FMA loop here: %v", Err())
	}
	if g := Rate(1e6); !(g > 0 && g < 1e6) {
		t.Errorf("Rate(1e6) = %v GFLOP/s", g)
	}
}

// benchFlops is one iteration of BenchmarkFMAPeak whatever the unit:
// 2^20 iterations of the AVX-512 loop, 3.6 ms at 150 GFLOP/s.
const benchFlops = 1 << 20 * 512

// BenchmarkFMAPeak reports the fp32 FMA throughput of one core in GFLOP/s,
// as a sub-benchmark named after the vector unit (BenchmarkFMAPeak/AVX2+FMA).
// Run it with -count N and take the maximum: the loop cannot exceed the
// hardware peak, so the noise (other processes, frequency changes) only lowers it.
func BenchmarkFMAPeak(b *testing.B) {
	if !Available() {
		b.Skip(Err())
	}
	b.Run(Unit(), func(b *testing.B) {
		iters := benchFlops / FlopsPerIter()
		for b.Loop() {
			Loop(iters)
		}
		b.ReportMetric(float64(FlopsPerIter())*float64(iters)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
