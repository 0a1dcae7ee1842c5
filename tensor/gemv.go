package tensor

import "fmt"

// Dense products of a small batch of vectors with one matrix, for streaming
// inference (batch 1..8): the matrix is read from L2 or memory once per call,
// and the batch rows reuse it from L1.
//
// Letters: m batch rows (at most 8 in use, any m works), k the summed
// dimension, n the output columns.
//
//	VecMat: y [m×n] += x [m×k] · W,  W [k×n] row-major (a layer's W [I×G], R [H×G])
//	MatVec: y [m×n] += h [m×k] · Wᵀ, W [n×k] row-major (logits = Emb·h on Emb [V×E] itself)
//
// Measured (TestEventTune dense, AVX2 Zen 3, one thread, paired medians of
// 9, time ratio to Gemm), with VecMat taking rows eight at a time: VecMat
// 0.31-0.83 at m = 1, 0.38-0.78 at m = 2, 3 and 0.46-0.80 at m = 8 (one
// shape, 750×3000 at m = 4, 1.16); MatVec 1.07-1.08 at m = 1, 0.57-0.88 at
// m = 2, 3 and 0.28-0.69 at m = 4, 8 (Gemm reads Emb once per row of h, or
// packs it). At m = 1 VecMat takes 0.74-1.07× and MatVec 1.27-1.8× the
// time of a Dot that only streams the matrix.
//
// Both use the vector kernels of Gemm's instruction set (see Features), and
// neither skips zero inputs. VecMat is the dense baseline of the event
// kernels in sparse.go, for the decoder too (on Embᵀ [E×V], as infer's
// Dense engine runs it); MatVec, on Emb as stored, is kept for comparison.

// VecMat computes y[b,j] += Σ_p x[b,p]·W[p,j] for b < m, j < n, with x
// [m×k], W [k×n] and y [m×n] row-major and contiguous. Each y[b,j] receives
// the products in the order p = 0..k-1, each added onto y with one Axpy step
// (fused on the SIMD kernels, except in the last n mod the vector width
// columns); so with y zeroed the result is bit-identical to
// Gemm(false, false, m, n, k, 1, x, k, W, n, 0, y, n) for m < 4 (Gemm's
// matrix-vector path) and to SparseRows.MulAdd of the same W at batch 1.
// It panics if a dimension is negative or a slice too short.
func VecMat(m, k, n int, x, w, y []float32) {
	checkBatch("VecMat", m, k, n, len(x), len(w), len(y))
	vk := sgemm.vec
	// The column chunk keeps the m accumulator rows in L1 (m·chunk·4 bytes
	// ≤ 16 KiB) while the k rows of W stream through once; at m = 1 the
	// chunk is a whole row of every layer up to G = 4096, so W is read in
	// storage order. Chunks are multiples of 16, so a split never moves a
	// column between a vector kernel's body and its scalar tail: the chunk
	// does not change the bits, nor does taking the rows eight at a time
	// (axpy8 has the bits of eight axpy calls).
	chunk := max(16, (vecMatL1/max(m, 1))&^15)
	for j0 := 0; j0 < n; j0 += chunk {
		nc := min(chunk, n-j0)
		p := 0
		for ; p+8 <= k; p += 8 {
			var rows [8][]float32
			for r := range rows {
				rows[r] = w[(p+r)*n+j0 : (p+r)*n+j0+nc]
			}
			for b := 0; b < m; b++ {
				vk.axpy8([8]float32(x[b*k+p:b*k+p+8]), rows, y[b*n+j0:b*n+j0+nc])
			}
		}
		for ; p < k; p++ {
			row := w[p*n+j0 : p*n+j0+nc]
			for b := 0; b < m; b++ {
				vk.axpy(x[b*k+p], row, y[b*n+j0:b*n+j0+nc])
			}
		}
	}
}

// vecMatL1 is the number of accumulator floats VecMat keeps per column
// chunk (16 KiB, half of the smallest L1 data cache it runs on).
const vecMatL1 = 4096

// MatVec computes y[b,v] += Σ_j h[b,j]·W[v,j] for b < m, v < n, with h
// [m×k], W [n×k] and y [m×n] row-major and contiguous: logits = Emb·h for
// the decoder's Emb [V×E]. Each row of W is read once and dotted with the
// m rows of h (Gemm with transB and m < 4 reads W once per row of h instead,
// and from m = 4 on packs it). Each element is one Dot of length k (same
// bits as Gemm's matrix-vector path), added onto y[b,v]. It panics if a
// dimension is negative or a slice too short.
func MatVec(m, k, n int, h, w, y []float32) {
	checkBatch("MatVec", m, k, n, len(h), len(w), len(y))
	// Measured: reading two rows per pass with a two-row Dot (h loaded
	// once for both) took 1.20× the time of one row per pass on the paper
	// decoder (750×10000, paired, Zen 3), so rows go one at a time.
	dot := sgemm.vec.dot
	for v := 0; v < n; v++ {
		row := w[v*k : v*k+k]
		for b := 0; b < m; b++ {
			y[b*n+v] += dot(h[b*k:b*k+k], row)
		}
	}
}

// VecMatNaive is the reference for VecMat: the same sums, in the same order
// p = 0..k-1, one float32 rounding per multiply and per add.
func VecMatNaive(m, k, n int, x, w, y []float32) {
	checkBatch("VecMatNaive", m, k, n, len(x), len(w), len(y))
	for b := 0; b < m; b++ {
		for j := 0; j < n; j++ {
			s := y[b*n+j]
			for p := 0; p < k; p++ {
				s += float32(x[b*k+p] * w[p*n+j])
			}
			y[b*n+j] = s
		}
	}
}

// MatVecNaive is the reference for MatVec: each element a sequential sum
// over j = 0..k-1, then added onto y.
func MatVecNaive(m, k, n int, h, w, y []float32) {
	checkBatch("MatVecNaive", m, k, n, len(h), len(w), len(y))
	for b := 0; b < m; b++ {
		for v := 0; v < n; v++ {
			var s float32
			for j := 0; j < k; j++ {
				s += float32(h[b*k+j] * w[v*k+j])
			}
			y[b*n+v] += s
		}
	}
}

func checkBatch(name string, m, k, n, lx, lw, ly int) {
	if m < 0 || k < 0 || n < 0 {
		panic(fmt.Sprintf("tensor: %s: negative dimension m=%d k=%d n=%d", name, m, k, n))
	}
	if lx < m*k || lw < k*n || ly < m*n {
		panic(fmt.Sprintf("tensor: %s: slice too short: len(x)=%d (need %d), len(w)=%d (need %d), len(y)=%d (need %d)",
			name, lx, m*k, lw, k*n, ly, m*n))
	}
}
