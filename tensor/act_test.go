package tensor

import (
	"math"
	"math/rand"
	"testing"
)

// actGuard is written after the end of every destination slice to detect
// stray stores.
var actGuard = math.Float32frombits(0x7fc0beef)

// withAct runs f with act set to impl.
func withAct(impl *actImpl, f func()) {
	old := act
	act = impl
	defer func() { act = old }()
	f()
}

// forEachAct runs f as a subtest for every implementation available here.
func forEachAct(t *testing.T, f func(t *testing.T)) {
	for _, impl := range actAvailable() {
		t.Run(impl.name, func(t *testing.T) { withAct(impl, func() { f(t) }) })
	}
}

// actLengths are the lengths every kernel is tested at.
func actLengths() []int {
	var l []int
	for n := 0; n <= 70; n++ {
		l = append(l, n)
	}
	return append(l, 127, 128, 129, 1000, 1023, 4099, 33278)
}

// actErrs tracks maximum errors for reporting.
type actErrs struct{ rel, abs float64 }

func (e *actErrs) add(got float32, want float64) {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return
	}
	d := math.Abs(float64(got) - want)
	e.abs = max(e.abs, d)
	if want != 0 {
		e.rel = max(e.rel, d/math.Abs(want))
	}
}

// expRef is the reference for e^d: 0 below actExpLo (by contract).
func expRef(d float32) float64 {
	if d < actExpLo {
		return 0
	}
	return math.Exp(float64(d))
}

// checkSpecial checks the results that must be exact: NaN, ±Inf, 0, ±1.
func checkSpecial(t *testing.T, name string, x, got float32, want float64) bool {
	t.Helper()
	switch {
	case math.IsNaN(want):
		if got == got {
			t.Errorf("%s(%g) = %g, want NaN", name, x, got)
		}
		return true
	case math.IsInf(want, 0) || want == 0 || math.Abs(want) == 1:
		if float64(got) != want {
			t.Errorf("%s(%g) = %g, want %g", name, x, got, want)
		}
		return true
	}
	return false
}

// actInputs returns test inputs: a dense grid over [−90, 90], values near
// 0 and the thresholds, and special values.
func actInputs() []float32 {
	var x []float32
	for v := -90.0; v <= 90; v += 1.0 / 1024 {
		x = append(x, float32(v))
	}
	for e := -45; e <= 0; e++ {
		for _, m := range []float64{1, 1.37, 3.1, 7.77} {
			v := float32(m * math.Pow(10, float64(e)/5*1))
			x = append(x, v, -v)
		}
	}
	for _, v := range []float32{0, actExpLo, actExpLo * (1 + 1e-7), actExpLo * (1 - 1e-7), 88.3762, 88.72, 88.7228, 88.7229, 89, 0.625, 0.62499, 0.62501, 9, 10, 20, 44, 45, 100, 1e10, 1e30, math.MaxFloat32, 1e-30, 1e-38, 1e-45} {
		x = append(x, v, -v)
	}
	x = append(x, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), float32(math.Copysign(0, -1)))
	return x
}

func TestExpShiftAccuracy(t *testing.T) {
	x := actInputs()
	forEachAct(t, func(t *testing.T) {
		for _, shift := range []float32{0, 1.5, -3.25, 40} {
			dst := make([]float32, len(x)+1)
			dst[len(x)] = actGuard
			sum := ExpShift(dst[:len(x)], x, shift)
			if math.Float32bits(dst[len(x)]) != math.Float32bits(actGuard) {
				t.Fatal("guard overwritten")
			}
			var e actErrs
			for i, v := range x {
				d := v - shift
				want := expRef(d)
				if math.IsNaN(float64(d)) {
					want = math.NaN()
				}
				if checkSpecial(t, "exp", d, dst[i], want) {
					continue
				}
				if want < 1.2e-38 && dst[i] == 0 {
					continue
				}
				if want > math.MaxFloat32*(1-1e-6) {
					// Overflow boundary: +Inf or a value within 1e-6.
					if !math.IsInf(float64(dst[i]), 1) && math.Abs(float64(dst[i])-want) > 1e-6*want {
						t.Errorf("exp(%g) = %g, want %g", d, dst[i], want)
					}
					continue
				}
				e.add(dst[i], want)
				if r := math.Abs(float64(dst[i])-want) / want; r > 1e-6 {
					t.Errorf("exp(%g) = %g, want %g (rel %g)", d, dst[i], want, r)
				}
			}
			_ = sum
			t.Logf("shift %g: exp max rel err %.3g", shift, e.rel)
		}
	})
}

