package tensor

import (
	"fmt"
	"unsafe"
)

// Sparse storage for event-driven inference: a matrix W [K×N] whose rows are
// accumulated only for the non-zero entries of an input vector (the events),
//
//	y[j] += Σ_{i : x_i ≠ 0} x_i·W[i,j]   for j < N,
//
// reading only the surviving (unpruned) weights of the active rows. For a
// layer W is its W [I×G] or R [H×G]; for the decoder it is Embᵀ [E×V] (see
// NewBlockRows with trans), so that each active h_j reads one contiguous row.
//
// # Format
//
// BlockRows cuts every row into blocks of 8 consecutive columns (block c
// holds columns 8c..8c+7) and keeps only the blocks with at least one
// non-zero weight: a uint16 block index and the 8 values, zeros inside the
// block included. A block is then one 8-wide vector FMA onto y (AVX2 has a
// gather but no scatter, so a per-weight list of column indices, CSR, costs
// a scalar load-multiply-add-store per weight). The last N mod 8 columns,
// if any, are kept densely per row and added by Go code.
//
// Measured (TestEventTune, AVX2 EPYC Zen 3, one thread, paired medians of 9;
// speedup over VecMat on the same shape, "of" = speedup / counted reduction):
// on the L2-resident small shapes blocks beat CSR everywhere (256×768, 20%
// active: 90% sparse 5.1× (0.10) vs CSR 2.8×; 98% 15.6× vs 10.1×), and the
// block cap is (1-s)/(1-s⁸) of the counted reduction, since both it and the
// dense Axpy issue one 8-wide store per 8 lanes. On the paper shape
// 1350×4050 (13-22 MB, streamed from memory) CSR's 6 bytes per weight win
// from 90% on (20% active: 90% CSR 14.5× (0.29), blocks 9.9×; 98% 52× vs
// 26×). A format chosen per matrix by size and density is left to do.
//
// Counting: MACs returns the multiply-accumulates of non-zero weights with
// active inputs, Σ_{x_i≠0} nnz(row i), the effective count of package
// measure; Lanes returns what the kernel issues, zeros inside blocks
// included.
//
// # Rounding
//
// Each y[j] receives its products in increasing i, one at a time. The AVX2
// kernel fuses each multiply-add (the generic kernel does not, nor do the
// last N mod 8 columns), exactly like the Axpy kernel of the same
// instruction set, so with y zeroed MulAdd is bit-identical to VecMat (and to
// Gemm at batch 1) of the same matrix when the instruction sets have the
// same vector width (AVX2, generic): a pruned weight adds x_i·0 = 0, an
// inactive row 0·W[i,j] = 0, neither changes y (up to the sign of a zero, or
// an Inf/NaN weight in an inactive row). With the AVX-512 Gemm the columns
// between N rounded down to 16 and N rounded down to 8 are fused here and
// not there, and differ in the last bit.

// blockWidth is the number of consecutive columns of a BlockRows block: one
// YMM vector. It is fixed (not per CPU) so that a layout is the same on every
// machine.
const blockWidth = 8

// maxBlockCols is the widest matrix a BlockRows holds: uint16 block indices.
const maxBlockCols = 65536 * blockWidth

// BlockRows is a sparse K×N float32 matrix stored by rows as blocks of 8
// columns, for MulAdd (see the format above). The zero value is an empty
// 0×0 matrix; build one with NewBlockRows.
type BlockRows struct {
	k, n     int
	rowStart []int32   // [K+1] row i's blocks are blocks[rowStart[i]:rowStart[i+1]]
	blocks   []uint16  // [nblocks] block index c: columns 8c..8c+7, increasing within a row
	vals     []float32 // [nblocks×8] the blocks' values, zeros included
	tail     []float32 // [K×(N mod 8)] the last N mod 8 columns, dense per row
	rowNNZ   []int32   // [K] non-zero weights per row (blocks and tail)
}

