package tensor

import (
	"fmt"
	"math"
)

// Sparse storage for event-driven inference: a matrix W [K×N] whose rows are
// accumulated only for the non-zero entries of an input vector (the events),
//
//	y[j] += Σ_{i : x_i ≠ 0} x_i·W[i,j]   for j < N,
//
// reading only the surviving (unpruned) weights of the active rows. For a
// layer W is its W [I×G] or R [H×G]; for the decoder it is Embᵀ [E×V] (see
// NewSparseRows with trans), so that each active h_j reads one contiguous
// row.
//
// # Formats
//
// A SparseRows holds its rows in one of three formats, chosen per matrix
// (FormatAuto) from its density:
//
//   - FormatCSR: per row the uint16 column indices and float32 values of
//     its non-zero weights only (6 bytes a weight), added one by one by a
//     scalar load-FMA-store (AVX2 has a gather but no scatter, NEON
//     neither). Fastest
//     when few weights survive.
//   - FormatBlocks: every row cut into blocks of 8 consecutive columns
//     (block c holds columns 8c..8c+7), only the blocks with a non-zero
//     weight kept: a uint16 block index and the 8 values, zeros inside the
//     block included; a block is one 8-wide vector FMA onto y. It issues
//     8·blocks lanes where CSR issues nnz, so it wins only where most
//     blocks are full.
//   - FormatDense: the rows whole, the active ones added eight at a time by
//     the fused Axpy of the vector kernels (y loaded and stored once per
//     eight rows, no indices): for matrices with few zeros, such as an
//     unpruned decoder.
//
// For CSR and Blocks the last N mod 8 columns, if any, are kept densely per
// row and added by Go code. The measurements behind the choice are with
// chooseFormat.
//
// Counting: MACs returns the multiply-accumulates of non-zero weights with
// active inputs, Σ_{x_i≠0} nnz(row i), the effective count of package
// measure; Lanes returns what the kernel issues (zeros inside blocks and
// dense rows included).
//
// # Rounding
//
// Each y[j] receives its products in increasing i, one at a time. The AVX2
// and NEON kernels fuse each multiply-add, exactly like the Axpy kernel of
// the same instruction set; the generic kernels and the last N mod 8
// columns are Go code, which the amd64 compiler leaves unfused and the
// arm64 compiler fuses (fuse_test.go), so on arm64 the NEON and generic
// kernels give the same bits. With y zeroed MulAdd is bit-identical in
// every format to VecMat (and to Gemm at batch 1) of the same matrix when
// the instruction sets have the same vector width (AVX2, generic) or fuse
// everything (NEON, generic on arm64): a pruned weight adds x_i·0 = 0, an
// inactive row 0·W[i,j] = 0, neither changes y (up to the sign of a zero,
// or an Inf/NaN weight in an inactive row). With the
// AVX-512 vector kernels the columns between N rounded down to 16 and N
// rounded down to 8 are fused by CSR and Blocks and not by VecMat, and
// differ in the last bit.

// blockWidth is the number of consecutive columns of a block and the width
// of the column tail: one YMM vector. It is fixed (not per CPU) so that a
// layout is the same on every machine.
const blockWidth = 8

// maxSparseCols is the widest matrix a SparseRows holds: uint16 block
// indices (8 columns each) and uint16 column indices below N rounded down
// to 8 (CSR).
const maxSparseCols = 65536 + blockWidth - 1

// Format is a SparseRows storage format (see the package's sparse format
// notes).
type Format uint8

const (
	FormatAuto   Format = iota // chosen per matrix by chooseFormat
	FormatCSR                  // column indices and values of the non-zero weights
	FormatBlocks               // 8-column blocks with a non-zero weight
	FormatDense                // whole rows
)

func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatCSR:
		return "csr"
	case FormatBlocks:
		return "blocks"
	case FormatDense:
		return "dense"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// SparseRows is a sparse K×N float32 matrix stored by rows, for MulAdd (see
