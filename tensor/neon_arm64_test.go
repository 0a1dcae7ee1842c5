//go:build arm64 && !purego

package tensor

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The arm64 expectations of the NEON kernels, beside the kernel-against-naive
// tests that run every kernel of kernelsAvailable and vecAvailable (generic
// and neon here) within their rounding bounds. These pin the rounding: one
// fused multiply-add per product, in the documented order, checked bit for
// bit against fma32, an exactly rounded float32 a·b + c.

// TestNEONSelected checks that the NEON kernels are the ones in use on arm64
// and that the tests which loop over kernelsAvailable and vecAvailable run
// them beside the generic ones.
func TestNEONSelected(t *testing.T) {
	var ks, vs []string
	for _, ki := range kernelsAvailable() {
		ks = append(ks, ki.name)
	}
	for _, v := range vecAvailable() {
		vs = append(vs, v.name)
	}
	t.Logf("Features() = %q; Gemm kernels %v; vector kernels %v", Features(), ks, vs)
	if bestKernel() != neonKernel || Features() != "neon" || sgemm.vec != &neonVec {
		t.Fatalf("bestKernel() = %q, Features() = %q: want the NEON kernels on arm64", bestKernel().name, Features())
	}
	if fmt.Sprint(ks) != "[generic neon]" || fmt.Sprint(vs) != "[generic neon]" {
		t.Fatalf("kernelsAvailable %v, vecAvailable %v: want [generic neon] for both", ks, vs)
	}
}

// fma32 returns a·b + c rounded once to float32 (round to nearest even), as
// FMLA and FMADDS compute it. The product is exact in float64 (48
// significant bits); the sum is rounded to float64 by round-to-odd (the
// nearest float64 with an odd last bit when inexact, from the exact error of
// TwoSum), after which rounding to float32 is correct because float64 has
// at least 24+2 bits (Boldo & Melquiond, "Emulation of FMA and correctly
// rounded sums: proved algorithms using rounding to odd", IEEE TC 2008).
// Plain float32(a·b + c) in float64 would round twice and can be wrong at a
// float32 midpoint (TestFMA32 has such a case).
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	bv := s - p
	e := (p - (s - bv)) + (float64(c) - bv)
	if e != 0 && math.Float64bits(s)&1 == 0 {
		s = math.Nextafter(s, math.Copysign(math.Inf(1), e))
	}
	return float32(s)
}

// TestFMA32 checks the reference against exact big.Float arithmetic on
// random operands of spread exponents and on a constructed double-rounding
// case: 24929·(673·2⁻²⁴) = 1 + 2⁻²⁴ exactly, the midpoint between 1 and
// 1 + 2⁻²³, and c = ±2⁻⁶⁰ decides the side (float64 alone rounds the sum back
// to the midpoint and then to even, 1, for both signs).
func TestFMA32(t *testing.T) {
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(400).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetFloat64(float64(c)))
		f, _ := x.Float32()
		return f
	}
	type abc struct{ a, b, c float32 }
	cases := []abc{
		{24929, 673 * 0x1p-24, 0x1p-60},  // 1 + 2⁻²³
		{24929, 673 * 0x1p-24, -0x1p-60}, // 1
	}
	r := rand.New(rand.NewPCG(5, 13))
	rnd := func() float32 {
		return float32(math.Ldexp(r.Float64()*2-1, r.IntN(60)-30))
	}
	for range 20000 {
		cases = append(cases, abc{rnd(), rnd(), rnd()})
	}
	for _, c := range cases {
		if got, want := fma32(c.a, c.b, c.c), exact(c.a, c.b, c.c); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, exact %g", c.a, c.b, c.c, got, want)
		}
	}
	if fma32(24929, 673*0x1p-24, 0x1p-60) != 1+0x1p-23 {
		t.Fatalf("the midpoint case is not rounded up")
	}
}

