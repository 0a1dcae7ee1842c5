//go:build amd64 && !purego

package tensor

// blockRowsAVX2 is the AVX2 Blocks kernel (sparse_amd64.s): for each i <
// k with x[i] ≠ 0 (bits other than the sign set), for each block q in
// rowStart[i]..rowStart[i+1]-1: y[8c..8c+7] = fma(x[i], vals[8q..8q+7],
// y[8c..8c+7]) with c = blocks[q]. It is also the kernel on AVX-512 CPUs:
// the blocks are 8 wide whatever the machine (see blockWidth).
//
//go:noescape
func blockRowsAVX2(x *float32, k int, rowStart *int32, blocks *uint16, vals *float32, y *float32)

func blocksAVX2(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32) {
	_ = rowStart[len(x)]
	blockRowsAVX2(&x[0], len(x), &rowStart[0], &blocks[0], &vals[0], &y[0])
}

func csrAVX2(x []float32, rowStart []int32, cols []uint16, vals []float32, y []float32) {
	_ = rowStart[len(x)]
	csrRowsAVX2(&x[0], len(x), &rowStart[0], &cols[0], &vals[0], &y[0])
}

var avx2Sparse = sparseKernels{"avx2", csrAVX2, blocksAVX2, csrEvAVX2, gatherAVX2}

func bestSparse() sparseKernels {
	if hasAVX2() {
		return avx2Sparse
	}
	return genericSparse
}

// sparseAvailable lists the sparse kernel sets usable on this machine.
func sparseAvailable() []sparseKernels {
	ks := []sparseKernels{genericSparse}
	if hasAVX2() {
		ks = append(ks, avx2Sparse)
	}
	return ks
}

// csrRowsAVX2 is the CSR kernel (sparse_amd64.s): for each i < k with x[i]
// ≠ 0, for each entry q in rowStart[i]..rowStart[i+1]-1: y[c] = fma(x[i],
// vals[q], y[c]) with c = cols[q], one scalar FMA per stored weight.
//
//go:noescape
func csrRowsAVX2(x *float32, k int, rowStart *int32, cols *uint16, vals *float32, y *float32)

// csrEventsAVX2 is csrRowsAVX2 over the rows ev[0..nev-1] (each < K, the
// rows of rowStart, in increasing order) instead of the rows with x[i] ≠ 0,
// prefetching each next row (sparse_amd64.s; it keeps the list's end in
// nev's argument slot).
//
//go:noescape
func csrEventsAVX2(x *float32, ev *int32, nev int, rowStart *int32, cols *uint16, vals *float32, y *float32)

func csrEvAVX2(x []float32, ev []int32, rowStart []int32, cols []uint16, vals []float32, y []float32) {
	if len(ev) == 0 {
		return
	}
	csrEventsAVX2(&x[0], &ev[0], len(ev), &rowStart[0], &cols[0], &vals[0], &y[0])
}
