// Package tensor provides the dense float32 linear-algebra kernels used to
// train recurrent language models on the CPU: a blocked, SIMD-accelerated
// general matrix multiply (Gemm), its naive reference (GemmNaive), a float64
// variant for gradient checks (Gemm64), and a few BLAS-1 style vector kernels
// (Dot, Axpy, Scale). For streaming inference it adds dense products of a
// batch of 1..8 vectors with one matrix (VecMat, MatVec, gemv.go) and a
// sparse row format whose kernel reads only the surviving weights of the
// rows selected by the non-zero inputs (SparseRows, sparse.go, with its own
// notes on format, counting and rounding).
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
// into C in increasing order (each block's sum is scaled by alpha and added
// with one rounding per step, beta·C being applied with the first block). Results are therefore bit-identical for any
// thread count and from run to run on the same machine. Different
// instruction sets (AVX-512, AVX2, generic) may differ in the last bits: the
// generic kernel does not fuse multiply-adds, and the matrix-vector path uses
// dot products of different vector widths.
//
// # Dispatch
//
// On amd64 (unless built with the purego tag) the package selects at start
// up, using golang.org/x/sys/cpu, AVX-512 kernels if the CPU has AVX-512F
// and FMA, else AVX2+FMA kernels, else portable Go kernels; Features reports
// the choice ("avx512", "avx2" or "generic"). On arm64 it selects the NEON
// kernels ("neon"; NEON is part of every arm64 CPU) for the GEMM, the
// vector operations, AdamW, SparseRows, the activations and the LSTM and
// EGRU cells. Other architectures and the purego build tag use the portable
// Go kernels.
//
// Gemm follows the BLIS/GotoBLAS scheme: op(B) is cut into column panels
// and op(A) into row blocks, both packed into contiguous, reused buffers
// (packing absorbs the transposes), and an assembly micro-kernel computes
// one register tile of C per call: 12×32 with ZMM registers (plus 4-, 8- and
// 12-row, 16- and 32-column variants for the last rows and columns), or 6×16
// with YMM registers for AVX2. A non-transposed op(B) with a moderate row
// stride is read in place instead of being packed. Problems with fewer than
// four rows use a matrix-vector path built on the vector kernels. Each of
// these choices depends only on the shape, so none of them breaks the
// determinism contract above.
package tensor
