//go:build arm64 && !purego

package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The arm64 expectations of the NEON activation and cell kernels, beside
// act_test.go and cell_test.go, which run every implementation of
// actAvailable and every width of cellWidths (here generic and neon, 0 and
// 4) within their bounds or bit for bit against the Go loops. These pin the
// activations' arithmetic: the operations of the AVX2 kernels (act_amd64.s)
// in their order, checked bit for bit against a Go model of that sequence
// built on fma32 (neon_arm64_test.go).

// TestNEONActSelected checks that the NEON activation and cell kernels are
// the ones in use on arm64 and that act_test.go and cell_test.go run them
// beside the Go code.
func TestNEONActSelected(t *testing.T) {
	var names []string
	for _, impl := range actAvailable() {
		names = append(names, impl.name)
	}
	t.Logf("ActKernel() = %q, activation kernels %v; cell kernel width %d, cell widths tested %v", ActKernel(), names, cellSIMD, cellWidths())
	if act != actNEON || ActKernel() != "neon" || fmt.Sprint(names) != "[generic neon]" {
		t.Fatalf("ActKernel() = %q, available %v: want the NEON kernels, beside the generic ones", ActKernel(), names)
	}
	if cellSIMD != 4 || fmt.Sprint(cellWidths()) != "[0 4]" {
		t.Fatalf("cellSIMD = %d, cellWidths() = %v: want the 4-lane NEON cell kernels, tested beside the Go loops", cellSIMD, cellWidths())
	}
}

// The exp constants of act_amd64.s and act_neon_arm64.s as float32.
var (
	modelMagic = float32(0x1.8p23)
	modelLn2Hi = float32(math.Ln2)
	modelLn2Lo = float32(math.Ln2 - float64(float32(math.Ln2)))
)

// expNMModel is act_amd64.s's EXPNM256 (asmgen/arm64_act.py's exp_core) on
// one lane: e^d without clamping or masking. n = round(d·log2e) by adding
// 1.5·2^23 in one FMA; r = d − n·ln2Hi − n·ln2Lo, two FMAs; e^r by Horner,
// one FMA a step; then ·2^a·2^b with a = floor(n/2), b = n − a, built from
// the low bits of the FMA's sum.
func expNMModel(d float32) float32 {
	p := actExpPoly
	nm := fma32(d, float32(actLog2e), modelMagic)
	n := nm - modelMagic
	r := fma32(-n, modelLn2Hi, d)
	r = fma32(-n, modelLn2Lo, r)
	q := fma32(float32(p[4]), r, float32(p[3]))
	q = fma32(q, r, float32(p[2]))
	q = fma32(q, r, float32(p[1]))
	q = fma32(q, r, float32(p[0]))
	q = fma32(q, r, 1)
	q = fma32(q, r, 1)
	nb := math.Float32bits(nm) << 23
	ab := uint32(int32(nb)>>24) << 23
	const one = 0x3f800000 // the exponent bias, 127<<23
	return q * math.Float32frombits(ab+one) * math.Float32frombits(nb-ab+one)
}

// expModel is one lane of ExpShift's exp: clamped at 88.8, 0 below expLo.
func expModel(x, shift float32) float32 {
	d := x - shift
	if d > actExpClamp {
		d = actExpClamp
	}
	if d < actExpLo {
		return 0
	}
	return expNMModel(d)
}

// sigmoidModel is one lane of the sigmoid kernels: 1/(1 + e^max(−80, −x))
// with IEEE division, 0 for x < expLo.
func sigmoidModel(x float32) float32 {
	if x < actExpLo {
		return 0
	}
	d := -x
	if d < -80 {
		d = -80
	}
	return 1 / (1 + expNMModel(d))
}