// TestNEONVecFused checks Axpy, the eight-row Axpy and Scale of the NEON set
// bit for bit: y[i] = fma32(alpha, x[i], y[i]) (eight of them in row order
// for axpy8) and x[i] = alpha·x[i], in the vector body and in the tail; and
// that they write nothing past the end. The generic set must give the same
// bits here: the arm64 compiler fuses its y[i] += alpha·x[i] into FMADDS
// (allowed by the Go spec), which is what lets the event engine's SparseRows
// (generic Go kernels on arm64) match the dense engine's VecMat (NEON) bit
// for bit, as infer's TestEventMatchesDense requires of every kernel set but
// AVX-512.
func TestNEONVecFused(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 4))
	lengths := append(vecLengths()[:71], 255, 1000, 4097)
	for _, v := range vecAvailable() {
		for _, n := range lengths {
			alpha := float32(r.Float64()*4 - 2)
			x, y0 := randSlice(r, n), randSlice(r, n)
			y := append(append([]float32(nil), y0...), guard)
			v.k.axpy(alpha, x, y[:n])
			for i := 0; i < n; i++ {
				if want := fma32(alpha, x[i], y0[i]); math.Float32bits(y[i]) != math.Float32bits(want) {
					t.Fatalf("%s axpy n=%d: y[%d] = %v, fused %v", v.name, n, i, y[i], want)
				}
			}
			if math.Float32bits(y[n]) != guardBits {
				t.Fatalf("%s axpy n=%d wrote past the end", v.name, n)
			}

			var a [8]float32
			var w [8][]float32
			for i := range w {
				a[i], w[i] = float32(r.Float64()*2-1), randSlice(r, n)
			}
			y = append(append([]float32(nil), y0...), guard)
			v.k.axpy8(a, w, y[:n])
			for j := 0; j < n; j++ {
				want := y0[j]
				for i := range w {
					want = fma32(a[i], w[i][j], want)
				}
				if math.Float32bits(y[j]) != math.Float32bits(want) {
					t.Fatalf("%s axpy8 n=%d: y[%d] = %v, eight fused steps %v", v.name, n, j, y[j], want)
				}
			}
			if math.Float32bits(y[n]) != guardBits {
				t.Fatalf("%s axpy8 n=%d wrote past the end", v.name, n)
			}

			xs := append(append([]float32(nil), x...), guard)
			v.k.scale(alpha, xs[:n])
			for i := 0; i < n; i++ {
				if want := alpha * x[i]; math.Float32bits(xs[i]) != math.Float32bits(want) {
					t.Fatalf("%s scale n=%d: x[%d] = %v, want %v", v.name, n, i, xs[i], want)
				}
			}
			if math.Float32bits(xs[n]) != guardBits {
				t.Fatalf("%s scale n=%d wrote past the end", v.name, n)
			}
		}
	}
}

// dotNEONOrder is the NEON Dot's summation written out for n ≥ 4: element i
// of the 32-float blocks goes to lane i%4 of partial sum (i%32)/4, the
// remaining whole vectors to partial sum 0, each by one FMA; the eight sums
// are added as ((0+1)+(2+3))+((4+5)+(6+7)), the lanes as (l0+l1)+(l2+l3) (two
// FADDP), and the last n%4 products by FMA in order.
func dotNEONOrder(x, y []float32) float32 {
	n := len(x)
	var acc [8][4]float32
	body := n &^ 31
	for i := 0; i < body; i++ {
		acc[i%32/4][i%4] = fma32(x[i], y[i], acc[i%32/4][i%4])
	}
	for i := body; i < n&^3; i++ {
		acc[0][i%4] = fma32(x[i], y[i], acc[0][i%4])
	}
	add := func(a, b [4]float32) (c [4]float32) {
		for l := range c {
			c[l] = a[l] + b[l]
		}
		return c
	}
	v := add(add(add(acc[0], acc[1]), add(acc[2], acc[3])), add(add(acc[4], acc[5]), add(acc[6], acc[7])))
	s := (v[0] + v[1]) + (v[2] + v[3])
	for i := n &^ 3; i < n; i++ {
		s = fma32(x[i], y[i], s)
	}
	return s
}

// TestNEONDotOrder checks the NEON Dot bit for bit against dotNEONOrder, so
// its order is the documented one (and fixed by the length alone); below 4
// elements the wrapper calls dotGeneric.
func TestNEONDotOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 30))
	for _, n := range append(vecLengths()[:71], 255, 1000, 4097) {
		x, y := randSlice(r, n), randSlice(r, n)
		got := neonVec.dot(x, y)
		want := dotGeneric(x, y)
		if n >= 4 {
			want = dotNEONOrder(x, y)
		}
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("dot n=%d: NEON %v, its documented order %v", n, got, want)
		}
	}
}

