//go:build linux && amd64 && !purego

package tensor

import (
	"fmt"
	"os"
	"testing"
)

// TestTransposeTune times the transposed-B products of benchShapes with
// the AVX2 kernel, packing op(B) with the Go loops and with
// transpose16AVX2, paired (median of 9, one thread). Run on an idle machine:
//
//	TENSOR_TRANSPOSE_TUNE=1 go test -run TransposeTune -v ./tensor
func TestTransposeTune(t *testing.T) {
	if os.Getenv("TENSOR_TRANSPOSE_TUNE") == "" {
		t.Skip("set TENSOR_TRANSPOSE_TUNE=1")
	}
	if !hasAVX2() {
		t.Skip("no AVX2")
	}
	defer SetThreads(Threads())
	defer func() { avx2Kernel.transpose16 = transpose16AVX2 }()
	SetThreads(1)
	for _, s := range benchShapes {
		if !s.transB || s.m*s.n*s.k > 2e9 {
			continue
		}
		a, b, c, lda, ldb := s.operands()
		run := func(tr func(dst *float32, ldd int, src *float32, lds int)) func() {
			return func() {
				avx2Kernel.transpose16 = tr
				withKernel(avx2Kernel, func() {
					Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
				})
			}
		}
		med, ratio := pairedRun(9, max(1, int(3e8/float64(s.m*s.n*s.k))), []func(){run(nil), run(transpose16AVX2)})
		fmt.Printf("%-36s go-pack %8.0f µs  avx2-transpose %8.0f µs  speed %.3f×  (%.1f GFLOP/s)\n", s.name, med[0]/1e3, med[1]/1e3, 1/ratio[1], 2*float64(s.m*s.n*s.k)/med[1])
	}
}
