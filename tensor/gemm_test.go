package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// guardBits is a NaN with a recognisable payload written around and between
// the rows of C; Gemm must leave every such word untouched.
const guardBits = 0x7fc0dead

var guard = math.Float32frombits(guardBits)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// withKernel runs f with Gemm forced to use kernel ki.
func withKernel(ki *kernelInfo, f func()) {
	old := sgemm
	sgemm = ki
	defer func() { sgemm = old }()
	f()
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int // extra leading-dimension columns
	padC           int
	alpha, beta    float32
}

// dims returns the stored shapes of A [ar×ac] and B [br×bc] and the
// leading dimensions with the case's padding.
func (tc gemmCase) dims() (ar, ac, br, bc, lda, ldb, ldc int) {
	ar, ac = tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc = tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	return ar, ac, br, bc, ac + tc.padA, bc + tc.padB, tc.n + tc.padC
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d pads=%d/%d/%d alpha=%g beta=%g",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.padA, tc.padB, tc.padC, tc.alpha, tc.beta)
}

// checkGemm runs Gemm and GemmNaive on the same random inputs and compares.
//
// Tolerance: both results are float32 sums of the same k products taken in
// different orders (the naive loop adds rounded products left to right; the
// kernels use fused multiply-adds and cut k into blocks whose partial sums
// are scaled by alpha and added to C). By the standard bound for recursive
// summation, each differs from the exact value by at most about
// k·u·Σ_p|a_ip·b_pj| (u = 2⁻²⁴ the unit roundoff), so their difference is at
// most 2·k·u·|alpha|·Σ|a||b| plus a few roundings of the write-back
// (alpha·s + beta·c, and one extra add per k block). We allow
// 2·(k+4)·u·|alpha|·Σ|a||b| + 4·u·(|alpha·s| + |beta·c|), which is tight
// enough to catch any wrong or missing term (each term is ~|a||b|) yet
// insensitive to the legitimate reordering.
func checkGemm(t *testing.T, r *rand.Rand, tc gemmCase) {
	t.Helper()
	ar, ac, br, bc, lda, ldb, ldc := tc.dims()
	a := randSlice(r, max(ar*lda, 1))
	b := randSlice(r, max(br*ldb, 1))
	// Padding columns of A and B hold NaN: Gemm must never read them.
	for i := 0; i < ar; i++ {
		for j := ac; j < lda; j++ {
			a[i*lda+j] = float32(math.NaN())
		}
	}
	for i := 0; i < br; i++ {
		for j := bc; j < ldb; j++ {
			b[i*ldb+j] = float32(math.NaN())
		}
	}
	const g = 37 // guard words before and after C
	size := tc.m * ldc
	buf := make([]float32, g+size+g)
	for i := range buf {
		buf[i] = guard
	}
	c0 := randSlice(r, size)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			v := c0[i*ldc+j]
			if tc.beta == 0 {
				v = float32(math.NaN()) // must not propagate
			}
			buf[g+i*ldc+j] = v
		}
	}
	want := make([]float32, len(buf))
	copy(want, buf)
	cEnd := g + max(size-tc.padC, 0)
	Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, buf[g:cEnd], ldc)
	GemmNaive(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want[g:cEnd], ldc)

	const u = 1.0 / (1 << 24)
	bad := 0
	for idx := range buf {
		var i, j int
		if ldc > 0 {
			i, j = (idx-g)/ldc, (idx-g)%ldc
		}
		inside := idx >= g && idx < g+size && j < tc.n
		if !inside {
			if math.Float32bits(buf[idx]) != guardBits {
				t.Fatalf("%v: guard word %d (row %d col %d) overwritten: %v", tc, idx-g, i, j, buf[idx])
			}
			continue
		}
		var s float64
		for p := 0; p < tc.k; p++ {
			var av, bv float32
			if tc.transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			if tc.transB {
				bv = b[j*ldb+p]
			} else {
				bv = b[p*ldb+j]
			}
			s += math.Abs(float64(av) * float64(bv))
		}
		w := float64(want[idx])
		cv := 0.0
		if tc.beta != 0 {
			cv = math.Abs(float64(tc.beta) * float64(c0[i*ldc+j]))
		}
		tol := 2*float64(tc.k+4)*u*math.Abs(float64(tc.alpha))*s + 4*u*(math.Abs(w)+cv)
		got := float64(buf[idx])
		if math.IsNaN(got) || math.Abs(got-w) > tol {
			t.Errorf("%v: C[%d,%d] = %v, want %v (tol %g)", tc, i, j, got, w, tol)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
}

var awkward = []int{1, 2, 3, 7, 13, 16, 17, 31, 32, 33, 63, 65, 127, 129, 257}

func testGemmKernel(t *testing.T, ki *kernelInfo) {
	withKernel(ki, func() {
		r := rand.New(rand.NewPCG(1, uint64(len(ki.name))))
		scalars := []float32{1, 0, 0.5, -1}
		// Every transpose combination on a grid of awkward sizes.
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for it := 0; it < 60; it++ {
					tc := gemmCase{transA: tA, transB: tB,
						m: awkward[r.IntN(len(awkward))], n: awkward[r.IntN(len(awkward))], k: awkward[r.IntN(len(awkward))],
						padA: r.IntN(3) * r.IntN(5), padB: r.IntN(3) * r.IntN(5), padC: r.IntN(3) * r.IntN(5),
						alpha: scalars[r.IntN(4)], beta: scalars[r.IntN(4)]}
					checkGemm(t, r, tc)
				}
			}
		}
		// Larger shapes crossing the mc/nc/kc block sizes.
		for _, tc := range []gemmCase{
			{false, false, 200, 300, 600, 1, 3, 2, 1, 0},
			{true, false, 130, 1100, 520, 0, 0, 5, 0.5, 1},
			{false, true, 500, 97, 300, 2, 1, 0, -1, 0.5},
			{true, true, 61, 1030, 257, 0, 0, 0, 1, -1},
			{false, false, 1, 700, 300, 0, 0, 0, 1, 0},
			{false, true, 300, 1, 300, 0, 0, 0, 1, 1},
			{true, false, 3, 2100, 50, 1, 1, 1, 0.5, 0.5}, // small-m path, several column chunks
			{true, true, 2, 40, 70, 0, 0, 0, 1, 0},
			{false, false, 40, 100, 60, 0, 156, 0, 1, 0}, // ldb = 256 → packed B
		} {
			checkGemm(t, r, tc)
		}
		// k == 0 and alpha == 0 only scale C; empty problems do nothing.
		checkGemm(t, r, gemmCase{m: 5, n: 7, k: 0, alpha: 1, beta: 0.5})
		checkGemm(t, r, gemmCase{m: 5, n: 7, k: 0, alpha: 1, beta: 0})
		checkGemm(t, r, gemmCase{m: 5, n: 7, k: 3, alpha: 0, beta: -1})
		checkGemm(t, r, gemmCase{m: 0, n: 7, k: 3, alpha: 1, beta: 1})
		checkGemm(t, r, gemmCase{m: 4, n: 0, k: 3, alpha: 1, beta: 1})
	})
}