// tanhModel is one lane of the tanh kernels: for |x| < 0.625 the odd
// polynomial a + a·(z·P(z)) (Horner by FMA, the last step fused), else
// 1 − 2/(e^min(2a, 20) + 1); the sign of x copied in.
func tanhModel(x float32) float32 {
	a := float32(math.Abs(float64(x)))
	var t float32
	if a < 0.625 {
		p := actTanhPoly
		z := a * a
		q := fma32(float32(p[4]), z, float32(p[3]))
		q = fma32(q, z, float32(p[2]))
		q = fma32(q, z, float32(p[1]))
		q = fma32(q, z, float32(p[0]))
		t = fma32(q*z, a, a)
	} else {
		d := a + a
		if d > 20 {
			d = 20
		}
		t = 1 - 2/(expNMModel(d)+1)
	}
	return float32(math.Copysign(float64(t), float64(x)))
}

// sameBits reports whether got and want are the same float32, any NaN
// matching any NaN (the kernels do not promise a NaN's payload).
func sameBits(got, want float32) bool {
	return math.Float32bits(got) == math.Float32bits(want) || (got != got && want != want)
}

// TestNEONActModel checks the NEON exp, sigmoid and tanh bit for bit
// against the models above on actInputs (a dense grid over [−90, 90], the
// thresholds, ±0, ±Inf, NaN, denormals), in the vector body and, at a length
// of 4k+3, in the padded tail. A coefficient, constant or rounding that
// differs from the AVX2 sequence changes some of these bits.
func TestNEONActModel(t *testing.T) {
	x := actInputs()
	for len(x)%4 != 3 {
		x = x[:len(x)-1]
	}
	got := make([]float32, len(x))
	for _, shift := range []float32{0, 1.5, -3.25, 40} {
		actNEON.expShift(got, x, shift)
		for i, v := range x {
			if want := expModel(v, shift); !sameBits(got[i], want) {
				t.Fatalf("exp(%g − %g) = %g (%#08x), the model %g (%#08x)", v, shift, got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
			}
		}
	}
	for _, k := range []struct {
		name  string
		f     func(dst, x []float32)
		model func(float32) float32
	}{
		{"sigmoid", actNEON.sigmoid, sigmoidModel},
		{"tanh", actNEON.tanh, tanhModel},
	} {
		k.f(got, x)
		for i, v := range x {
			if want := k.model(v); !sameBits(got[i], want) {
				t.Fatalf("%s(%g) = %g (%#08x), the model %g (%#08x)", k.name, v, got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
			}
		}
	}
}

// expShiftSumOrder is the NEON ExpShift's sum of the exps e written out:
// each e converted to float64 exactly; element i of the 8-float blocks goes
// to lane i%4 of the float64 vectors of its 4-float half (two lanes per
// 2-double register: V12/V13 for the first half, V14/V15 for the second),
// a last whole vector to V12/V13; then (V12+V14) + (V13+V15), its two lanes
// added, and the last len%4 terms in order.
func expShiftSumOrder(e []float32) float64 {
	n := len(e)
	var acc [4][2]float64 // V12, V13, V14, V15
	for i := 0; i < n&^3; i++ {
		half := 0
		if i < n&^7 {
			half = i % 8 / 4
		}
		acc[2*half+i%4/2][i%2] += float64(e[i])
	}
	var v [2]float64
	for l := range v {
		v[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l])
	}
	s := v[0] + v[1]
	for _, x := range e[n&^3:] {
		s += float64(x)
	}
	return s
}

// TestNEONExpShiftSum checks ExpShift's sum bit for bit against
// expShiftSumOrder at every length to 70 and some long ones, with and
// without dst, and that the exps it writes are the model's.
func TestNEONExpShiftSum(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 88))
	for _, n := range actLengths() {
		x := randSlice(r, n)
		for i := range x {
			x[i] *= 12
		}
		dst := make([]float32, n)
		s := actNEON.expShift(dst, x, 0.5)
		for i, v := range x {
			if want := expModel(v, 0.5); !sameBits(dst[i], want) {
				t.Fatalf("n=%d: exp(%g) = %g, the model %g", n, v-0.5, dst[i], want)
			}
		}
		if want := expShiftSumOrder(dst); s != want || actNEON.expShift(nil, x, 0.5) != want {
			t.Fatalf("n=%d: sum %v (without dst %v), in the documented order %v", n, s, actNEON.expShift(nil, x, 0.5), want)
		}
	}
}