// the format notes). The zero value is an empty 0×0 matrix; build one with
// NewSparseRows.
type SparseRows struct {
	k, n     int
	format   Format
	rowStart []int32    // [K+1] CSR, Blocks: row i's entries are idx[rowStart[i]:rowStart[i+1]]
	idx      []uint16   // CSR: column indices; Blocks: block indices (columns 8c..8c+7); increasing within a row
	vals     []float32  // CSR: one value per index; Blocks: 8 per block, zeros included; Dense: W [K×N]
	tail     []float32  // CSR, Blocks: [K×(N mod 8)] the last N mod 8 columns, dense per row
	rowNNZ   []int32    // [K] non-zero weights per row
	cols     *colGather // CSR: the copy by column, if KeepColumns was called
}

// NewSparseRows returns W in format f (FormatAuto: the one chooseFormat
// picks). w holds W [k×n] row-major, or, if trans, Wᵀ [n×k] row-major (the
// decoder's Emb [V×E] gives W = Embᵀ [E×V]). Zero weights are dropped (in
// CSR and Blocks); a weight that is −0 counts as zero. It panics if a
// dimension is negative, n > 65543, w is too short, or f is unknown.
func NewSparseRows(trans bool, k, n int, w []float32, f Format) *SparseRows {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("tensor: NewSparseRows: negative dimension k=%d n=%d", k, n))
	}
	if n > maxSparseCols {
		panic(fmt.Sprintf("tensor: NewSparseRows: n=%d > %d columns (uint16 indices)", n, maxSparseCols))
	}
	if len(w) < k*n {
		panic(fmt.Sprintf("tensor: NewSparseRows: len(w)=%d < %d×%d", len(w), k, n))
	}
	if f > FormatDense {
		panic(fmt.Sprintf("tensor: NewSparseRows: unknown format %v", f))
	}
	at := func(i, j int) float32 {
		if trans {
			return w[j*k+i]
		}
		return w[i*n+j]
	}
	s := &SparseRows{k: k, n: n, rowNNZ: make([]int32, k)}
	full, rem := n/blockWidth, n%blockWidth
	nnz, blocks := 0, 0
	for i := 0; i < k; i++ {
		for c := 0; c < full; c++ {
			present := false
			for t := 0; t < blockWidth; t++ {
				if at(i, c*blockWidth+t) != 0 {
					present = true
					s.rowNNZ[i]++
				}
			}
			if present {
				blocks++
			}
		}
		body := int(s.rowNNZ[i])
		nnz += body
		for t := 0; t < rem; t++ {
			if at(i, full*blockWidth+t) != 0 {
				s.rowNNZ[i]++
			}
		}
	}
	if nnz > math.MaxInt32 || blocks > math.MaxInt32/blockWidth {
		// Row starts are int32: the kernels would address outside the
		// storage.
		panic(fmt.Sprintf("tensor: NewSparseRows: %d non-zero weights in %d blocks: more than int32 row starts hold", nnz, blocks))
	}
	if f == FormatAuto {
		f = chooseFormat(k, full*blockWidth, nnz, blocks)
	}
	s.format = f
	if f == FormatDense {
		s.vals = makeHugeFloats(k*n, k*n)
		for i := 0; i < k; i++ {
			for j := 0; j < n; j++ {
				s.vals[i*n+j] = at(i, j)
			}
		}
		return s
	}
	s.rowStart = make([]int32, k+1)
	s.tail = make([]float32, k*rem)
	if f == FormatCSR {
		s.idx, s.vals = makeHugeUint16(0, nnz), makeHugeFloats(0, nnz)
	} else {
		s.idx, s.vals = makeHugeUint16(0, blocks), makeHugeFloats(0, blocks*blockWidth)
	}
	for i := 0; i < k; i++ {
		s.rowStart[i] = int32(len(s.idx))
		for c := 0; c < full; c++ {
			var b [blockWidth]float32
			present := false
			for t := range b {
				b[t] = at(i, c*blockWidth+t)
				if b[t] != 0 {
					present = true
					if f == FormatCSR {
						s.idx = append(s.idx, uint16(c*blockWidth+t))
						s.vals = append(s.vals, b[t])
					}
				}
			}
			if present && f == FormatBlocks {
				s.idx = append(s.idx, uint16(c))
				s.vals = append(s.vals, b[:]...)
			}
		}
		for t := 0; t < rem; t++ {
			if v := at(i, full*blockWidth+t); v != 0 {
				s.tail[i*rem+t] = v
			}
		}
	}
	s.rowStart[k] = int32(len(s.idx))
	return s
}