// NewBlockRows returns W as a BlockRows. w holds W [k×n] row-major, or, if
// trans, Wᵀ [n×k] row-major (the decoder's Emb [V×E] gives W = Embᵀ
// [E×V]). Zero weights are dropped; a weight that is −0 counts as zero.
// It panics if a dimension is negative, n > 524288, or w is too short.
func NewBlockRows(trans bool, k, n int, w []float32) *BlockRows {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("tensor: NewBlockRows: negative dimension k=%d n=%d", k, n))
	}
	if n > maxBlockCols {
		panic(fmt.Sprintf("tensor: NewBlockRows: n=%d > %d columns (uint16 block indices)", n, maxBlockCols))
	}
	if len(w) < k*n {
		panic(fmt.Sprintf("tensor: NewBlockRows: len(w)=%d < %d×%d", len(w), k, n))
	}
	at := func(i, j int) float32 {
		if trans {
			return w[j*k+i]
		}
		return w[i*n+j]
	}
	full, rem := n/blockWidth, n%blockWidth
	s := &BlockRows{k: k, n: n, rowStart: make([]int32, k+1), tail: make([]float32, k*rem), rowNNZ: make([]int32, k)}
	for pass := 0; pass < 2; pass++ { // count, then fill
		nb := 0
		for i := 0; i < k; i++ {
			s.rowStart[i] = int32(nb)
			nnz := 0
			for c := 0; c < full; c++ {
				present := false
				for t := 0; t < blockWidth; t++ {
					if v := at(i, c*blockWidth+t); v != 0 {
						present = true
						nnz++
						if pass == 1 {
							s.vals[nb*blockWidth+t] = v
						}
					}
				}
				if present {
					if pass == 1 {
						s.blocks[nb] = uint16(c)
					}
					nb++
				}
			}
			for t := 0; t < rem; t++ {
				if v := at(i, full*blockWidth+t); v != 0 {
					nnz++
					s.tail[i*rem+t] = v
				}
			}
			s.rowNNZ[i] = int32(nnz)
		}
		s.rowStart[k] = int32(nb)
		if pass == 0 {
			s.blocks = make([]uint16, nb)
			s.vals = make([]float32, nb*blockWidth)
		}
	}
	return s
}

// NNZ returns the number of non-zero weights.
func (s *BlockRows) NNZ() int {
	t := 0
	for _, c := range s.rowNNZ {
		t += int(c)
	}
	return t
}

// Bytes returns the memory the matrix occupies: values, block indices, row
// starts, tail and per-row counts.
func (s *BlockRows) Bytes() int {
	return 4*len(s.vals) + 2*len(s.blocks) + 4*len(s.rowStart) + 4*len(s.tail) + 4*len(s.rowNNZ)
}

// MulAdd computes y[j] += Σ_{i: x_i ≠ 0} x_i·W[i,j] for j < N, reading only
// the stored blocks of the rows i with x_i ≠ 0 (a NaN input is active). See
// the package's sparse format notes for the order of the sums. It allocates
// nothing. It panics if len(x) != K or len(y) != N.
func (s *BlockRows) MulAdd(x, y []float32) {
	if len(x) != s.k || len(y) != s.n {
		panic(fmt.Sprintf("tensor: BlockRows.MulAdd: len(x)=%d, len(y)=%d, want %d and %d", len(x), len(y), s.k, s.n))
	}
	if s.k == 0 {
		return
	}
	if len(s.blocks) > 0 {
		// In bounds by construction: every block index c < N/8, so
		// y[8c:8c+8] lies within y; rowStart[K] = len(blocks).
		blockRows(x, s.rowStart, s.blocks, s.vals, y)
	}
	if rem := s.n % blockWidth; rem > 0 {
		yt := y[s.n-rem:]
		for i, xi := range x {
			if xi == 0 {
				continue
			}
			for t, v := range s.tail[i*rem : i*rem+rem] {
				yt[t] += xi * v
			}
		}
	}
}

