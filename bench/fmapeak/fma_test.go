package fmapeak

import "testing"

func TestLoop(t *testing.T) {
	if !Available() {
		t.Skip("no AVX-512F")
	}
	Loop(0)
	Loop(1000)
}

// BenchmarkFMAPeak reports the fp32 FMA throughput of one core in GFLOP/s.
// Run it with -count N and take the maximum: the loop cannot exceed the
// hardware peak, so the noise (other processes, frequency changes) only lowers it.
func BenchmarkFMAPeak(b *testing.B) {
	if !Available() {
		b.Skip("no AVX-512F")
	}
	const iters = 1 << 20
	for b.Loop() {
		Loop(iters)
	}
	b.ReportMetric(float64(FlopsPerIter)*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