// chooseFormat returns the format with the least modelled time per active
// row for a K×N matrix (n here N rounded down to a multiple of 8, the
// last N mod 8 columns left out of the comparison) with nnz non-zero
// weights in blocks non-empty 8-column blocks: CSR costs csrCost per
// weight, Blocks blockCost per block, Dense denseCost per 8 columns.
func chooseFormat(k, n, nnz, blocks int) Format {
	csr := csrCost * float64(nnz)
	blk := blockCost * float64(blocks)
	dense := denseCost * float64(k*n/blockWidth)
	switch {
	case dense <= csr && dense <= blk:
		return FormatDense
	case blk < csr:
		return FormatBlocks
	}
	return FormatCSR
}

// The cost model of chooseFormat, in units of one 8-column vector of the
// Dense format, from TestEventTune (AVX2, Zen 3, one thread, paired medians
// of 9; 1350×4050 and 256×768, 20% of rows active, uniformly random
// pruning): a CSR weight costs 0.62-0.66 of a vector (0.5 from an event
// list), a block 1.8-2.2 (a vector FMA with a load and store of y, where
// Dense added four rows per load and store). So CSR wins above about 80%
// weight sparsity, Dense below (measured: Dense at 75%, 4.42× VecMat
// against CSR 3.59×; CSR from 90%), and Blocks only where most blocks
// are full (structured sparsity): with uniformly random pruning it was
// never the fastest. Measured before Dense took rows eight at a time
// (0.87-0.93× the time of four, axpy8_amd64.s) and before the CSR scan
// kernel prefetched (0.95×, sparse_amd64.s); not re-measured since.
const (
	csrCost   = 0.6
	blockCost = 2.0
	denseCost = 1.0
)

// Format returns the storage format in use.
func (s *SparseRows) Format() Format { return s.format }

// NNZ returns the number of non-zero weights.
func (s *SparseRows) NNZ() int {
	t := 0
	for _, c := range s.rowNNZ {
		t += int(c)
	}
	return t
}

// Bytes returns the memory the matrix occupies: values, indices, row
// starts, tail and per-row counts.
func (s *SparseRows) Bytes() int {
	b := 4*len(s.vals) + 2*len(s.idx) + 4*len(s.rowStart) + 4*len(s.tail) + 4*len(s.rowNNZ)
	if s.cols != nil {
		b += s.cols.bytes()
	}
	return b
}

// MulAdd computes y[j] += Σ_{i: x_i ≠ 0} x_i·W[i,j] for j < N, reading only
// the stored weights of the rows i with x_i ≠ 0 (a NaN input is active).
// See the package's sparse format notes for the order of the sums. It
// allocates nothing. It panics if len(x) != K or len(y) != N.
func (s *SparseRows) MulAdd(x, y []float32) {
	if len(x) != s.k || len(y) != s.n {
		panic(fmt.Sprintf("tensor: SparseRows.MulAdd: len(x)=%d, len(y)=%d, want %d and %d", len(x), len(y), s.k, s.n))
	}
	if s.k == 0 || s.n == 0 {
		return
	}
	all := s.cols != nil
	for i := 0; all && i < len(x); i++ {
		all = x[i] != 0
	}
	s.mulAdd(x, nil, all, y)
}

