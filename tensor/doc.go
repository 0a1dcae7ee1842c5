// Package tensor provides the dense float32 linear-algebra kernels used to
// train recurrent language models on the CPU: a blocked, SIMD-accelerated
// general matrix multiply (Gemm), its naive reference (GemmNaive), a float64
// variant for gradient checks (Gemm64), and a few BLAS-1 style vector kernels
// (Dot, Axpy, Scale).
//
// # Conventions
//
// All matrices are row-major. A matrix X with r rows and c columns stored in
// a slice x with leading dimension ldx (ldx ≥ c) has element (i, j) at
// x[i*ldx+j]; elements x[i*ldx+c : (i+1)*ldx] are padding and are never
// written. The Gemm family computes
//
//	C = alpha·op(A)·op(B) + beta·C
//
// where op(X) is X or Xᵀ, op(A) is m×k, op(B) is k×n and C is m×n. With
// transA the slice a holds A as k×m (lda ≥ m), otherwise as m×k (lda ≥ k);
// with transB the slice b holds B as n×k (ldb ≥ k), otherwise as k×n
// (ldb ≥ n). The letters follow BLAS: m rows of C, n columns of C, k the
// shared (summed) dimension. When beta == 0, C is write-only, so NaN or Inf
// values already in C do not propagate. When alpha == 0 (or k == 0), A and B
// are not read and C is only scaled by beta. Slices that are too short and
// negative dimensions cause a panic.
//
// # Determinism
//
// For every element of C the products over k are accumulated in a fixed
// order that depends only on the problem shape (m, n, k, the transposes) and
// on the selected kernel, never on the number of threads or on how C is
// partitioned among them: parallelism (see SetThreads) splits only the m or n
// dimension, along micro-tile boundaries, and the k dimension is cut into
// blocks whose size is a function of k alone, whose partial sums are added
// into C in increasing order. Results are therefore bit-identical for any
// thread count and from run to run on the same machine. Different kernels
// (AVX-512, AVX2, generic) may differ in the last bits, because they use
// different k block sizes and fused versus unfused multiply-adds.
//
// # Dispatch
//
// On amd64 (unless built with the purego tag) the package selects at start
// up, using golang.org/x/sys/cpu, an AVX-512 micro-kernel (12×32 tile, ZMM
// registers) if the CPU has AVX-512F, else an AVX2+FMA micro-kernel (6×16
// tile, YMM registers), else a portable Go kernel; Features reports the
// choice. Other architectures and the purego build tag use the portable Go
// kernel. Gemm packs panels of op(A) and op(B) into contiguous, reused
// buffers (BLIS/GotoBLAS style), so the transposes are handled by packing and
// one micro-kernel per instruction set suffices.
package tensor
