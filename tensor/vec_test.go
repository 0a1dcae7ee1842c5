package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func vecLengths() []int {
	var ls []int
	for n := 0; n <= 70; n++ {
		ls = append(ls, n)
	}
	return append(ls, 255, 1000, 4097, 100003)
}

func testVec(t *testing.T, name string, vk vecKernels) {
	old := vec
	vec = vk
	defer func() { vec = old }()
	r := rand.New(rand.NewPCG(11, 12))
	const u = 1.0 / (1 << 24)
	for _, n := range vecLengths() {
		x, y := randSlice(r, n), randSlice(r, n)
		// Dot: float32 accumulation in an implementation-defined order;
		// error ≤ n·u·Σ|x||y| for any order (plus margin).
		var want, sa float64
		for i := range x {
			want += float64(x[i]) * float64(y[i])
			sa += math.Abs(float64(x[i]) * float64(y[i]))
		}
		if got := Dot(x, y); math.Abs(float64(got)-want) > 2*float64(n+1)*u*sa {
			t.Errorf("%s Dot n=%d: got %v want %v", name, n, got, want)
		}
		// Axpy and Scale are element-wise: one rounding (fused or not).
		alpha := float32(r.Float64()*4 - 2)
		yy := append([]float32(nil), y...)
		Axpy(alpha, x, yy)
		for i := range yy {
			w := float64(y[i]) + float64(alpha)*float64(x[i])
			if math.Abs(float64(yy[i])-w) > 2*u*(math.Abs(w)+math.Abs(float64(alpha*x[i]))) {
				t.Fatalf("%s Axpy n=%d i=%d: got %v want %v", name, n, i, yy[i], w)
			}
		}
		xx := append(append([]float32(nil), x...), guard)
		Scale(alpha, xx[:n])
		for i := 0; i < n; i++ {
			if xx[i] != alpha*x[i] {
				t.Fatalf("%s Scale n=%d i=%d: got %v want %v", name, n, i, xx[i], alpha*x[i])
			}
		}
		if math.Float32bits(xx[n]) != guardBits {
			t.Fatalf("%s Scale n=%d wrote past the end", name, n)
		}
	}
}

func TestVec(t *testing.T) {
	for _, v := range vecAvailable() {
		testVec(t, v.name, v.k)
	}
}

// TestAxpy8 checks the eight-row Axpy against eight calls of the one-row one of
// the same instruction set, bit for bit (it promises the same order and
// rounding), at lengths around every vector width and unroll boundary.
func TestAxpy8(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2))
	for _, v := range vecAvailable() {
		for n := 0; n <= 70; n++ {
			var a [8]float32
			var w [8][]float32
			for i := range w {
				a[i], w[i] = float32(r.Float64()*2-1), randSlice(r, n)
			}
			y0 := randSlice(r, n)
			got, want := append([]float32(nil), y0...), append([]float32(nil), y0...)
			v.k.axpy8(a, w, got)
			for i := range w {
				v.k.axpy(a[i], w[i], want)
			}
			for j := range got {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("%s n=%d: axpy8 y[%d] = %v, eight axpy %v", v.name, n, j, got[j], want[j])
				}
			}
		}
	}
}