// mulAdd is MulAdd over the rows ev lists, or, if ev is nil, over the rows
// with x_i ≠ 0 found by scanning x; all says that every x_i ≠ 0.
func (s *SparseRows) mulAdd(x []float32, ev []int32, all bool, y []float32) {
	switch s.format {
	case FormatDense:
		s.mulAddDense(x, ev, y)
		return
	case FormatCSR:
		// In bounds by construction: every column index is < N;
		// rowStart[K] = len(idx).
		switch {
		case len(s.idx) == 0:
		case all && s.cols != nil:
			sparseKern.gather(x, s.cols, y)
		case ev == nil:
			sparseKern.csr(x, s.rowStart, s.idx, s.vals, y)
		default:
			sparseKern.csrEv(x, ev, s.rowStart, s.idx, s.vals, y)
		}
	case FormatBlocks:
		if len(s.idx) > 0 {
			// Every block index c < N/8, so y[8c:8c+8] lies within y.
			sparseKern.blocks(x, s.rowStart, s.idx, s.vals, y)
		}
	}
	if rem := s.n % blockWidth; rem > 0 {
		yt := y[s.n-rem:]
		eachActive(x, ev, func(i int) {
			xi := x[i]
			for t, v := range s.tail[i*rem : i*rem+rem] {
				yt[t] += xi * v
			}
		})
	}
}

// eachActive calls f for each row i that ev lists, or, if ev is nil, for
// each i with x_i ≠ 0, in increasing order.
func eachActive(x []float32, ev []int32, f func(i int)) {
	if ev != nil {
		for _, i := range ev {
			f(int(i))
		}
		return
	}
	for i, xi := range x {
		if xi != 0 {
			f(i)
		}
	}
}

// Events returns the indices i with x_i ≠ 0 in increasing order (±0 is
// not an event, NaN is), in dst's storage (grown if cap(dst) < len(x)): the
// list MulAddEvents and MACsEvents take, built once per vector and reused
// by every matrix it multiplies. Branch-free: which inputs fire is random.
func Events(x []float32, dst []int32) []int32 {
	if cap(dst) < len(x) {
		dst = make([]int32, len(x))
	}
	dst = dst[:len(x)]
	n := 0
	for i, v := range x {
		dst[n] = int32(i)
		// 1 if any bit but the sign is set: bits+0x7fffffff carries into
		// bit 31 exactly when bits ≥ 1 (bits ≤ 0x7fffffff after the mask).
		n += int((math.Float32bits(v)&0x7fffffff + 0x7fffffff) >> 31)
	}
	return dst[:n]
}

// MulAddEvents is MulAdd(x, y) for ev = Events(x, ·), the active rows
// listed: the CSR and Dense kernels walk the list instead of testing every
// x_i (CSR prefetching each next row; Blocks still scans x), and a list of
// every row goes to MulAdd's scan. The result is MulAdd's, bit for bit. It
// panics if len(x) != K, len(y) != N, or ev is not increasing within [0, K).
func (s *SparseRows) MulAddEvents(x []float32, ev []int32, y []float32) {
	if len(x) != s.k || len(y) != s.n {
		panic(fmt.Sprintf("tensor: SparseRows.MulAddEvents: len(x)=%d, len(y)=%d, want %d and %d", len(x), len(y), s.k, s.n))
	}
	checkEvents("MulAddEvents", ev, s.k)
	if len(ev) == 0 || s.n == 0 {
		return
	}
	if len(ev) == s.k {
		// Every row: consecutive rows lie one after the other, which the
		// hardware prefetcher follows; the scan kernels are faster there
		// (measured, TestEventTune, paper layer 0's W on the dense
		// embedding: 1.95× VecMat against 1.64× for the list).
		ev = nil
	}
	s.mulAdd(x, ev, ev == nil, y)
}

// MACsEvents is MACs(x) for ev = Events(x, ·). It panics if ev is not
// increasing within [0, K).
func (s *SparseRows) MACsEvents(ev []int32) int {
	checkEvents("MACsEvents", ev, s.k)
	t := 0
	for _, i := range ev {
		t += int(s.rowNNZ[i])
	}
	return t
}