// gemmFusedOrder is Gemm as the NEON kernels promise to compute it, one
// element at a time: for m ≥ 4 the products are added by FMA in the order
// p = 0..k-1 within each k block of kBlocks (the blocks of kcFor of the
// whole product), each block's sum s written as alpha·s (beta = 0) or
// alpha·s + beta·c with both products rounded, beta = 1 after the first
// block; for m < 4 (the matrix-vector path) the whole k is one sum, by FMA
// (Axpy over p) or by the NEON Dot (transB). alpha ≠ 0 and k > 0.
func gemmFusedOrder(tc gemmCase, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	op := func(x []float32, ld int, trans bool, i, j int) float32 {
		if trans {
			return x[j*ld+i]
		}
		return x[i*ld+j]
	}
	writeBack := func(s, beta, cv float32) float32 {
		if beta == 0 {
			return tc.alpha * s
		}
		return float32(tc.alpha*s) + float32(beta*cv)
	}
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			cv := c[i*ldc+j]
			if tc.m < smallM {
				var s float32
				if tc.transB {
					ar, br := make([]float32, tc.k), make([]float32, tc.k)
					for p := range ar {
						ar[p], br[p] = op(a, lda, tc.transA, i, p), op(b, ldb, true, p, j)
					}
					s = dotGeneric(ar, br) // what the wrapper calls below 4
					if tc.k >= 4 {
						s = dotNEONOrder(ar, br)
					}
				} else {
					for p := 0; p < tc.k; p++ {
						s = fma32(op(a, lda, tc.transA, i, p), op(b, ldb, false, p, j), s)
					}
				}
				c[i*ldc+j] = writeBack(s, tc.beta, cv)
				continue
			}
			nb, kb, rem := kBlocks(tc.k, neonKernel.kcFor(tc.n, tc.k))
			p0, beta := 0, tc.beta
			for blk := 0; blk < nb; blk++ {
				kc := kb
				if blk < rem {
					kc++
				}
				var s float32
				for p := p0; p < p0+kc; p++ {
					s = fma32(op(a, lda, tc.transA, i, p), op(b, ldb, tc.transB, p, j), s)
				}
				cv = writeBack(s, beta, cv)
				p0, beta = p0+kc, 1
			}
			c[i*ldc+j] = cv
		}
	}
}

// TestNEONGemmFusedOrder checks Gemm with the NEON kernel bit for bit
// against gemmFusedOrder: every transpose, ragged row and column strips
// (the edge kernels and the driver's ragged-tile path), B read in place and
// packed (ldb = 256), several k blocks, the doubled k block of wide products
// (n ≥ 1024, k ≥ 512), beta 0, 1 and other, and the matrix-vector path.
// Most alpha and beta are not powers of two, so that their products round
// and a fused write-back would show.
func TestNEONGemmFusedOrder(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(2)
	r := rand.New(rand.NewPCG(17, 71))
	cases := []gemmCase{
		{false, false, 8, 12, 5, 0, 0, 0, 1, 0},           // one full tile
		{false, false, 13, 29, 37, 1, 2, 3, 0.7, 0.3},     // ragged rows and columns
		{true, false, 21, 40, 300, 0, 0, 1, -0.6, 1},      // two k blocks
		{false, true, 36, 25, 257, 2, 1, 0, 1.3, 0},       // B transposed, two k blocks
		{true, true, 17, 23, 64, 0, 3, 0, 2, -1},          // both transposed
		{false, false, 40, 100, 60, 0, 156, 0, 1, 0},      // ldb = 256: B packed
		{false, false, 300, 30, 20, 0, 0, 0, 1, 0.3},      // two row blocks (mc = 256)
		{false, true, 9, 1030, 520, 0, 0, 0, 1, 0},        // kcFor doubles the block: one of 520
		{true, false, 3, 50, 70, 1, 1, 1, 0.7, 0.3},       // m < 4: Axpy over p
		{false, true, 2, 19, 45, 0, 0, 0, 1, 0},           // m < 4, transB: the NEON Dot
		{false, false, 4, 4, 1, 0, 0, 0, 1, 0},            // k = 1
		{false, false, 64, 1024, 256, 0, 0, 0, 0.9, -0.3}, // the small preset's step product
	}
	withKernel(neonKernel, func() {
		for _, tc := range cases {
			ar, _, br, _, lda, ldb, ldc := tc.dims()
			a, b := randSlice(r, ar*lda), randSlice(r, br*ldb)
			c0 := randSlice(r, tc.m*ldc)
			got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
			Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, got, ldc)
			gemmFusedOrder(tc, a, lda, b, ldb, want, ldc)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v: C[%d,%d] = %v, fused in order %v", tc, i/ldc, i%ldc, got[i], want[i])
				}
			}
		}
	})
}

