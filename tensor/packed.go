package tensor

// PackedB holds op(B) of a product packed once for many products with
// different A: the recurrent matrix of an RNN multiplies a new state at
// every step of a window, and packing it at every step costs about as much
// as the step's FMAs when the batch (m) is small. GemmPacked gives exactly
// the bits Gemm gives: the same k blocks, kernel and tile alignment; only the
// packing is hoisted.
//
// Set records the source; the packing happens at the first GemmPacked that
// needs it (products with fewer than 4 rows read B in place, so a batch-1
// evaluation never packs). After the caller changes B it must call Set again.
type PackedB struct {
	transB   bool
	k, n     int
	b        []float32
	ldb      int
	ki       *kernelInfo // kernel the data was packed for (nil: not packed)
	data     []float32
	blockOff []int // offset in data of each k block: strips of nr columns, kc×nr each
	job      packJob
}

// Set makes p stand for op(B) [k×n], B stored [k×n] (ldb ≥ n) or, if transB,
// [n×k] (ldb ≥ k). It panics if b is too short.
func (p *PackedB) Set(transB bool, k, n int, b []float32, ldb int) {
	if k < 0 || n < 0 {
		panic("tensor: PackedB.Set: negative dimension")
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("b", br, bc, len(b), ldb)
	p.transB, p.k, p.n, p.b, p.ldb = transB, k, n, b, ldb
	p.ki = nil
}

// pack packs op(B) for kernel ki, all columns, k block by k block. A large
// B (the decoder's tied embedding: V×E, 10 MB at V = 10000, E = 256) is
// packed by all threads, each taking a range of nr-wide strips in every
// block; the packed bits do not depend on the split.
func (p *PackedB) pack(ki *kernelInfo) {
	nb, kb, krem := kBlocks(p.k, ki.kcFor(p.n, p.k))
	strips := (p.n + ki.nr - 1) / ki.nr
	p.blockOff = p.blockOff[:0]
	p.data = growHuge(p.data, p.k*strips*ki.nr)
	off := 0
	for blk := 0; blk < nb; blk++ {
		kc := kb
		if blk < krem {
			kc++
		}
		p.blockOff = append(p.blockOff, off)
		off += kc * strips * ki.nr
	}
	p.ki = ki
	p.job = packJob{p: p, ki: ki, nb: nb, kb: kb, krem: krem}
	// Below about 64K values (a few tens of µs) one goroutine is faster
	// than a hand-off to a worker. p.job, not a local: a Ranger handed to
	// Parallel escapes, and a local would be allocated at every pack.
	Parallel(strips, max(1, (1<<16)/max(1, p.k*ki.nr)), &p.job)
	p.job.p = nil
}

// packJob packs strips [lo, hi) of every k block of p (a Parallel body).
type packJob struct {
	p            *PackedB
	ki           *kernelInfo
	nb, kb, krem int
}

func (j *packJob) Range(lo, hi int) {
	p, nr := j.p, j.ki.nr
	c0, c1 := lo*nr, min(hi*nr, p.n)
	p0 := 0
	for blk := 0; blk < j.nb; blk++ {
		kc := j.kb
		if blk < j.krem {
			kc++
		}
		packB(j.ki, p.transB, p.b, p.ldb, p0, kc, c0, c1-c0, nr, p.data[p.blockOff[blk]+lo*kc*nr:])
		p0 += kc
	}
}

// Pack packs op(B) now (GemmPacked otherwise packs at its first use).
// Call it before products run concurrently with GemmPackedSerial.
func (p *PackedB) Pack() {
	if p.ki != sgemm {
		p.pack(sgemm)
	}
}

// GemmPacked computes C = alpha·op(A)·op(B) + beta·C like Gemm, with op(B)
// given by p (m×k by k×n). It gives the same bits as the equivalent Gemm
// call for every thread count.
func GemmPacked(transA bool, m int, alpha float32, a []float32, lda int, p *PackedB, beta float32, c []float32, ldc int) {
	gemmPacked(transA, m, alpha, a, lda, p, beta, c, ldc, false)
}

// GemmPackedSerial is GemmPacked on the calling goroutine alone, for use
// inside a Parallel body, and it always takes the tiled path, even for
// m < 4. So a product split into ranges of rows, each computed here, gives
// the bits that GemmPacked gives for the whole product when m ≥ 4. p must
// have been packed (Pack) before concurrent use.
func GemmPackedSerial(transA bool, m int, alpha float32, a []float32, lda int, p *PackedB, beta float32, c []float32, ldc int) {
	gemmPacked(transA, m, alpha, a, lda, p, beta, c, ldc, true)
}

func gemmPacked(transA bool, m int, alpha float32, a []float32, lda int, p *PackedB, beta float32, c []float32, ldc int, serial bool) {
	k, n := p.k, p.n
	checkDims(transA, p.transB, m, n, k, len(a), lda, len(p.b), p.ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	g := gemmArgs{ki: sgemm, transA: transA, transB: p.transB, m: m, n: n, k: k, kc: sgemm.kcFor(n, k),
		alpha: alpha, a: a, lda: lda, b: p.b, ldb: p.ldb, beta: beta, c: c, ldc: ldc}
	if m < smallM && !serial {
		s := getScratch()
		g.gemv(s)
		putScratch(s)
		return
	}
	if p.ki != sgemm {
		if serial {
			panic("tensor: GemmPackedSerial: B is not packed (call Pack first)")
		}
		p.pack(sgemm)
	}
	g.packed = p
	threads := Threads()
	if serial {
		threads = 1
	}
	runGemm(&g, threads)
}