func TestGemmKernels(t *testing.T) {
	for _, ki := range kernelsAvailable() {
		t.Run(ki.name, func(t *testing.T) { testGemmKernel(t, ki) })
	}
}

func TestGemmDefaultKernel(t *testing.T) {
	t.Logf("Features() = %q", Features())
	r := rand.New(rand.NewPCG(7, 7))
	checkGemm(t, r, gemmCase{m: 70, n: 90, k: 110, alpha: 1, beta: 0})
}

func TestGemmThreadsDeterministic(t *testing.T) {
	defer SetThreads(Threads())
	shapes := []gemmCase{
		{false, false, 64, 1000, 700, 0, 0, 3, 1, 0},
		{false, false, 700, 200, 800, 0, 0, 0, 1, 1},
		{false, true, 256, 517, 300, 0, 0, 0, 0.5, 0},
		{true, false, 200, 331, 700, 0, 0, 1, 1, 1},
		{true, true, 97, 129, 520, 1, 1, 1, -1, 0.5},
		{false, true, 100, 1100, 1100, 0, 0, 0, 1, 0}, // twice the k block (kcFor)
		// Split along m (ragged strips, two k blocks, transposed B) and
		// along n into parts of many tiles.
		{false, false, 600, 77, 700, 0, 0, 0, 1, 0.5},
		{true, true, 500, 90, 600, 1, 2, 3, -1, 0},
		{false, true, 64, 5000, 300, 0, 1, 0, 1, 1},
	}
	for _, ki := range kernelsAvailable() {
		withKernel(ki, func() {
			for _, tc := range shapes {
				r := rand.New(rand.NewPCG(3, 4))
				ar, _, br, _, lda, ldb, ldc := tc.dims()
				a := randSlice(r, ar*lda)
				b := randSlice(r, br*ldb)
				c0 := randSlice(r, tc.m*ldc)
				var ref []float32
				for _, th := range []int{1, 2, 3, 1} {
					SetThreads(th)
					c := append([]float32(nil), c0...)
					Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
					if ref == nil {
						ref = c
						continue
					}
					for i := range c {
						if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
							t.Fatalf("%s %v: threads=%d differs from threads=1 at %d: %v vs %v", ki.name, tc, th, i, c[i], ref[i])
						}
					}
				}
			}
		})
	}
}

