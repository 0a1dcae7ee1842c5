//go:build linux

package tensor

import (
	"fmt"
	"math/rand"
	"os"
	"testing"
)

// TestGatherTune prints, per shape and sparsity, the time per stored
// weight of MulAdd with every input active in three ways: the CSR scan
// kernel, the column copy (KeepColumns) and the Dense format, as paired
// medians of 15 rounds over four matrices cycled (one thread). Run on an
// idle machine with
//
//	TENSOR_GATHER_TUNE=1 go test -run GatherTune -v ./tensor
func TestGatherTune(t *testing.T) {
	if os.Getenv("TENSOR_GATHER_TUNE") == "" {
		t.Skip("set TENSOR_GATHER_TUNE=1")
	}
	defer SetThreads(Threads())
	SetThreads(1)
	for _, sp := range []float64{0.5, 0.75, 0.9, 0.95, 0.98} {
		for _, sh := range [][2]int{{750, 4050}, {256, 768}} {
			k, n := sh[0], sh[1]
			rng := rand.New(rand.NewSource(1))
			const copies = 4 // cycled, as in a token that walks several matrices
			var rows, cols, dense [copies]*SparseRows
			for c := 0; c < copies; c++ {
				w := make([]float32, k*n)
				for j := range w {
					if rng.Float64() >= sp {
						w[j] = rng.Float32() - 0.5
					}
				}
				rows[c] = NewSparseRows(false, k, n, w, FormatCSR)
				cols[c] = NewSparseRows(false, k, n, w, FormatCSR)
				cols[c].KeepColumns()
				dense[c] = NewSparseRows(false, k, n, w, FormatDense)
			}
			x := make([]float32, k)
			for i := range x {
				x[i] = rng.Float32() + 0.1
			}
			y := make([]float32, n)
			run := func(m [copies]*SparseRows) func() {
				return func() {
					for _, s := range m {
						s.MulAdd(x, y)
					}
				}
			}
			med, ratio := pairedRun(15, max(3, int(2e6/(float64(k*n)*(1-sp)))), []func(){run(rows), run(cols), run(dense)})
			nnz := float64(rows[0].NNZ() * copies)
			fmt.Printf("%4dx%-5d s%.2f  csr %.3f ns/w  cols %.3f ns/w (%.2f× csr)  dense %.3f ns/w-nnz (%.2f× csr)\n", k, n, sp, med[0]/nnz, med[1]/nnz, 1/ratio[1], med[2]/nnz, 1/ratio[2])
		}
	}
}
