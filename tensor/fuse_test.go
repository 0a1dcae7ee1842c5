package tensor

import "testing"

// mulAddPlain is a·b + c as plain Go: a compiler may fuse it into one FMA
// (the Go spec allows it; the arm64 compiler does, amd64's does not below
// GOAMD64=v3), exactly as it may fuse the generic kernels' loops.
//
//go:noinline
func mulAddPlain(a, b, c float32) float32 { return a*b + c }

// compilerFuses reports whether this build's compiler fuses x·y + z in
// plain Go: with a = 1 + 2⁻¹², a·a = 1 + 2⁻¹¹ + 2⁻²⁴ exactly, so a fused
// a·a − (1 + 2⁻¹¹) is 2⁻²⁴ and an unfused one (the product rounded to
// float32 first) is not.
func compilerFuses() bool {
	a := float32(1 + 0x1p-12)
	return mulAddPlain(a, a, -(1+0x1p-11)) == 0x1p-24
}

// The generic kernels are plain Go: where the compiler fuses, they are
// checked against references written the same way (vecMatPlain,
// mulAddRowsPlain) instead of the explicitly unfused VecMatNaive and
// MulAddNaive, whose float32 conversions forbid fusion.

func vecMatPlain(m, k, n int, x, w, y []float32) {
	for b := 0; b < m; b++ {
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				y[b*n+j] += x[b*k+p] * w[p*n+j]
			}
		}
	}
}

func mulAddRowsPlain(k, n int, w, x, y []float32) {
	for i := 0; i < k; i++ {
		if x[i] == 0 {
			continue
		}
		for j := 0; j < n; j++ {
			if w[i*n+j] != 0 {
				y[j] += x[i] * w[i*n+j]
			}
		}
	}
}

func TestCompilerFuses(t *testing.T) {
	t.Logf("compiler fuses x·y + z: %v", compilerFuses())
}