func checkEvents(name string, ev []int32, k int) {
	last := int32(-1)
	for _, i := range ev {
		if i <= last || int(i) >= k {
			panic(fmt.Sprintf("tensor: SparseRows.%s: event list not increasing within [0, %d): %d after %d", name, k, i, last))
		}
		last = i
	}
}

// mulAddDense adds the active rows of the dense format (those ev lists,
// or with x_i ≠ 0 if ev is nil) eight at a time with the fused Axpy of the
// vector kernels, then the last one to seven.
func (s *SparseRows) mulAddDense(x []float32, ev []int32, y []float32) {
	n := s.n
	vk := sgemm.vec
	var a [8]float32
	var rows [8][]float32
	q := 0
	eachActive(x, ev, func(i int) {
		a[q], rows[q] = x[i], s.vals[i*n:i*n+n]
		if q++; q == 8 {
			vk.axpy8(a, rows, y)
			q = 0
		}
	})
	for t := 0; t < q; t++ {
		vk.axpy(a[t], rows[t], y)
	}
}

// MACs returns the multiply-accumulates of MulAdd(x, ·) that involve a
// non-zero weight: Σ over i with x_i ≠ 0 of the non-zero weights of row i.
// It panics if len(x) != K.
func (s *SparseRows) MACs(x []float32) int {
	if len(x) != s.k {
		panic(fmt.Sprintf("tensor: SparseRows.MACs: len(x)=%d, want %d", len(x), s.k))
	}
	t := 0
	for i, xi := range x {
		if xi != 0 {
			t += int(s.rowNNZ[i])
		}
	}
	return t
}

// Lanes returns the multiply-adds MulAdd(x, ·) issues: Σ over i with x_i ≠
// 0 of nnz(row i) for CSR, 8·blocks(i) for Blocks (zeros inside blocks
// included) and N for Dense, plus N mod 8 for the tail columns of CSR and
// Blocks. It panics if len(x) != K.
func (s *SparseRows) Lanes(x []float32) int {
	if len(x) != s.k {
		panic(fmt.Sprintf("tensor: SparseRows.Lanes: len(x)=%d, want %d", len(x), s.k))
	}
	t := 0
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		switch s.format {
		case FormatDense:
			t += s.n
		case FormatCSR:
			t += int(s.rowStart[i+1]-s.rowStart[i]) + s.n%blockWidth
		case FormatBlocks:
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

// sparseKernels are the CSR and Blocks kernels of one instruction set. Both
// take x [K], rowStart [K+1], the indices and values of the format and y,
// and add the stored entries of the rows with x_i ≠ 0 (±0 bits skipped).
type sparseKernels struct {
	name        string
	csr, blocks func(x []float32, rowStart []int32, idx []uint16, vals []float32, y []float32)
	// csrEv is csr over the listed rows ev (increasing, each < K).
	csrEv func(x []float32, ev []int32, rowStart []int32, cols []uint16, vals []float32, y []float32)
	// gather is csr over every row, from the column copy (KeepColumns).
	gather func(x []float32, g *colGather, y []float32)
}

var genericSparse = sparseKernels{"generic", csrGeneric, blocksGeneric, csrEventsGeneric, gatherGeneric}

// sparseKern is the kernel set in use; tests may swap it.
var sparseKern = bestSparse()

// blocksGeneric is the portable Blocks kernel: full blocks only.
func blocksGeneric(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32) {
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

// csrGeneric is the portable CSR kernel.
func csrGeneric(x []float32, rowStart []int32, cols []uint16, vals []float32, y []float32) {
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		a, b := rowStart[i], rowStart[i+1]
		v := vals[a:b]
		for q, c := range cols[a:b] {
			y[c] += xi * v[q]
		}
	}
}

// csrEventsGeneric is csrGeneric over the listed rows.
func csrEventsGeneric(x []float32, ev []int32, rowStart []int32, cols []uint16, vals []float32, y []float32) {
	for _, i := range ev {
		xi := x[i]
		a, b := rowStart[i], rowStart[i+1]
		v := vals[a:b]
		for q, c := range cols[a:b] {
			y[c] += xi * v[q]
		}
	}
}
