//go:build amd64 && !purego

package tensor

// blockRowsAVX2 is the AVX2 BlockRows kernel (sparse_amd64.s): for each i <
// k with x[i] ≠ 0 (bits other than the sign set), for each block q in
// rowStart[i]..rowStart[i+1]-1: y[8c..8c+7] = fma(x[i], vals[8q..8q+7],
// y[8c..8c+7]) with c = blocks[q]. It is also the kernel on AVX-512 CPUs:
// the blocks are 8 wide whatever the machine (see blockWidth).
//
//go:noescape
func blockRowsAVX2(x *float32, k int, rowStart *int32, blocks *uint16, vals *float32, y *float32)

func blockRowsAVX2Go(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32) {
	_ = rowStart[len(x)]
	blockRowsAVX2(&x[0], len(x), &rowStart[0], &blocks[0], &vals[0], &y[0])
}

// blockRows is the BlockRows kernel in use; tests may swap it.
var blockRows = bestBlockRows()

func bestBlockRows() func(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32) {
	if hasAVX2() {
		return blockRowsAVX2Go
	}
	return blockRowsGeneric
}

// namedBlockRows is a BlockRows kernel with its instruction set (for tests).
type namedBlockRows struct {
	name string
	kern func(x []float32, rowStart []int32, blocks []uint16, vals []float32, y []float32)
}

// blockRowsAvailable lists the BlockRows kernels usable on this machine.
func blockRowsAvailable() []namedBlockRows {
	ks := []namedBlockRows{{"generic", blockRowsGeneric}}
	if hasAVX2() {
		ks = append(ks, namedBlockRows{"avx2", blockRowsAVX2Go})
	}
	return ks
}