// TestExpShiftExactShift compares against e^(x−shift) evaluated in float64
// (without the float32 rounding of x−shift) for |x−shift| ≤ 16.
func TestExpShiftExactShift(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	x := make([]float32, 10000)
	for i := range x {
		x[i] = float32(r.Float64()*32 - 16)
	}
	forEachAct(t, func(t *testing.T) {
		shift := float32(0.7311)
		dst := make([]float32, len(x))
		ExpShift(dst, x, shift)
		var e actErrs
		for i, v := range x {
			d := float64(v) - float64(shift)
			if math.Abs(d) > 16 {
				continue
			}
			e.add(dst[i], math.Exp(d))
		}
		if e.rel > 1.2e-6 {
			t.Errorf("max rel err vs exact shift %g", e.rel)
		}
		t.Logf("max rel err vs exact e^(x-shift): %.3g", e.rel)
	})
}

func TestExpShiftLengths(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	forEachAct(t, func(t *testing.T) {
		for _, n := range actLengths() {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 5)
			}
			shift := float32(0)
			if n > 0 {
				shift = Max(x)
			}
			var want float64
			for _, v := range x {
				want += expRef(v - shift)
			}
			// Separate dst with guards.
			dst := make([]float32, n+4)
			for i := n; i < n+4; i++ {
				dst[i] = actGuard
			}
			s1 := ExpShift(dst[:n], x, shift)
			for i := n; i < n+4; i++ {
				if math.Float32bits(dst[i]) != math.Float32bits(actGuard) {
					t.Fatalf("n=%d: guard %d overwritten", n, i-n)
				}
			}
			for i, v := range x {
				w := expRef(v - shift)
				if math.Abs(float64(dst[i])-w) > 1e-6*w {
					t.Fatalf("n=%d i=%d: exp(%g) = %g, want %g", n, i, v-shift, dst[i], w)
				}
			}
			// Sum only.
			s2 := ExpShift(nil, x, shift)
			// Aliased.
			y := append([]float32(nil), x...)
			y = append(y, actGuard)
			s3 := ExpShift(y[:n], y[:n], shift)
			if math.Float32bits(y[n]) != math.Float32bits(actGuard) {
				t.Fatalf("n=%d: aliased guard overwritten", n)
			}
			for i := range x {
				if y[i] != dst[i] {
					t.Fatalf("n=%d i=%d: aliased %g != %g", n, i, y[i], dst[i])
				}
			}
			for _, s := range []float64{s1, s2, s3} {
				if math.Abs(s-want) > 5e-7*want {
					t.Fatalf("n=%d: sum %g, want %g (rel %g)", n, s, want, math.Abs(s-want)/want)
				}
			}
			if s1 != s2 || s1 != s3 {
				t.Fatalf("n=%d: sums differ %g %g %g", n, s1, s2, s3)
			}
		}
	})
}

