package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmPackedBitIdentical checks GemmPacked against Gemm, bit for bit, on
// every kernel, for both layouts of A and B, awkward sizes (1, primes, k
// over several blocks, n over several column blocks and thread parts), with
// 1 and 2 threads, repeated products with one packing, and a re-Set after B
// changes. Guard values after C catch stray writes.
func TestGemmPackedBitIdentical(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(31, 32))
	const guard = -777.25
	for _, ki := range kernelsAvailable() {
		for _, tc := range []gemmCase{
			{false, false, 32, 1024, 256, 0, 0, 0, 1, 1},
			{false, true, 32, 256, 1024, 0, 0, 0, 1, 0},
			{false, false, 1, 77, 13, 0, 1, 0, 1, 0},
			{false, false, 3, 100, 300, 2, 0, 1, 0.5, 1},
			{true, false, 13, 541, 601, 1, 3, 2, 1, 0.5},
			{false, true, 70, 2100, 97, 0, 1, 0, -1, 0},
			{true, true, 5, 33, 2, 0, 0, 0, 2, 1},
			{false, false, 250, 40, 517, 0, 0, 0, 1, 0},
			{false, false, 40, 1030, 600, 0, 0, 0, 1, 1}, // twice the k block (kcFor)
			{false, false, 96, 256, 3000, 0, 0, 0, 1, 0}, // the decoder's dh: Emb [V×E] in several k blocks
			{false, true, 96, 3000, 256, 0, 0, 0, 1, 0},  // its logits: Embᵀ, many strips
		} {
			ar, _, br, _, lda, ldb, ldc := tc.dims()
			b := randSlice(r, br*ldb)
			var p PackedB
			withKernel(ki, func() {
				p.Set(tc.transB, tc.k, tc.n, b, ldb)
				for step := 0; step < 3; step++ {
					if step == 2 { // B changes: re-Set repacks
						for i := range b {
							b[i] = -b[i] * 0.5
						}
						p.Set(tc.transB, tc.k, tc.n, b, ldb)
					}
					// Pack on one thread, then on two (strips split across
					// goroutines): the packed values must be the same.
					SetThreads(1)
					p.Set(tc.transB, tc.k, tc.n, b, ldb)
					p.Pack()
					one := append([]float32(nil), p.data...)
					SetThreads(2)
					p.Set(tc.transB, tc.k, tc.n, b, ldb)
					p.Pack()
					for i := range one {
						if math.Float32bits(p.data[i]) != math.Float32bits(one[i]) {
							t.Fatalf("%s %+v: packed[%d] = %v on 2 threads, %v on 1", ki.name, tc, i, p.data[i], one[i])
						}
					}
					if step == 1 {
						p.Set(tc.transB, tc.k, tc.n, b, ldb) // unpacked: GemmPacked packs
					}
					a := randSlice(r, ar*lda)
					c0 := randSlice(r, tc.m*ldc)
					want := append([]float32(nil), c0...)
					SetThreads(1)
					Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want, ldc)
					for _, threads := range []int{1, 2} {
						SetThreads(threads)
						c := append(append([]float32(nil), c0...), guard)
						GemmPacked(tc.transA, tc.m, tc.alpha, a, lda, &p, tc.beta, c[:len(c0)], ldc)
						for i := range want {
							if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s %+v step %d threads %d: C[%d] = %v, Gemm gives %v", ki.name, tc, step, threads, i, c[i], want[i])
							}
						}
						if c[len(c0)] != guard {
							t.Fatalf("%s %+v: guard overwritten", ki.name, tc)
						}
					}
				}
			})
		}
	}
}

func TestPackedBBadInput(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Set with a short B did not panic")
		}
	}()
	var p PackedB
	p.Set(false, 10, 10, make([]float32, 99), 10)
}

// TestGemmPackedSerialRows splits products into ranges of rows (some of
// fewer than 4 rows) computed by GemmPackedSerial and requires the bits of
// GemmPacked on the whole product.
func TestGemmPackedSerialRows(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, ki := range kernelsAvailable() {
		for _, tc := range []struct {
			transB  bool
			m, n, k int
			cuts    []int
		}{
			{false, 32, 1024, 256, []int{16}},
			{true, 32, 256, 1024, []int{1, 13, 30}},
			{false, 9, 77, 300, []int{2, 3, 7}},
			{true, 64, 130, 600, []int{12, 24, 25, 50}},
			{false, 40, 1100, 600, []int{12, 20}}, // twice the k block (kcFor)
		} {
			ldb := tc.n
			if tc.transB {
				ldb = tc.k
			}
			a, b := randSlice(r, tc.m*tc.k), randSlice(r, ldb*max(tc.n, tc.k))
			c0 := randSlice(r, tc.m*tc.n)
			withKernel(ki, func() {
				var p PackedB
				p.Set(tc.transB, tc.k, tc.n, b, ldb)
				want := append([]float32(nil), c0...)
				GemmPacked(false, tc.m, 1, a, tc.k, &p, 1, want, tc.n)
				got := append([]float32(nil), c0...)
				p.Pack()
				lo := 0
				for _, hi := range append(tc.cuts, tc.m) {
					GemmPackedSerial(false, hi-lo, 1, a[lo*tc.k:], tc.k, &p, 1, got[lo*tc.n:], tc.n)
					lo = hi
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s %+v: C[%d] = %v by row ranges, %v whole", ki.name, tc, i, got[i], want[i])
					}
				}
			})
		}
	}
}
