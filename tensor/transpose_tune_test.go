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
	// The transposed-B products, then the non-transposed-A ones with and
	// without transpose6x16AVX2 (packA16).
	for _, s := range benchShapes {
		if s.transA || s.m*s.n*s.k > 2e9 {
			continue
		}
		a, b, c, lda, ldb := s.operands()
		run := func(p func(dst *float32, src *float32, lds int)) func() {
			return func() {
				avx2Kernel.packA16 = p
				withKernel(avx2Kernel, func() {
					Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
				})
			}
		}
		med, ratio := pairedRun(9, max(1, int(3e8/float64(s.m*s.n*s.k))), []func(){run(nil), run(transpose6x16AVX2)})
		fmt.Printf("A %-34s go-pack %8.0f µs  avx2-pack %8.0f µs  speed %.3f×  (%.1f GFLOP/s)\n", s.name, med[0]/1e3, med[1]/1e3, 1/ratio[1], 2*float64(s.m*s.n*s.k)/med[1])
	}
	avx2Kernel.packA16 = transpose6x16AVX2
	for _, s := range benchShapes {
		if !s.transA || s.m*s.n*s.k > 2e9 {
			continue
		}
		a, b, c, lda, ldb := s.operands()
		run := func(p func(dst, src *float32, lds, kc, strips, stride int)) func() {
			return func() {
				avx2Kernel.packAT = p
				withKernel(avx2Kernel, func() {
					Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
				})
			}
		}
		med, ratio := pairedRun(9, max(1, int(3e8/float64(s.m*s.n*s.k))), []func(){run(nil), run(packAT6AVX2)})
		fmt.Printf("AT %-33s go-pack %8.0f µs  avx2-pack %8.0f µs  speed %.3f×  (%.1f GFLOP/s)\n", s.name, med[0]/1e3, med[1]/1e3, 1/ratio[1], 2*float64(s.m*s.n*s.k)/med[1])
	}
	avx2Kernel.packAT = packAT6AVX2
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
