//go:build amd64 && !purego

package tensor

// gatherColsAVX2 is the AVX2 column kernel (gather_amd64.s): for each of
// the groups, for each lane l < 8 with column c = perm[8g+l],
// y[c] = fma(x[i], v, y[c]) over the lane's entries (i, v) in increasing
// i, first the common[g] interleaved ones, then its extra[8g+l] others; idx
// and vals hold the entries of every group one after the other.
//
//go:noescape
func gatherColsAVX2(x *float32, groups int, perm *int32, common *int32, extra *int32, idx *uint16, vals *float32, y *float32)

func gatherAVX2(x []float32, g *colGather, y []float32) {
	if len(g.common) == 0 || len(g.idx) == 0 {
		gatherGeneric(x, g, y) // no entries: y[perm] only read and written back
		return
	}
	gatherColsAVX2(&x[0], len(g.common), &g.perm[0], &g.common[0], &g.extra[0], &g.idx[0], &g.vals[0], &y[0])
}
