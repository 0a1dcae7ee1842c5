package tensor

// Gemm64 computes C = alpha·op(A)·op(B) + beta·C in float64 with the same
// contract as Gemm. It is pure Go (used by float64 gradient checks): rows of
// C are updated with contiguous row-times-row sweeps, blocked over k and n
// to stay in cache.
func Gemm64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkDims(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if alpha == 0 || k == 0 {
		return
	}
	at := func(i, p int) float64 {
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	if transB {
		// op(B)[p,j] = b[j*ldb+p]: dot products of contiguous rows.
		const jb = 64
		for j0 := 0; j0 < n; j0 += jb {
			j1 := min(j0+jb, n)
			for i := 0; i < m; i++ {
				crow := c[i*ldc : i*ldc+n]
				for j := j0; j < j1; j++ {
					brow := b[j*ldb : j*ldb+k]
					var s float64
					if transA {
						for p, bv := range brow {
							s += a[p*lda+i] * bv
						}
					} else {
						arow := a[i*lda : i*lda+k]
						for p, bv := range brow {
							s += arow[p] * bv
						}
					}
					crow[j] += alpha * s
				}
			}
		}
		return
	}
	// op(B)[p,:] is a contiguous row: C[i,:] += alpha·A[i,p]·B[p,:].
	const kb, nb = 128, 512
	for j0 := 0; j0 < n; j0 += nb {
		j1 := min(j0+nb, n)
		for p0 := 0; p0 < k; p0 += kb {
			p1 := min(p0+kb, k)
			for i := 0; i < m; i++ {
				crow := c[i*ldc+j0 : i*ldc+j1]
				for p := p0; p < p1; p++ {
					s := alpha * at(i, p)
					brow := b[p*ldb+j0 : p*ldb+j1]
					brow = brow[:len(crow)]
					for j, bv := range brow {
						crow[j] += s * bv
					}
				}
			}
		}
	}
}