// TestExpShiftSumVocab checks the sum over a WikiText-2-sized vocabulary
// where all terms are close to 1 (the worst case for float32 partials).
func TestExpShiftSumVocab(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	x := make([]float32, 33278)
	forEachAct(t, func(t *testing.T) {
		for _, scale := range []float64{1e-3, 1, 10} {
			for i := range x {
				x[i] = float32(r.NormFloat64() * scale)
			}
			shift := Max(x)
			var want float64
			for _, v := range x {
				want += math.Exp(float64(v - shift))
			}
			got := ExpShift(nil, x, shift)
			rel := math.Abs(got-want) / want
			if rel > 1e-6 {
				t.Errorf("scale %g: sum %g, want %g (rel %g)", scale, got, want, rel)
			}
			t.Logf("scale %g: sum rel err %.3g", scale, rel)
		}
	})
}

func TestSigmoidAccuracy(t *testing.T) {
	x := actInputs()
	forEachAct(t, func(t *testing.T) {
		dst := make([]float32, len(x))
		Sigmoid(dst, x)
		var e actErrs
		for i, v := range x {
			xv := float64(v)
			want := 1 / (1 + math.Exp(-xv))
			if v < actExpLo {
				want = 0
			}
			if math.IsNaN(xv) {
				want = math.NaN()
			}
			if math.IsInf(xv, 1) {
				want = 1
			}
			if xv >= 20 {
				want = 1 // must saturate exactly
			}
			got := dst[i]
			if checkSpecial(t, "sigmoid", v, got, want) {
				continue
			}
			e.add(got, want)
			d := math.Abs(float64(got) - want)
			if d > 1e-6 || (want > 1e-30 && d > 1e-5*want) {
				t.Errorf("sigmoid(%g) = %g, want %g", v, got, want)
			}
		}
		t.Logf("sigmoid max abs err %.3g, max rel err %.3g", e.abs, e.rel)
	})
}

func TestTanhAccuracy(t *testing.T) {
	x := actInputs()
	forEachAct(t, func(t *testing.T) {
		dst := make([]float32, len(x))
		Tanh(dst, x)
		var e actErrs
		for i, v := range x {
			want := math.Tanh(float64(v))
			if math.Abs(float64(v)) >= 10 {
				want = math.Round(want) // must saturate exactly
			}
			got := dst[i]
			if v == 0 {
				if math.Float32bits(got) != math.Float32bits(v) {
					t.Errorf("tanh(%g) = %g (sign of zero lost)", v, got)
				}
				continue
			}
			if checkSpecial(t, "tanh", v, got, want) {
				continue
			}
			e.add(got, want)
			if math.Abs(want) >= 1e-30 && math.Abs(float64(got)-want) > 1e-6*math.Abs(want) {
				t.Errorf("tanh(%g) = %g, want %g (rel %g)", v, got, want, math.Abs(float64(got)-want)/math.Abs(want))
			}
		}
		t.Logf("tanh max rel err %.3g", e.rel)
	})
}

// TestSigmoidTanhLengths checks every length, aliasing and guards against
// the generic implementation's float64 references.
func TestSigmoidTanhLengths(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	kernels := []struct {
		name string
		f    func(dst, x []float32)
		ref  func(float64) float64
	}{
		{"Sigmoid", Sigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{"Tanh", Tanh, math.Tanh},
	}
	forEachAct(t, func(t *testing.T) {
		for _, k := range kernels {
			for _, n := range actLengths() {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 4)
				}
				dst := make([]float32, n+4)
				for i := n; i < n+4; i++ {
					dst[i] = actGuard
				}
				k.f(dst[:n], x)
				for i := n; i < n+4; i++ {
					if math.Float32bits(dst[i]) != math.Float32bits(actGuard) {
						t.Fatalf("%s n=%d: guard overwritten", k.name, n)
					}
				}
				for i, v := range x {
					w := k.ref(float64(v))
					if math.Abs(float64(dst[i])-w) > 1e-6*math.Abs(w) && math.Abs(float64(dst[i])-w) > 6e-8 {
						t.Fatalf("%s n=%d i=%d: f(%g) = %g, want %g", k.name, n, i, v, dst[i], w)
					}
				}
				y := append(append([]float32(nil), x...), actGuard)
				k.f(y[:n], y[:n])
				if math.Float32bits(y[n]) != math.Float32bits(actGuard) {
					t.Fatalf("%s n=%d: aliased guard overwritten", k.name, n)
				}
				for i := range x {
					if y[i] != dst[i] {
						t.Fatalf("%s n=%d i=%d: aliased %g != %g", k.name, n, i, y[i], dst[i])
					}
				}
			}
		}
	})
}

