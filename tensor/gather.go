package tensor

import (
	"fmt"
	"sort"
)

// The column copy of a CSR matrix, for inputs whose every entry is active
// (layer 0's input, the embedding of a word, has no zeros).
//
// The CSR kernels add a weight with a load, a fused multiply-add and a
// store of y[c] at a random column c; when every row is active, the same
// sums can run the other way round: output column j keeps its non-zero
// weights W[i,j] in increasing i, and
//
//	y[j] = fma(x_i, W[i,j], y[j])   for those i, in increasing i,
//
// in a register, reading x_i from the input (which stays in L1) instead of
// storing y. That is the same sequence of fused operations on y[j] as the
// CSR kernels perform (both skip the pruned weights; the scan and list
// kernels also skip x_i = ±0, which only happens here for an input with
// zeros, see MulAdd), so the result is bit for bit the same, and each
// weight costs two loads and an FMA instead of two loads, an FMA and a
// store. Measured on Zen 3 (AVX2, one thread, TestGatherTune, paired
// medians of 15, every input active, four matrices cycled): 1.22×, 1.29×,
// 1.29×, 1.19× the speed of the CSR scan kernel on 750×4050 (the paper's
// layer 0 W) at 75, 90, 95, 98% sparsity; on 256×768 1.32×, 1.25×, 1.10×
// and 0.91× (5 entries a column at 98%: the per-group work dominates,
// hence minColumnEntries). In the paper EGRU's six layer products of a
// token (90% / 20%) the copy on layer 0's W took 0.86-0.92× the time; on
// the paper LSTM, whose every input is active, the layers ran 1.3-1.4×
// faster (bench infer --paper --cell lstm, 2.64-2.87× → 3.75× the dense
// engine, alternate runs).
//
// Layout: the body columns (N rounded down to 8) are sorted by their count
// of non-zero weights, most first, and taken eight at a time as a group
// whose eight lanes the kernel sums in eight registers. A group stores
// first the entries every lane has (common[g] of them, the count of its
// last and shortest lane), interleaved: entry t of lane l at 8t+l; then
// each lane's remaining entries, lane after lane (extra[8g+l] of them).
// Sorting keeps the lanes of a group within a few entries of each other
// for random pruning, so almost every weight is in the interleaved part,
// and no padding is stored: a padded zero weight would turn an infinite
// input into a NaN.
type colGather struct {
	perm   []int32   // [8·groups] the column of each lane
	start  []int32   // [groups+1] group g's entries are idx[start[g]:start[g+1]]
	common []int32   // [groups] interleaved entries per lane
	extra  []int32   // [8·groups] entries of each lane after the interleaved part
	idx    []uint16  // the row i of each entry
	vals   []float32 // W[i, perm[lane]]
}

// newColGather returns the column copy of the CSR body of s.
func newColGather(s *SparseRows) *colGather {
	cols := s.n / blockWidth * blockWidth
	// Per column, its entries (row, value) in increasing row.
	count := make([]int32, cols)
	for _, c := range s.idx {
		count[c]++
	}
	perm := make([]int32, cols)
	for j := range perm {
		perm[j] = int32(j)
	}
	sort.SliceStable(perm, func(a, b int) bool { return count[perm[a]] > count[perm[b]] })
	off := make([]int32, cols+1)
	for j := 0; j < cols; j++ {
		off[j+1] = off[j] + count[j]
	}
	rows := make([]uint16, len(s.idx))
	vals := make([]float32, len(s.idx))
	fill := append([]int32(nil), off[:cols]...)
	for i := 0; i < s.k; i++ {
		for q := s.rowStart[i]; q < s.rowStart[i+1]; q++ {
			c := s.idx[q]
			rows[fill[c]], vals[fill[c]] = uint16(i), s.vals[q]
			fill[c]++
		}
	}
	groups := cols / blockWidth
	g := &colGather{
		perm:   perm,
		start:  make([]int32, groups+1),
		common: make([]int32, groups),
		extra:  make([]int32, cols),
		idx:    makeHugeUint16(0, len(s.idx)),
		vals:   makeHugeFloats(0, len(s.idx)),
	}
	for q := 0; q < groups; q++ {
		lanes := perm[q*blockWidth : (q+1)*blockWidth]
		l := count[lanes[blockWidth-1]]
		g.common[q] = l
		g.start[q] = int32(len(g.idx))
		for t := int32(0); t < l; t++ {
			for _, c := range lanes {
				g.idx = append(g.idx, rows[off[c]+t])
				g.vals = append(g.vals, vals[off[c]+t])
			}
		}
		for li, c := range lanes {
			g.extra[q*blockWidth+li] = count[c] - l
			g.idx = append(g.idx, rows[off[c]+l:off[c+1]]...)
			g.vals = append(g.vals, vals[off[c]+l:off[c+1]]...)
		}
	}
	g.start[groups] = int32(len(g.idx))
	return g
}

