package model

import (
	"math"
	"unsafe"

	"github.com/sparselm/sparselm/tensor"
)

// exp returns e^x. For float32 it uses expf32, which is several times faster
// than math.Exp and accurate to a few ulp; float64 (gradient checks) uses math.Exp.
func exp[F Float](x F) F {
	if unsafe.Sizeof(x) == 4 {
		return F(expf32(float32(x)))
	}
	return F(math.Exp(float64(x)))
}

// expf32 computes e^x by range reduction x = n·ln2 + r, |r| ≤ ln2/2, and a
// degree-6 Taylor polynomial of e^r (truncation error < 2e-8 relative), then
// scales by 2^n through the exponent bits. Inputs below −87.3 give 0 and above 88.3 give +Inf.
// It is written by hand because no Go library offers a fast float32 exp; the
// SIMD version belongs to package tensor.
func expf32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.3:
		return float32(math.Inf(1))
	case x < -87.33:
		return 0
	}
	const ln2Hi, ln2Lo, log2e = 0.693359375, -2.12194440e-4, 1.44269504088896341
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2Hi - n*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

func sigmoid[F Float](x F) F { return 1 / (1 + exp(-x)) }

// tanh uses tanh(x) = 1 − 2/(e^{2x}+1), which saturates correctly at both
// ends, and near 0, where that form cancels, the series x − x³/3 + 2x⁵/15
// (relative error below 17x⁶/315 < 4e-9 for |x| < 1/16).
func tanh[F Float](x F) F {
	if unsafe.Sizeof(x) == 8 {
		return F(math.Tanh(float64(x)))
	}
	if x > -0.0625 && x < 0.0625 {
		x2 := x * x
		return x * (1 - x2*(1.0/3-x2*(2.0/15)))
	}
	return 1 - 2/(exp(2*x)+1)
}

// sigmoidSlice sets dst[i] = σ(x[i]); dst may alias x. float32 runs on the SIMD kernel.
func sigmoidSlice[F Float](dst, x []F) {
	if d, ok := f32(dst); ok {
		xs, _ := f32(x)
		tensor.Sigmoid(d, xs)
		return
	}
	for i, v := range x {
		dst[i] = sigmoid(v)
	}
}

// tanhSlice sets dst[i] = tanh(x[i]); dst may alias x. float32 runs on the SIMD kernel.
func tanhSlice[F Float](dst, x []F) {
	if d, ok := f32(dst); ok {
		xs, _ := f32(x)
		tensor.Tanh(d, xs)
		return
	}
	for i, v := range x {
		dst[i] = tanh(v)
	}
}

// f32 reinterprets x as []float32 when F is float32 (see gemm for why unsafe).
func f32[F Float](x []F) ([]float32, bool) {
	var zero F
	if unsafe.Sizeof(zero) != 4 {
		return nil, false
	}
	return *(*[]float32)(unsafe.Pointer(&x)), true
}

// as32 is f32 for callers that have checked that F is float32 (nil otherwise).
func as32[F Float](x []F) []float32 {
	s, _ := f32(x)
	return s
}
