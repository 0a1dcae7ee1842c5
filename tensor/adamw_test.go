package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamWKernels compares the kernel in use with the pure-Go loop bit for
// bit (they perform the same float32 operations in the same order), for
// lengths around the vector width, with and without a first moment, and
// checks one element against the formula in float64 (relative 1e-5: a
// handful of float32 roundings).
func TestAdamWKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, beta1 := range []float32{0, 0.9} {
		for _, n := range []int{0, 1, 15, 16, 17, 31, 33, 100, 1000} {
			x, g, m := randSlice(r, n), randSlice(r, n), randSlice(r, n)
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.Float64())
			}
			s := AdamWStep{LR: 1e-2, Decay: 0.1, Beta1: beta1, Beta2: 0.999, Eps: 1e-8, BC1: 0.5, BC2: 0.25}
			if beta1 == 0 {
				s.BC1 = 1
			}
			x2, m2, v2 := append([]float32(nil), x...), append([]float32(nil), m...), append([]float32(nil), v...)
			x0, m0, v0 := append([]float32(nil), x...), append([]float32(nil), m...), append([]float32(nil), v...)
			AdamW(x, g, m, v, s)
			c := adamwConsts{s.LR, s.Decay, s.Beta1, 1 - s.Beta1, s.Beta2, 1 - s.Beta2, s.Eps, s.BC1, s.BC2}
			adamwGeneric(x2, g, m2, v2, &c)
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(x2[i]) || math.Float32bits(v[i]) != math.Float32bits(v2[i]) ||
					math.Float32bits(m[i]) != math.Float32bits(m2[i]) {
					t.Fatalf("β1=%v n=%d i=%d: kernel x,m,v = %v,%v,%v; Go %v,%v,%v", beta1, n, i, x[i], m[i], v[i], x2[i], m2[i], v2[i])
				}
			}
			if n == 0 {
				continue
			}
			i := n - 1
			gi := float64(g[i])
			mi := gi
			if beta1 != 0 {
				mi = float64(beta1)*float64(m0[i]) + (1-float64(beta1))*gi
			} else if m[i] != m0[i] {
				t.Fatalf("β1 = 0 changed m")
			}
			vi := 0.999*float64(v0[i]) + 0.001*gi*gi
			want := float64(x0[i]) - 1e-2*(0.1*float64(x0[i])+(mi/float64(s.BC1))/(math.Sqrt(vi/0.25)+1e-8))
			if d := math.Abs(float64(x[i]) - want); d > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("β1=%v n=%d: x = %v, formula %v", beta1, n, x[i], want)
			}
		}
	}
}

func BenchmarkAdamW(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 20
	x, g, m, v := randSlice(r, n), randSlice(r, n), randSlice(r, n), make([]float32, n)
	s := AdamWStep{LR: 1e-3, Decay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, BC1: 0.5, BC2: 0.5}
	for _, simd := range []bool{true, false} {
		b.Run(map[bool]string{true: "kernel", false: "go"}[simd], func(b *testing.B) {
			defer func(on bool) { adamwSIMDOn = on }(adamwSIMDOn)
			adamwSIMDOn = adamwSIMDOn && simd
			b.ReportAllocs()
			for b.Loop() {
				AdamW(x, g, m, v, s)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gparams/s")
		})
	}
}