func TestGemmThreadsCorrect(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(3)
	r := rand.New(rand.NewPCG(5, 6))
	for _, ki := range kernelsAvailable() {
		withKernel(ki, func() {
			// Above minParallelWork, split by n and by m respectively.
			checkGemm(t, r, gemmCase{false, false, 65, 700, 260, 1, 2, 3, 1, 0.5})
			checkGemm(t, r, gemmCase{true, true, 300, 100, 300, 0, 0, 0, -1, 0})
			// Along m with transposed B and a ragged n; along n, wide.
			checkGemm(t, r, gemmCase{false, true, 500, 90, 600, 0, 1, 0, 1, 0.5})
			checkGemm(t, r, gemmCase{false, false, 40, 4500, 200, 0, 0, 0, 1, 0})
		})
	}
}

func TestSetThreads(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(0)
	if Threads() != 1 {
		t.Fatalf("SetThreads(0): Threads() = %d", Threads())
	}
	SetThreads(4)
	if Threads() != 4 {
		t.Fatalf("SetThreads(4): Threads() = %d", Threads())
	}
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

func TestGemmPanics(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 9)
	for name, f := range map[string]func(){
		"ok":       nil,
		"short a":  func() { Gemm(false, false, 3, 3, 5, 1, a, 5, b, 3, 0, c, 3) },
		"short b":  func() { Gemm(false, false, 3, 3, 4, 1, a, 4, b[:11], 3, 0, c, 3) },
		"short c":  func() { Gemm(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c[:8], 3) },
		"short aT": func() { Gemm(true, false, 3, 3, 4, 1, a[:11], 3, b, 3, 0, c, 3) },
		"short bT": func() { Gemm(false, true, 3, 3, 4, 1, a, 4, b[:11], 4, 0, c, 3) },
		"lda":      func() { Gemm(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3) },
		"ldc":      func() { Gemm(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c, 2) },
		"neg m":    func() { Gemm(false, false, -1, 3, 4, 1, a, 4, b, 3, 0, c, 3) },
		"neg k":    func() { Gemm(false, false, 3, 3, -4, 1, a, 4, b, 3, 0, c, 3) },
		"naive":    func() { GemmNaive(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c[:8], 3) },
		"gemm64": func() {
			Gemm64(false, false, 3, 3, 4, 1, make([]float64, 11), 4, make([]float64, 12), 3, 0, make([]float64, 9), 3)
		},
		"dot":  func() { Dot(a, b[:3]) },
		"axpy": func() { Axpy(1, a, b[:3]) },
	} {
		if f == nil {
			Gemm(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c, 3) // exact lengths are fine
			continue
		}
		mustPanic(t, name, f)
	}
}

func TestGemm64(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for it := 0; it < 200; it++ {
		tA, tB := r.IntN(2) == 1, r.IntN(2) == 1
		m, n, k := awkward[r.IntN(len(awkward))], awkward[r.IntN(len(awkward))], awkward[r.IntN(len(awkward))]
		if it%50 == 0 {
			m, n, k = 150, 600, 300 // crosses the k and n blocks
		}
		pad := r.IntN(3)
		alpha := []float64{1, 0, 0.5, -1}[r.IntN(4)]
		beta := []float64{1, 0, 0.5, -1}[r.IntN(4)]
		ar, ac := m, k
		if tA {
			ar, ac = k, m
		}
		br, bc := k, n
		if tB {
			br, bc = n, k
		}
		lda, ldb, ldc := ac+pad, bc+pad, n+pad
		a, b, c := make([]float64, ar*lda), make([]float64, br*ldb), make([]float64, m*ldc)
		for _, s := range [][]float64{a, b, c} {
			for i := range s {
				s[i] = r.Float64()*2 - 1
			}
		}
		if beta == 0 {
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					c[i*ldc+j] = math.NaN()
				}
			}
		}
		got := append([]float64(nil), c...)
		Gemm64(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
		for i := 0; i < m; i++ {
			for j := 0; j < ldc; j++ {
				if j >= n {
					if math.Float64bits(got[i*ldc+j]) != math.Float64bits(c[i*ldc+j]) {
						t.Fatalf("padding of C modified")
					}
					continue
				}
				var s, sa float64
				for p := 0; p < k; p++ {
					var av, bv float64
					if tA {
						av = a[p*lda+i]
					} else {
						av = a[i*lda+p]
					}
					if tB {
						bv = b[j*ldb+p]
					} else {
						bv = b[p*ldb+j]
					}
					s += av * bv
					sa += math.Abs(av * bv)
				}
				want := alpha * s
				if beta != 0 {
					want += beta * c[i*ldc+j]
				}
				// float64 reordering error: ~k·2⁻⁵³·Σ|ab|, with margin.
				if d := math.Abs(got[i*ldc+j] - want); !(d <= 1e-14*float64(k+2)*(sa+1)) {
					t.Fatalf("Gemm64 tA=%v tB=%v m=%d n=%d k=%d: C[%d,%d]=%v want %v", tA, tB, m, n, k, i, j, got[i*ldc+j], want)
				}
			}
		}
	}
}

