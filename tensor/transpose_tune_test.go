//go:build linux && amd64 && !purego

package tensor

import (
	"fmt"
	"os"
	"testing"
)

// TestTransposeTune times the products of benchShapes with the AVX2
// kernel, packing op(A) (not transposed) with the Go loops and with
// transpose6x16AVX2, and op(B) (transposed) with the Go loops and with
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
	defer func() {
		avx2Kernel.transpose16, avx2Kernel.packA16, avx2Kernel.packAT = transpose16AVX2, transpose6x16AVX2, packAT6AVX2
	}()
	SetThreads(1)
	// Each packing kernel against the Go loops on the products that use
	// it, the other kernels on: set(false) clears the kernel's field.
	for _, v := range []struct {
		name string
		uses func(benchShape) bool
		set  func(on bool)
	}{
		{"A (packA16)", func(s benchShape) bool { return !s.transA }, func(on bool) {
			avx2Kernel.packA16 = nil
			if on {
				avx2Kernel.packA16 = transpose6x16AVX2
			}
		}},
		{"Aᵀ (packAT)", func(s benchShape) bool { return s.transA }, func(on bool) {
			avx2Kernel.packAT = nil
			if on {
				avx2Kernel.packAT = packAT6AVX2
			}
		}},
		{"Bᵀ (transpose16)", func(s benchShape) bool { return s.transB }, func(on bool) {
			avx2Kernel.transpose16 = nil
			if on {
				avx2Kernel.transpose16 = transpose16AVX2
			}
		}},
	} {
		for _, s := range benchShapes {
			if !v.uses(s) || s.m*s.n*s.k > 2e9 {
				continue
			}
			a, b, c, lda, ldb := s.operands()
			run := func(on bool) func() {
				return func() {
					v.set(on)
					withKernel(avx2Kernel, func() {
						Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
					})
				}
			}
			med, ratio := pairedRun(9, max(1, int(3e8/float64(s.m*s.n*s.k))), []func(){run(false), run(true)})
			fmt.Printf("%-16s %-34s go %8.0f µs  avx2 %8.0f µs  speed %.3f×  (%.1f GFLOP/s)\n", v.name, s.name, med[0]/1e3, med[1]/1e3, 1/ratio[1], 2*float64(s.m*s.n*s.k)/med[1])
			v.set(true)
		}
	}
}
