package tensor

import "math"

// Activation kernels: element-wise exp, sigmoid and tanh over float32
// slices, plus the max reduction needed for a numerically stable softmax.
//
// Semantics shared by every implementation (generic Go, AVX2, AVX-512,
// NEON):
//
//   - exp: d = x−shift is rounded to float32 first (as in any float32
//     softmax); e^d is returned with relative error ≤ ~2e-7 (a few ulp).
//     d < actExpLo (= ln(FLT_MIN) ≈ −87.3365) gives exactly 0 (no
//     denormals are produced), d > ln(FLT_MAX) ≈ 88.7228 gives +Inf,
//     e^−Inf = 0, e^+Inf = +Inf and NaN gives NaN.
//   - sigmoid: 0 for x < actExpLo (including −Inf), 1 for large x,
//     NaN for NaN; otherwise absolute error ≤ 1e-7 and relative error of a
//     few ulp.
//   - tanh: odd, ±1 for large |x|, NaN for NaN, relative error of a few
//     ulp everywhere (including near 0, where an odd polynomial is used).
//
// The float32 rounding of x−shift means that, compared with e^(x−shift)
// evaluated exactly, ExpShift has an additional relative error of at most
// |x−shift|·2^-24 (≤ 1e-6 for |x−shift| ≤ 16.7); terms further from the
// shift are < 6e-8 of the largest and do not matter for a softmax sum.

const (
	actExpLo    = float32(-87.33654475055310898657) // ln(FLT_MIN); below: exp = 0
	actExpClamp = float32(88.8)                     // > ln(FLT_MAX); inputs are clamped here
	actLog2e    = 1.44269504088896340736
)

// actExpPoly are the coefficients c2..c6 of the degree-6 minimax
// polynomial 1 + r + c2·r² + … + c6·r⁶ ≈ e^r on [−ln2/2, ln2/2]
// (relative error 2.0e-9 before float32 rounding). The assembly uses the
// same values as float32.
var actExpPoly = [...]float64{4.9999994192e-01, 1.6666430800e-01, 4.1668004738e-02, 8.3741956393e-03, 1.3843606059e-03}

// actImpl is one implementation of the activation kernels. The functions
// receive already-validated arguments: len(dst) == len(x) unless dst is
// nil (expShift only), and len(x) > 0 for max.
type actImpl struct {
	name     string
	max      func(x []float32) float32
	expShift func(dst, x []float32, shift float32) float64
	sigmoid  func(dst, x []float32)
	tanh     func(dst, x []float32)
}

// actGeneric is the portable pure-Go implementation.
var actGeneric = &actImpl{
	name:     "generic",
	max:      maxGeneric,
	expShift: expShiftGeneric,
	sigmoid:  sigmoidGeneric,
	tanh:     tanhGeneric,
}

// act is the implementation used by the exported functions. Tests swap it
// to exercise every implementation available on the machine.
var act = actBest()

// ActKernel reports which implementation the activation kernels use:
// "avx512", "avx2", "neon" or "generic".
func ActKernel() string { return act.name }

// Max returns the largest element of x. It returns NaN if any element is
// NaN, and panics if x is empty.
func Max(x []float32) float32 {
	if len(x) == 0 {
		panic("tensor: Max of empty slice")
	}
	return act.max(x)
}

// ExpShift sets dst[i] = e^(x[i]−shift) and returns Σ e^(x[i]−shift).
//
// dst may be nil, in which case only the sum is computed; otherwise it
// must have the same length as x (ExpShift panics if not) and may be x
// itself (but must not overlap x partially). See the package comment of
// act.go for the accuracy and the handling of ±Inf/NaN/underflow.
//
// The sum is accumulated in float64 (generic, NEON) or, in the x86 vector
// implementations, first in per-lane float32 partial sums: the AVX-512
// kernel adds four exp vectors pairwise and then up to four such sums
// before converting to float64 (≤ 6 float32 roundings per term), the AVX2
// kernel adds two (1 rounding). Because all terms are non-negative, the
// relative error of the returned sum is at most 6·2^-24 + n·2^-53
// (≈ 3.6e-7 for the 33278-word WikiText-2 vocabulary; typically ~1e-9)
// on top of the ≤ ~1e-7 relative error of the individual exp values.
func ExpShift(dst, x []float32, shift float32) float64 {
	if dst != nil && len(dst) != len(x) {
		panic("tensor: ExpShift length mismatch")
	}
	return act.expShift(dst, x, shift)
}

