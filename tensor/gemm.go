package tensor

import (
	"fmt"
	"sync"
)

// sgemmKernel computes one mr×nr tile of C: with acc = Σ_{p<k} a[p·mr+i]·b[p·ldb+j]
// (accumulated in order p = 0..k-1), it stores c[i·ldc+j] = alpha·acc + beta·c[i·ldc+j],
// and when beta == 0 it stores alpha·acc without reading c. a is a packed
// micro-panel of op(A) (k rows of mr values); b points to k rows of nr values
// with stride ldb (a packed micro-panel when ldb == nr, or op(B) in place).
type sgemmKernel func(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// kernelInfo describes a micro-kernel and the cache blocking used with it.
type kernelInfo struct {
	name   string
	mr, nr int // micro-tile
	mc     int // rows of op(A) packed at once (multiple of mr), L2 resident
	kc     int // maximum k block; B micro-panel kc×nr stays in L1
	nc     int // columns of op(B) packed at once (multiple of nr), L3 resident
	kern   sgemmKernel
	vec    *vecKernels // vector kernels of the same instruction set (small-m path)
	// packBN, if set, packs full nr-wide strips of a non-transposed op(B):
	// dst[(s·kc+p)·nr+j] = src[p·ldb+s·nr+j] for p < kc, s < strips (both ≥ 1).
	packBN func(dst, src *float32, ldb, kc, strips int)
	// transpose16, if set, transposes a 16×16 block:
	// dst[p·ldd+j] = src[j·lds+p] for p, j < 16.
	transpose16 func(dst *float32, ldd int, src *float32, lds int)
	// packAT, if set, packs full mr-row strips of a transposed op(A):
	// dst[s·stride+p·mr+r] = src[p·lds+s·mr+r] for p < kc, s < strips
	// (both ≥ 1).
	packAT func(dst, src *float32, lds, kc, strips, stride int)
	// packA16, if set, packs 16 columns of a full mr-row strip of a
	// non-transposed op(A): dst[p·mr+r] = src[r·lds+p] for r < mr, p < 16.
	packA16 func(dst *float32, src *float32, lds int)
	// edges are optional smaller variants for the last rows/columns of C,
	// cheapest first. They read the same packed panels (mr-row A strips)
	// and perform the same per-element arithmetic as kern, on a rows×cols
	// sub-tile only.
	edges []edgeKernel
}

type edgeKernel struct {
	rows, cols int
	kern       sgemmKernel
}

// tileKernel returns the kernel to use for an mh×nw tile (mh ≤ mr, nw ≤ nr)
// and the size of the sub-tile it writes.
func (ki *kernelInfo) tileKernel(mh, nw int) (sgemmKernel, int, int) {
	if mh < ki.mr || nw < ki.nr {
		for _, e := range ki.edges {
			if e.rows >= mh && e.cols >= nw {
				return e.kern, e.rows, e.cols
			}
		}
	}
	return ki.kern, ki.mr, ki.nr
}

// sgemm is the kernel used by Gemm; tests may swap it (see withKernel in
// gemm_test.go) to exercise every kernel the CPU supports.
var sgemm *kernelInfo

func init() {
	sgemm = bestKernel()
}

// Features reports which float32 kernel Gemm, Dot, Axpy and Scale use:
// "avx512", "avx2" or "generic".
func Features() string { return sgemm.name }

func checkDims(transA, transB bool, m, n, k int, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("tensor: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("a", ar, ac, la, lda)
	checkMat("b", br, bc, lb, ldb)
	checkMat("c", m, n, lc, ldc)
}

func checkMat(name string, rows, cols, length, ld int) {
	if ld < cols || ld < 0 {
		panic(fmt.Sprintf("tensor: leading dimension ld%s=%d < %d columns", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; length < need {
		panic(fmt.Sprintf("tensor: slice %s too short: len=%d, need %d (%d×%d, ld=%d)", name, length, need, rows, cols, ld))
	}
}

// scaleC sets C = beta·C (C = 0 when beta == 0, without reading C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// GemmNaive computes C = alpha·op(A)·op(B) + beta·C with a plain triple loop.
// It has the same contract as Gemm and accumulates each element in float32
// in the order p = 0..k-1; it is the reference for tests.
func GemmNaive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkDims(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float32(av * bv)
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = float32(alpha*s) + float32(beta*c[i*ldc+j])
			}
		}
	}
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ. C is [m×n] with leading dimension ldc; op(A) is [m×k], A
// is stored [m×k] (lda ≥ k) or, if transA, [k×m] (lda ≥ m); op(B) is [k×n],
// B is stored [k×n] (ldb ≥ n) or, if transB, [n×k] (ldb ≥ k). When
// beta == 0, C is not read (NaNs in C do not propagate). It panics if a slice
// is too short or a dimension negative.
//
// Gemm uses up to Threads() goroutines, splitting only the m or n dimension;
// results are bit-identical for every thread count (see the package doc).
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkDims(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	g := gemmArgs{ki: sgemm, transA: transA, transB: transB, m: m, n: n, k: k, kc: sgemm.kcFor(n, k),
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	if m < smallM {
		s := getScratch()
		g.gemv(s)
		putScratch(s)
		return
	}
	runGemm(&g, Threads())
}

// gemmArgs is one (sub)problem for the blocked driver.
type gemmArgs struct {
	ki             *kernelInfo
	transA, transB bool
	m, n, k        int
	kc             int // largest k block (kcFor of the whole product)
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	// packed, if set, holds op(B) already packed (see PackedB); pj0 is the
	// column of op(B) where this (sub)problem starts.
	packed *PackedB
	pj0    int
}

// scratch holds the per-goroutine packing buffers.
type scratch struct {
	a, b, tmp []float32
}

// scratchFree is a free list of packing buffers. Unlike a sync.Pool it is
// not emptied by the garbage collector, so steady-state Gemm calls do not
// allocate; it holds at most one scratch per concurrently running part.
var scratchFree struct {
	sync.Mutex
	list []*scratch
}

func getScratch() *scratch {
	scratchFree.Lock()
	defer scratchFree.Unlock()
	if n := len(scratchFree.list); n > 0 {
		s := scratchFree.list[n-1]
		scratchFree.list = scratchFree.list[:n-1]
		return s
	}
	return new(scratch)
}

func putScratch(s *scratch) {
	scratchFree.Lock()
	scratchFree.list = append(scratchFree.list, s)
	scratchFree.Unlock()
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// growHuge is grow for buffers of packed operands, which may be several MiB:
// a new buffer is advised into huge pages before it is first written.
func growHuge(s []float32, n int) []float32 {
	if cap(s) < n {
		s = make([]float32, n)
		adviseHuge(s)
	}
	return s[:n]
}

// useHugePages enables adviseHuge (tests and tuning may clear it).
var useHugePages = true

// kcFor returns the largest k block for a product with n columns and inner
// dimension k. kernelInfo.kc keeps the B micro-panel in L1; wide products
// with a long k get twice that: every k block reads and writes all of C
// again, and for C of 4480×1350..5400 that traffic costs more than reading
// a 64 KiB micro-panel from L2 (paired runs, median of 15: inproj
// 4480×3000×1350 +10%, dX 4480×1350×5400 +8..12%, dec 512×10000×750 +6%,
// step_dnext 64×1350×5400 +6%; docs/results/performance.md). It depends on
// n and k of the whole product only, so a split into rows or columns, and a
// PackedB, use the same blocks.
func (ki *kernelInfo) kcFor(n, k int) int {
	if n >= 1024 && k >= 2*ki.kc {
		return 2 * ki.kc
	}
	return ki.kc
}

// kBlocks returns the number of k blocks and the base block size: k is cut
// into nb blocks of size kb or kb+1 (the first k%nb blocks are one longer).
// It depends only on k and kcMax (see kcFor), never on threading.
func kBlocks(k, kcMax int) (nb, kb, rem int) {
	nb = (k + kcMax - 1) / kcMax
	return nb, k / nb, k % nb
}

// run executes the blocked algorithm on g serially. Tiles are aligned to
// multiples of mr and nr from the origin of g, so a caller that splits C on
// multiples of mr (rows) or nr (columns) gets the same per-element
// arithmetic as the unsplit problem.
func (g *gemmArgs) run(s *scratch) {
	ki := g.ki
	mr, nr := ki.mr, ki.nr
	m, n, k := g.m, g.n, g.k
	nb, kb, krem := kBlocks(k, g.kc)
	kcMax := kb
	if krem > 0 {
		kcMax++
	}
	// A non-transposed op(B) has contiguous rows, so full nr-wide strips can
	// be read in place (no packing) with row stride ldb. That pays off when
	// few rows of C share each micro-panel, so that packing would cost about
	// as much as the products: with ldb = 1000, m = 4 runs 2.7× faster in
	// place, m = 35 1.19×, m = 127 1.12×, and m = 160..384 (one row block)
	// the same. With several row blocks the contiguous packed panel wins
	// (m = 1120: 1.12×, m = 4480, k = 1350, ldb = 3000: 1.12×), and so it
	// does when rows are ≥ 8 KiB apart, each on its own page (m = 32,
	// ldb = 3000: 1.04×; m = 12, ldb = 5400: 1.43×), unless there are fewer
	// than mr rows (m = 4, ldb = 5400: 1.8× in place). Strides that are
	// multiples of 1 KiB alias in the L1 and L2 sets and are always packed.
	// Paired runs, median of 15 (docs/results/performance.md).
	direct := !g.transB && useDirectB && g.packed == nil && g.ldb%256 != 0 &&
		(g.m <= ki.mc && g.ldb < 2048 || g.m < mr && g.ldb < 8192)
	// With a single block of rows each packed B micro-panel is used by one
	// pass over the rows only, so pack it just before that pass: it is
	// then read back from L1 instead of L2, and the loads of B interleave
	// with the FMAs of the previous micro-panel.
	lazyB := !direct && useLazyB && m <= ki.mc && g.packed == nil
	// With a single block of rows and B packed a whole column block at a
	// time (lazy packing switched off), the packed panel is used only once,
	// so keep it small enough to stay in L2 while it is written and read.
	// Otherwise a wide column block saves repacking A for every block.
	ncb := ki.nc
	if m <= ki.mc && !direct && !lazyB && g.packed == nil {
		ncb = min(ncb, smallNC)
	}
	mcMax := min(ki.mc, (m+mr-1)/mr*mr)
	ncMax := min(ncb, (n+nr-1)/nr*nr)
	s.a = grow(s.a, (mcMax/mr)*aStride(kcMax, mr))
	s.b = growHuge(s.b, ncMax*kcMax)
	s.tmp = grow(s.tmp, mr*nr)
	for jc := 0; jc < n; jc += ncb {
		nc := min(ncb, n-jc)
		p0 := 0
		for blk := 0; blk < nb; blk++ {
			kc := kb
			if blk < krem {
				kc++
			}
			beta := g.beta
			if blk > 0 {
				beta = 1
			}
			if direct {
				// Only the ragged last strip needs packing (zero padded).
				if r := nc % nr; r != 0 {
					packB(ki, g.transB, g.b, g.ldb, p0, kc, jc+nc-r, r, nr, s.b)
				}
			} else if !lazyB && g.packed == nil {
				packB(ki, g.transB, g.b, g.ldb, p0, kc, jc, nc, nr, s.b)
			}
			for ic := 0; ic < m; ic += ki.mc {
				mc := min(ki.mc, m-ic)
				packA(ki, g.transA, g.a, g.lda, ic, mc, p0, kc, mr, s.a, s.tmp)
				for jr := 0; jr < nc; jr += nr {
					nw := min(nr, nc-jr)
					var pb *float32
					ldb := nr
					if direct && nw == nr {
						pb = &g.b[p0*g.ldb+jc+jr]
						ldb = g.ldb
					} else if direct {
						pb = &s.b[0]
					} else if g.packed != nil {
						pb = &g.packed.data[g.packed.blockOff[blk]+(g.pj0+jc+jr)*kc]
					} else {
						if lazyB {
							packB(ki, g.transB, g.b, g.ldb, p0, kc, jc+jr, nw, nr, s.b[jr*kc:])
						}
						pb = &s.b[jr*kc]
					}
					for ir := 0; ir < mc; ir += mr {
						mh := min(mr, mc-ir)
						pa := &s.a[(ir/mr)*aStride(kc, mr)]
						ci := (ic+ir)*g.ldc + jc + jr
						kern, kr, kn := ki.tileKernel(mh, nw)
						if mh == kr && nw == kn {
							kern(kc, pa, pb, ldb, &g.c[ci], g.ldc, g.alpha, beta)
							continue
						}
						// Ragged tile: compute into tmp, then apply alpha/beta
						// exactly like the kernels do (unfused, rounded).
						kern(kc, pa, pb, ldb, &s.tmp[0], nr, 1, 0)
						for i := 0; i < mh; i++ {
							crow := g.c[ci+i*g.ldc : ci+i*g.ldc+nw]
							trow := s.tmp[i*nr : i*nr+nw]
							if beta == 0 {
								for j, t := range trow {
									crow[j] = g.alpha * t
								}
							} else {
								for j, t := range trow {
									crow[j] = float32(g.alpha*t) + float32(beta*crow[j])
								}
							}
						}
					}
				}
			}
			p0 += kc
		}
	}
}

// aStride is the distance in floats between the packed strips of A: a
// strip holds kc·mr floats, and aPad more keep the strips from starting a
// multiple of 4 KiB apart (kc = 256, mr = 12 gives 12 KiB), where all of
// them would map to the same L1 set and evict each other while being
// written (packing a transposed A went from 84 to 51 µs per 256×384 block
// with the padding, measured).
func aStride(kc, mr int) int { return kc*mr + aPad }

// aPad is 16 floats, one cache line (a variable for TestTuneBlocking).
var aPad = 16

// packA packs op(A)[i0:i0+mc, p0:p0+kc] into dst as strips of mr rows,
// aStride(kc, mr) floats apart: dst[s·aStride+p·mr+r] = op(A)[i0+s·mr+r, p0+p],
// zero padded to a multiple of mr rows. tmp is scratch of at least mr·16
// floats.
func packA(ki *kernelInfo, trans bool, a []float32, lda, i0, mc, p0, kc, mr int, dst, tmp []float32) {
	if trans {
		// op(A)[i,p] = a[p*lda+i]: row p of a holds column p of the block,
		// contiguous across all strips, so this is packStrips, reading a
		// row by row (sequential reads; strip by strip would touch kc rows,
		// each on its own page when lda is large, per mr floats).
		stride := aStride(kc, mr)
		done := 0
		if full := mc / mr; ki.packAT != nil && full > 0 {
			_ = a[(p0+kc-1)*lda+i0+full*mr-1]
			_ = dst[(full-1)*stride+kc*mr-1]
			ki.packAT(&dst[0], &a[p0*lda+i0], lda, kc, full, stride)
			done = full * mr
		}
		if done < mc {
			packStrips(nil, a, lda, p0, kc, i0+done, mc-done, mr, stride, dst[done/mr*stride:])
		}
		return
	}
	for s := 0; s*mr < mc; s++ {
		rows := min(mr, mc-s*mr)
		d := dst[s*aStride(kc, mr) : s*aStride(kc, mr)+mr*kc]
		pb := 0
		if ki.packA16 != nil && rows == mr {
			r0 := (i0+s*mr)*lda + p0
			_ = a[r0+(mr-1)*lda+kc-1]
			for ; pb+16 <= kc; pb += 16 {
				ki.packA16(&d[pb*mr], &a[r0+pb], lda)
			}
		} else if ki.packA16 != nil && kc >= 16 {
			// The last, partial strip (a batch of 32 or 64 leaves 8 or 4
			// rows): copy its rows 16 columns at a time into a zero-padded
			// block of mr rows and transpose that. Packing 32×1024
			// went from 25.6 to 15.1 µs, and the step product
			// 32×256×1024 (NT) got 1.06× faster (paired runs, median of 15).
			// The block is tmp (scratch), not a local array: passed to
			// the kernel through a func value it would escape to the heap.
			blk := tmp[:mr*16]
			clear(blk[rows*16:])
			r0 := (i0+s*mr)*lda + p0
			for ; pb+16 <= kc; pb += 16 {
				for r := 0; r < rows; r++ {
					copy(blk[r*16:r*16+16], a[r0+r*lda+pb:])
				}
				ki.packA16(&d[pb*mr], &blk[0], 16)
			}
		}
		for r := 0; r < rows; r++ {
			src := a[(i0+s*mr+r)*lda+p0+pb : (i0+s*mr+r)*lda+p0+kc]
			for p, v := range src {
				d[(pb+p)*mr+r] = v
			}
		}
		for r := rows; r < mr; r++ {
			for p := pb; p < kc; p++ { // columns < pb were zeroed above
				d[p*mr+r] = 0
			}
		}
	}
}

// packStrips packs rows p0..p0+kc-1, columns j0..j0+nc-1 of the row-major
// matrix src (leading dimension ld) as strips of w columns, stride floats
// apart in dst, zero padded to a multiple of w:
// dst[s·stride+p·w+j] = src[(p0+p)·ld+j0+s·w+j]. A transposed op(A) and a
// non-transposed op(B) are both packed this way. It goes row by row, so that
// src is read sequentially (prefetcher friendly); fast, if not nil, packs
// the full strips of a B (stride kc·w; see kernelInfo.packBN).
func packStrips(fast func(dst, src *float32, ld, kc, strips int), src []float32, ld, p0, kc, j0, nc, w, stride int, dst []float32) {
	if fast != nil && stride != kc*w {
		panic("tensor: packStrips: the assembly packs strips kc·w apart")
	}
	full := nc / w
	done := 0 // full strips already packed
	if fast != nil && full > 0 {
		// Bounds: rows p0..p0+kc-1, columns j0..j0+full·w-1 of src, and
		// full·kc·w floats of dst.
		_ = src[(p0+kc-1)*ld+j0+full*w-1]
		_ = dst[full*kc*w-1]
		fast(&dst[0], &src[p0*ld+j0], ld, kc, full)
		done = full
		if full*w == nc {
			return
		}
	}
	for p := 0; p < kc; p++ {
		row := src[(p0+p)*ld+j0 : (p0+p)*ld+j0+nc]
		for s := done; s < full; s++ {
			d, v := dst[s*stride+p*w:s*stride+(p+1)*w], row[s*w:(s+1)*w]
			// Fixed 16-byte moves compile to vector loads and stores; a
			// copy, or a move of a larger array, to a call of
			// runtime.memmove, which for 48 bytes costs more than the move.
			for q := 0; q+4 <= w; q += 4 {
				*(*[4]float32)(d[q:]) = *(*[4]float32)(v[q:])
			}
			if w%4 != 0 {
				copy(d[w&^3:], v[w&^3:])
			}
		}
		if r := nc - full*w; r > 0 {
			d := dst[full*stride+p*w : full*stride+(p+1)*w]
			copy(d, row[full*w:])
			clear(d[r:])
		}
	}
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into dst as strips of nr columns:
// dst[(s·kc+p)·nr+j] = op(B)[p0+p, j0+s·nr+j], zero padded to a multiple of nr columns.
func packB(ki *kernelInfo, trans bool, b []float32, ldb, p0, kc, j0, nc, nr int, dst []float32) {
	if !trans {
		packStrips(ki.packBN, b, ldb, p0, kc, j0, nc, nr, kc*nr, dst)
		return
	}
	for s := 0; s*nr < nc; s++ {
		cols := min(nr, nc-s*nr)
		d := dst[s*nr*kc : (s+1)*nr*kc]
		jb := 0
		if ki.transpose16 != nil && kc >= 16 && nr%16 == 0 {
			// 16×16 register transposes, then the ragged p tail.
			kc16 := kc &^ 15
			for ; jb+16 <= cols; jb += 16 {
				r0 := (j0+s*nr+jb)*ldb + p0
				_ = b[r0+15*ldb+kc-1]
				for p := 0; p < kc16; p += 16 {
					ki.transpose16(&d[p*nr+jb], nr, &b[r0+p], ldb)
				}
				for j := jb; j < jb+16; j++ {
					src := b[r0+(j-jb)*ldb+kc16 : r0+(j-jb)*ldb+kc]
					for p, v := range src {
						d[(kc16+p)*nr+j] = v
					}
				}
			}
		}
		// op(B)[p,j] = b[j*ldb+p]: read rows of B contiguously.
		for j := jb; j < cols; j++ {
			src := b[(j0+s*nr+j)*ldb+p0 : (j0+s*nr+j)*ldb+p0+kc]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := 0; p < kc; p++ {
				d[p*nr+j] = 0
			}
		}
	}
}

// smallNC is the column block used when all rows fit one row block and B
// is packed a column block at a time.
var smallNC = 512

// useDirectB enables reading op(B) in place (tests and tuning may clear it).
var useDirectB = true

// useLazyB enables packing B micro-panel by micro-panel when all rows of C
// are one row block (tests and tuning may clear it).
var useLazyB = true

// smallM is the row count below which Gemm uses the matrix-vector path
// (padding a 1..3-row problem to a 12-row micro-tile would waste most FMAs).
// The choice depends only on m, so determinism is preserved.
const smallM = 4

// gemvChunk is the column block of the small-m path: 3 accumulator rows of
// 1024 floats stay in L1 while the k rows of op(B) stream through.
const gemvChunk = 1024

// gemv computes a problem with m < smallM rows, one row of C at a time,
// serially, with the vector kernels. Each element is accumulated in a fixed
// order (Axpy over p = 0..k-1, or one Dot of length k) and then written back
// as alpha·acc + beta·c, like the tiled path.
func (g *gemmArgs) gemv(s *scratch) {
	vk := g.ki.vec
	m, n, k := g.m, g.n, g.k
	arow := func(i int) []float32 {
		if !g.transA {
			return g.a[i*g.lda : i*g.lda+k]
		}
		s.a = grow(s.a, k)
		for p := range s.a {
			s.a[p] = g.a[p*g.lda+i]
		}
		return s.a
	}
	writeBack := func(i, j0 int, t []float32) {
		crow := g.c[i*g.ldc+j0 : i*g.ldc+j0+len(t)]
		if g.beta == 0 {
			for j, v := range t {
				crow[j] = g.alpha * v
			}
		} else {
			for j, v := range t {
				crow[j] = float32(g.alpha*v) + float32(g.beta*crow[j])
			}
		}
	}
	if g.transB {
		// op(B) column j is row j of b: C[i,j] = Dot(A[i,:], b[j,:]).
		s.tmp = grow(s.tmp, n)
		for i := 0; i < m; i++ {
			a := arow(i)
			for j := 0; j < n; j++ {
				s.tmp[j] = vk.dot(a, g.b[j*g.ldb:j*g.ldb+k])
			}
			writeBack(i, 0, s.tmp)
		}
		return
	}
	s.tmp = grow(s.tmp, m*gemvChunk)
	for j0 := 0; j0 < n; j0 += gemvChunk {
		nc := min(gemvChunk, n-j0)
		acc := s.tmp[:m*nc]
		clear(acc)
		for p := 0; p < k; p++ {
			brow := g.b[p*g.ldb+j0 : p*g.ldb+j0+nc]
			for i := 0; i < m; i++ {
				var av float32
				if g.transA {
					av = g.a[p*g.lda+i]
				} else {
					av = g.a[i*g.lda+p]
				}
				vk.axpy(av, brow, acc[i*nc:(i+1)*nc])
			}
		}
		for i := 0; i < m; i++ {
			writeBack(i, j0, acc[i*nc:(i+1)*nc])
		}
	}
}
