package tensor

import "sync"

// Row-wise and column-wise helpers for [rows×n] row-major matrices, split
// across Threads() goroutines. Each output element is computed by one
// goroutine in a fixed order, so results do not depend on the thread count.

// rowGrain is the least number of elements a goroutine is handed (about
// 10 µs of streaming work: less is not worth waking a worker).
const rowGrain = 1 << 15

type rowsJob struct {
	x, v []float32
	n    int
}

var rowsPool = sync.Pool{New: func() any { return new(rowsJob) }}

// addRowsJob ranges over rows: x[r,:] += v.
type addRowsJob rowsJob

func (j *addRowsJob) Range(lo, hi int) {
	for r := lo; r < hi; r++ {
		Axpy(1, j.v, j.x[r*j.n:(r+1)*j.n])
	}
}

// AddRows adds v [n] to every row of x [rows×n] (len(x) a multiple of n).
func AddRows(x, v []float32) {
	n := len(v)
	if n == 0 {
		return
	}
	if len(x)%n != 0 {
		panic("tensor: AddRows: len(x) is not a multiple of len(v)")
	}
	j := rowsPool.Get().(*rowsJob)
	*j = rowsJob{x: x, v: v, n: n}
	Parallel(len(x)/n, max(1, rowGrain/n), (*addRowsJob)(j))
	*j = rowsJob{}
	rowsPool.Put(j)
}

// colSumsJob ranges over blocks of colBlock columns: v[j] += Σ_r x[r,j],
// rows in order.
type colSumsJob rowsJob

// colBlock is the column block of AddColumnSums: a multiple of the widest
// vector, so that the split never moves an element between a kernel's
// vector body and its scalar tail.
const colBlock = 64

func (j *colSumsJob) Range(lo, hi int) {
	c0, c1 := lo*colBlock, min(j.n, hi*colBlock)
	for r := 0; r+j.n <= len(j.x); r += j.n {
		Axpy(1, j.x[r+c0:r+c1], j.v[c0:c1])
	}
}

// AddColumnSums adds the column sums of x [rows×n] to sum [n], accumulating
// each column over the rows in order.
func AddColumnSums(sum, x []float32) {
	n := len(sum)
	if n == 0 {
		return
	}
	if len(x)%n != 0 {
		panic("tensor: AddColumnSums: len(x) is not a multiple of len(sum)")
	}
	j := rowsPool.Get().(*rowsJob)
	*j = rowsJob{x: x, v: sum, n: n}
	blocks := (n + colBlock - 1) / colBlock
	Parallel(blocks, max(1, rowGrain/(colBlock*max(1, len(x)/n))), (*colSumsJob)(j))
	*j = rowsJob{}
	rowsPool.Put(j)
}
