package model

import (
	"math"
	"testing"
)

// TestFloat32Math checks the float32 exp, sigmoid and tanh against float64
// math over their working range. Bounds: expf32 is a degree-6 polynomial on
// |r| ≤ ln2/2 (truncation < 2e-8) plus float32 rounding of a few operations,
// so 1e-6 relative; tanh and sigmoid inherit that, and tanh's absolute error
// near its cancellation point stays below 1e-6.
func TestFloat32Math(t *testing.T) {
	for i := -20000; i <= 20000; i++ {
		x := float64(i) / 1000 // [-20, 20] in steps of 0.001
		if got, want := float64(expf32(float32(x))), math.Exp(float64(float32(x))); math.Abs(got-want) > 1e-6*want {
			t.Fatalf("expf32(%v) = %v, want %v", x, got, want)
		}
		if got, want := float64(sigmoid(float32(x))), 1/(1+math.Exp(-float64(float32(x)))); math.Abs(got-want) > 1e-6 {
			t.Fatalf("sigmoid(%v) = %v, want %v", x, got, want)
		}
		xf := float64(float32(x))
		got, want := float64(tanh(float32(x))), math.Tanh(xf)
		if math.Abs(got-want) > 1e-6*math.Max(math.Abs(want), 0.1) {
			t.Fatalf("tanh(%v) = %v, want %v", x, got, want)
		}
	}
	for _, x := range []float32{1e-30, 1e-8, -3e-8, 1e-4} {
		if got := tanh(x); math.Abs(float64(got-x)) > 1e-6*math.Abs(float64(x)) {
			t.Errorf("tanh(%v) = %v: tiny inputs must keep their value", x, got)
		}
	}
	if expf32(-100) != 0 || !math.IsInf(float64(expf32(100)), 1) || expf32(0) != 1 {
		t.Errorf("expf32 edge cases: %v %v %v", expf32(-100), expf32(100), expf32(0))
	}
}
