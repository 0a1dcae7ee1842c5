package tensor

import (
	"fmt"
	"math/rand"
	"testing"
)

// actBenchSizes are the vector lengths benchmarked: a large softmax row
// and a typical hidden-state width.
var actBenchSizes = []int{10000, 400}

// benchAct runs f over every available implementation and size, reporting
// ns/elem.
func benchAct(b *testing.B, f func(impl *actImpl, dst, x []float32)) {
	r := rand.New(rand.NewSource(1))
	for _, impl := range actAvailable() {
		for _, n := range actBenchSizes {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 4)
			}
			dst := make([]float32, n)
			b.Run(fmt.Sprintf("%s/n=%d", impl.name, n), func(b *testing.B) {
				b.SetBytes(int64(8 * n))
				for b.Loop() {
					f(impl, dst, x)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
			})
		}
	}
}

func BenchmarkExpShift(b *testing.B) {
	benchAct(b, func(impl *actImpl, dst, x []float32) { impl.expShift(dst, x, 1) })
}

func BenchmarkExpShiftSumOnly(b *testing.B) {
	benchAct(b, func(impl *actImpl, dst, x []float32) { impl.expShift(nil, x, 1) })
}

func BenchmarkSigmoid(b *testing.B) {
	benchAct(b, func(impl *actImpl, dst, x []float32) { impl.sigmoid(dst, x) })
}

func BenchmarkTanh(b *testing.B) {
	benchAct(b, func(impl *actImpl, dst, x []float32) { impl.tanh(dst, x) })
}

func BenchmarkActMax(b *testing.B) {
	benchAct(b, func(impl *actImpl, dst, x []float32) { impl.max(x) })
}