// Sigmoid sets dst[i] = 1/(1+e^(−x[i])). dst may be x itself; it panics
// if the lengths differ.
func Sigmoid(dst, x []float32) {
	if len(dst) != len(x) {
		panic("tensor: Sigmoid length mismatch")
	}
	act.sigmoid(dst, x)
}

// Tanh sets dst[i] = tanh(x[i]). dst may be x itself; it panics if the
// lengths differ.
func Tanh(dst, x []float32) {
	if len(dst) != len(x) {
		panic("tensor: Tanh length mismatch")
	}
	act.tanh(dst, x)
}

// maxGeneric is the pure-Go Max (NaN-propagating).
func maxGeneric(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m || v != v {
			m = v
		}
	}
	return m
}

// actMaxMerge combines two partial maxima with NaN propagation.
func actMaxMerge(a, b float32) float32 {
	if b > a || b != b {
		return b
	}
	return a
}

// exp64 returns e^d for d in about [−104, 89] using the same range
// reduction and polynomial as the assembly, but in float64: n is found with
// the 1.5·2^52 rounding constant, whose low bits then give 2^n directly.
func exp64(d float64) float64 {
	const magic = 0x1.8p52
	t := d*actLog2e + magic
	n := t - magic
	r := d - n*math.Ln2
	p := actExpPoly
	q := ((((p[4]*r+p[3])*r+p[2])*r+p[1])*r+p[0])*r*r + r + 1
	return q * math.Float64frombits((math.Float64bits(t)+1023)<<52)
}

// expf32 returns e^d with the package's float32 exp semantics.
func expf32(d float32) float32 {
	if !(d >= actExpLo) {
		if d != d {
			return d
		}
		return 0
	}
	if d > actExpClamp {
		d = actExpClamp
	}
	return float32(exp64(float64(d)))
}

// expShiftGeneric is the pure-Go ExpShift.
func expShiftGeneric(dst, x []float32, shift float32) float64 {
	var s float64
	if dst == nil {
		for _, v := range x {
			s += float64(expf32(v - shift))
		}
		return s
	}
	dst = dst[:len(x)]
	for i, v := range x {
		e := expf32(v - shift)
		dst[i] = e
		s += float64(e)
	}
	return s
}

// sigmoidf32 returns 1/(1+e^−x) with the package's semantics.
func sigmoidf32(x float32) float32 {
	if !(x >= actExpLo) {
		if x != x {
			return x
		}
		return 0
	}
	d := -float64(x)
	if d < -100 {
		d = -100
	}
	return float32(1 / (1 + exp64(d)))
}

// sigmoidGeneric is the pure-Go Sigmoid.
func sigmoidGeneric(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = sigmoidf32(v)
	}
}

// actTanhPoly are the Cephes tanhf coefficients T0..T4:
// tanh(a) ≈ a + a·z·(T0 + T1·z + … + T4·z⁴), z = a², for |a| < 0.625.
var actTanhPoly = [...]float64{-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3}

// tanhf32 returns tanh(x): the odd polynomial for |x| < 0.625, else
// 1 − 2/(e^{2|x|}+1) with the sign of x.
func tanhf32(x float32) float32 {
	if x != x {
		return x
	}
	a := math.Abs(float64(x))
	var t float64
	if a < 0.625 {
		z := a * a
		p := actTanhPoly
		t = a + a*z*((((p[4]*z+p[3])*z+p[2])*z+p[1])*z+p[0])
	} else {
		t = 1 - 2/(exp64(2*min(a, 10))+1)
	}
	return float32(math.Copysign(t, float64(x)))
}

// tanhGeneric is the pure-Go Tanh.
func tanhGeneric(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = tanhf32(v)
	}
}