// bytes returns the memory the copy occupies.
func (g *colGather) bytes() int {
	return 4*(len(g.perm)+len(g.start)+len(g.common)+len(g.extra)+len(g.vals)) + 2*len(g.idx)
}

// minColumnEntries is the fewest non-zero weights per column, on average,
// for which KeepColumns keeps a copy (see the measurements above).
const minColumnEntries = 8

// KeepColumns adds to a CSR matrix a copy of its weights stored by output
// column (see colGather), which MulAdd and MulAddEvents use whenever every
// input is active: for a product whose input is dense, such as layer 0's W
// on the embedding. It doubles the memory of the weights; it does nothing
// for the Blocks and Dense formats, whose kernels already take whole
// vectors of y, and for matrices with fewer than minColumnEntries non-zero
// weights per column, where the row kernel is as fast.
func (s *SparseRows) KeepColumns() {
	cols := s.n / blockWidth * blockWidth
	if s.format != FormatCSR || s.cols != nil || cols == 0 || len(s.idx) < minColumnEntries*cols {
		return
	}
	s.cols = newColGather(s)
	s.cols.check(s.k, s.n)
}

// gatherGeneric is the portable column kernel: for each group, each lane
// sums its entries onto y[perm[lane]] in increasing row, unfused (as the
// generic CSR kernels).
func gatherGeneric(x []float32, g *colGather, y []float32) {
	for q := range g.common {
		lanes := g.perm[q*blockWidth : (q+1)*blockWidth]
		p := int(g.start[q])
		l := int(g.common[q])
		var acc [blockWidth]float32
		for li, c := range lanes {
			acc[li] = y[c]
		}
		for t := 0; t < l; t++ {
			ix := g.idx[p+t*blockWidth : p+(t+1)*blockWidth]
			v := g.vals[p+t*blockWidth : p+(t+1)*blockWidth]
			for li := range acc {
				acc[li] += x[ix[li]] * v[li]
			}
		}
		p += l * blockWidth
		for li, c := range lanes {
			a := acc[li]
			e := p + int(g.extra[q*blockWidth+li])
			for r := p; r < e; r++ {
				a += x[g.idx[r]] * g.vals[r]
			}
			y[c] = a
			p = e
		}
	}
}

// check panics if g's layout does not address within x and y:
// the assembly kernels trust it.
func (g *colGather) check(k, n int) {
	for q := range g.common {
		e := g.start[q] + g.common[q]*blockWidth
		for li := 0; li < blockWidth; li++ {
			e += g.extra[q*blockWidth+li]
		}
		if e != g.start[q+1] {
			panic(fmt.Sprintf("tensor: colGather: group %d ends at %d, next starts at %d", q, e, g.start[q+1]))
		}
	}
	for _, c := range g.perm {
		if int(c) >= n {
			panic("tensor: colGather: column out of range")
		}
	}
	for _, i := range g.idx {
		if int(i) >= k {
			panic("tensor: colGather: row out of range")
		}
	}
}