// MACs returns the multiply-accumulates of MulAdd(x, ·) that involve a
// non-zero weight: Σ over i with x_i ≠ 0 of the non-zero weights of row i.
// It panics if len(x) != K.
func (s *BlockRows) MACs(x []float32) int {
	if len(x) != s.k {
		panic(fmt.Sprintf("tensor: BlockRows.MACs: len(x)=%d, want %d", len(x), s.k))
	}
	t := 0
	for i, xi := range x {
		if xi != 0 {
			t += int(s.rowNNZ[i])
		}
	}
	return t
}

// Lanes returns the multiply-adds MulAdd(x, ·) issues, zeros inside the
// stored blocks included: Σ over i with x_i ≠ 0 of 8·blocks(i) + N mod 8.
// It panics if len(x) != K.
func (s *BlockRows) Lanes(x []float32) int {
	if len(x) != s.k {
		panic(fmt.Sprintf("tensor: BlockRows.Lanes: len(x)=%d, want %d", len(x), s.k))
	}
	t := 0
	for i, xi := range x {
		if xi != 0 {
			t += blockWidth*int(s.rowStart[i+1]-s.rowStart[i]) + s.n%blockWidth
		}
	}
	return t
}

// MulAddNaive is the reference for MulAdd: the dense loop over every row
// with x_i ≠ 0 and every column, in float32, in the same order
// (y[j] += x_i·W[i,j] for i = 0..K-1), unfused. w holds W [k×n] row-major.
func MulAddNaive(k, n int, w, x, y []float32) {
	checkBatch("MulAddNaive", 1, k, n, len(x), len(w), len(y))
	for i := 0; i < k; i++ {
		if x[i] == 0 {
			continue
		}
		for j := 0; j < n; j++ {
			y[j] += float32(x[i] * w[i*n+j])
		}
	}
}

// blockRowsGeneric is the portable BlockRows kernel: full blocks only.
func blockRowsGeneric(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32) {
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		a, b := int(rowStart[i]), int(rowStart[i+1])
		v := vals[a*blockWidth : b*blockWidth]
		for q, c := range blocks[a:b] {
			yb := (*[blockWidth]float32)(y[int(c)*blockWidth:])
			vb := (*[blockWidth]float32)(v[q*blockWidth:])
			for t := range blockWidth {
				yb[t] += xi * vb[t]
			}
		}
	}
}

// csrRows is the alternative format that BlockRows was measured against
// (BenchmarkEventKernels): per row a list of uint16 column indices and
// float32 values of its non-zero weights only, added one by one (scalar
// scatter-add). Unexported: it is kept for the benchmark and its test.
type csrRows struct {
	k, n     int
	rowStart []int32
	cols     []uint16
	vals     []float32
}

func newCSRRows(k, n int, w []float32) *csrRows {
	if n > 65536 {
		panic("tensor: newCSRRows: n > 65536")
	}
	c := &csrRows{k: k, n: n, rowStart: make([]int32, k+1)}
	for i := 0; i < k; i++ {
		for j, v := range w[i*n : i*n+n] {
			if v != 0 {
				c.cols = append(c.cols, uint16(j))
				c.vals = append(c.vals, v)
			}
		}
		c.rowStart[i+1] = int32(len(c.cols))
	}
	return c
}

// mulAdd is BlockRows.MulAdd for the CSR layout. Every column index is < n
// by construction, so y is addressed without bounds checks.
func (c *csrRows) mulAdd(x, y []float32) {
	if len(x) != c.k || len(y) != c.n {
		panic("tensor: csrRows.mulAdd: bad lengths")
	}
	if c.n == 0 {
		return
	}
	yp := unsafe.Pointer(&y[0])
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		a, b := c.rowStart[i], c.rowStart[i+1]
		vals := c.vals[a:b]
		for q, col := range c.cols[a:b] {
			p := (*float32)(unsafe.Add(yp, uintptr(col)*4))
			*p += xi * vals[q]
		}
	}
}