// TestGemmVariantsBitIdentical checks that the layout choices of the driver
// (edge-tile kernels, reading op(B) in place or packed, packing B all at
// once or micro-panel by micro-panel) do not change any bit of the result:
// every element is accumulated in the same order.
func TestGemmVariantsBitIdentical(t *testing.T) {
	defer func(d, l bool) { useDirectB, useLazyB = d, l }(useDirectB, useLazyB)
	r := rand.New(rand.NewPCG(8, 8))
	for _, ki := range kernelsAvailable() {
		for _, tc := range []gemmCase{
			{false, false, 64, 210, 300, 0, 3, 1, 1, 0},
			{false, false, 23, 47, 29, 0, 0, 0, -1, 0.5},
			{true, false, 100, 70, 520, 1, 1, 1, 0.5, 1},
			{false, true, 37, 90, 300, 2, 1, 0, 1, 0},
			{true, false, 250, 33, 17, 0, 0, 3, 1, 1},
		} {
			ar, _, br, _, lda, ldb, ldc := tc.dims()
			a, b := randSlice(r, ar*lda), randSlice(r, br*ldb)
			c0 := randSlice(r, tc.m*ldc)
			var ref []float32
			for v := 0; v < 4; v++ {
				useDirectB = v != 1 && v != 3
				useLazyB = v != 3
				kv := *ki
				if v == 2 {
					kv.edges = nil
				}
				c := append([]float32(nil), c0...)
				withKernel(&kv, func() {
					Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
				})
				if ref == nil {
					ref = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
						t.Fatalf("%s %v variant %d: element %d differs: %v vs %v", ki.name, tc, v, i, c[i], ref[i])
					}
				}
			}
		}
	}
}

// TestGemmConcurrent calls Gemm from several goroutines at once (sharing the
// worker pool and the scratch free list) and checks every result bit for bit
// against a serial run.
func TestGemmConcurrent(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(2)
	r := rand.New(rand.NewPCG(21, 22))
	const m, n, k = 70, 650, 190 // above minParallelWork
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	Gemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	errs := make(chan string, 8)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, m*n)
			for it := 0; it < 5; it++ {
				Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
						errs <- fmt.Sprintf("goroutine result differs at %d", i)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestGemmNoAllocs checks that, once its scratch is warm, a product
// allocates nothing on one thread: the training loop relies on it (its
// benchmark reports allocations per step). The shapes cover every packing
// path: A plain with a partial last strip (m = 32: 12+12+8 rows), A
// transposed, B transposed, B read in place, a packed B, and m < 4.
func TestGemmNoAllocs(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(1)
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct {
		transA, transB bool
		m, n, k        int
	}{
		{false, false, 32, 256, 96}, {false, true, 64, 100, 300}, {true, false, 45, 130, 70},
		{true, true, 29, 33, 40}, {false, false, 4, 1000, 50}, {false, false, 3, 64, 64},
	} {
		a, b, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), randSlice(r, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		var p PackedB
		p.Set(s.transB, s.k, s.n, b, ldb)
		run := func() {
			Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
			GemmPacked(s.transA, s.m, 1, a, lda, &p, 1, c, s.n)
		}
		run() // warm the scratch and pack
		if n := testing.AllocsPerRun(5, run); n != 0 {
			t.Errorf("%+v: %v allocations per product pair, want 0", s, n)
		}
	}
}