func TestActMax(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	forEachAct(t, func(t *testing.T) {
		for _, n := range actLengths()[1:] {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64()*10) - 100
			}
			for trial := 0; trial < 3; trial++ {
				want := maxGeneric(x)
				if got := Max(x); got != want {
					t.Fatalf("n=%d: Max = %g, want %g", n, got, want)
				}
				if trial == 0 {
					x[r.Intn(n)] = 50 // unique maximum somewhere
				} else if trial == 1 {
					x[n-1] = 60 // maximum in the tail
				}
			}
			for _, pos := range []int{0, n / 2, n - 1} {
				y := append([]float32(nil), x...)
				y[pos] = float32(math.NaN())
				if got := Max(y); got == got {
					t.Fatalf("n=%d: Max with NaN at %d = %g", n, pos, got)
				}
			}
			y := append([]float32(nil), x...)
			y[n/2] = float32(math.Inf(1))
			if got := Max(y); !math.IsInf(float64(got), 1) {
				t.Fatalf("n=%d: Max with +Inf = %g", n, got)
			}
			for i := range y {
				y[i] = float32(math.Inf(-1))
			}
			if got := Max(y); !math.IsInf(float64(got), -1) {
				t.Fatalf("n=%d: Max of -Inf = %g", n, got)
			}
		}
	})
}

func TestActPanics(t *testing.T) {
	expectPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	x := make([]float32, 5)
	expectPanic("Max(empty)", func() { Max(nil) })
	expectPanic("ExpShift", func() { ExpShift(make([]float32, 4), x, 0) })
	expectPanic("ExpShift empty dst", func() { ExpShift([]float32{}, x, 0) })
	expectPanic("Sigmoid", func() { Sigmoid(make([]float32, 6), x) })
	expectPanic("Tanh", func() { Tanh(nil, x) })
	if s := ExpShift(nil, nil, 0); s != 0 {
		t.Errorf("ExpShift(nil, nil) = %g", s)
	}
}

func TestActKernel(t *testing.T) {
	names := map[string]bool{}
	for _, impl := range actAvailable() {
		names[impl.name] = true
	}
	if !names[ActKernel()] {
		t.Errorf("ActKernel() = %q not among available %v", ActKernel(), names)
	}
	t.Logf("ActKernel() = %s, available %v", ActKernel(), names)
}

// TestActImplsAgree checks that all implementations give nearly the same
// results on random softmax-like data.
func TestActImplsAgree(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	x := make([]float32, 3001)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 8)
	}
	ref := make([]float32, len(x))
	got := make([]float32, len(x))
	for _, impl := range actAvailable() {
		for _, k := range []struct {
			name string
			f    func(impl *actImpl, dst, x []float32)
		}{
			{"exp", func(i *actImpl, d, x []float32) { i.expShift(d, x, 1) }},
			{"sigmoid", func(i *actImpl, d, x []float32) { i.sigmoid(d, x) }},
			{"tanh", func(i *actImpl, d, x []float32) { i.tanh(d, x) }},
		} {
			k.f(actGeneric, ref, x)
			k.f(impl, got, x)
			for i := range x {
				if d := math.Abs(float64(got[i] - ref[i])); d > 4e-7*math.Abs(float64(ref[i])) && d > 1e-37 {
					t.Fatalf("%s %s(%g): %g vs generic %g", impl.name, k.name, x[i], got[i], ref[i])
				}
			}
		}
	}
}