// TestNEONPackBN checks the assembly packing of B against packStrips' Go
// loop (the reference it must equal), for one and several strips and rows,
// and that it writes nothing past the strips.
func TestNEONPackBN(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 9))
	const nr = 12
	for _, kc := range []int{1, 2, 5, 256} {
		for _, strips := range []int{1, 2, 7} {
			for _, pad := range []int{0, 3} {
				ld := strips*nr + pad
				src := randSlice(r, kc*ld)
				want := make([]float32, strips*kc*nr)
				packStrips(nil, src, ld, 0, kc, 0, strips*nr, nr, kc*nr, want)
				got := make([]float32, len(want)+1)
				got[len(want)] = guard
				packBNNEON(&got[0], &src[0], ld, kc, strips)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("kc=%d strips=%d ld=%d: dst[%d] = %v, want %v", kc, strips, ld, i, got[i], want[i])
					}
				}
				if math.Float32bits(got[len(want)]) != guardBits {
					t.Fatalf("kc=%d strips=%d: wrote past the strips", kc, strips)
				}
			}
		}
	}
}

// TestNEONAdamW checks that AdamW runs the NEON kernel on arm64 and gives
// adamwGeneric's bits (the same float32 operations in the same order) at
// lengths around the 4-float vector and one long (1001, for rounding cases),
// with and without a first moment, writing nothing past x, m and v.
func TestNEONAdamW(t *testing.T) {
	if !adamwSIMDOn {
		t.Fatalf("AdamW does not use the NEON kernel")
	}
	r := rand.New(rand.NewPCG(4, 44))
	for _, beta1 := range []float32{0, 0.9} {
		for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 1001} {
			x, g, m, v := randSlice(r, n+1), randSlice(r, n), randSlice(r, n+1), make([]float32, n+1)
			// Second moments from 0 (the first step) over six decades, so
			// that the (1−β2)·g·g term is not lost in the rounding of v.
			for i := range v {
				if i%5 != 0 {
					v[i] = float32(r.Float64() * math.Pow(10, -6*r.Float64()))
				}
			}
			x[n], m[n], v[n] = guard, guard, guard
			s := AdamWStep{LR: 3e-3, Decay: 0.1, Beta1: beta1, Beta2: 0.999, Eps: 1e-8, BC1: 0.3, BC2: 0.7}
			c := adamwConsts{s.LR, s.Decay, s.Beta1, 1 - s.Beta1, s.Beta2, 1 - s.Beta2, s.Eps, s.BC1, s.BC2}
			x2, m2, v2 := append([]float32(nil), x[:n]...), append([]float32(nil), m[:n]...), append([]float32(nil), v[:n]...)
			AdamW(x[:n], g, m[:n], v[:n], s)
			adamwGeneric(x2, g, m2, v2, &c)
			for i := 0; i < n; i++ {
				if math.Float32bits(x[i]) != math.Float32bits(x2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) ||
					math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
					t.Fatalf("β1=%v n=%d i=%d: NEON x,m,v = %v,%v,%v; Go %v,%v,%v", beta1, n, i, x[i], m[i], v[i], x2[i], m2[i], v2[i])
				}
			}
			for name, s := range map[string][]float32{"x": x, "m": m, "v": v} {
				if math.Float32bits(s[n]) != guardBits {
					t.Fatalf("β1=%v n=%d: wrote past the end of %s", beta1, n, name)
				}
			}
		}
	}
}
