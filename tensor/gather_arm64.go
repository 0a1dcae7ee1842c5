//go:build arm64 && !purego

package tensor

// gatherColsNEON is the NEON column kernel (gather_neon_arm64.s): for each
// of the groups, for each lane l < 8 with column c = perm[8g+l],
// y[c] = fma(x[i], v, y[c]) over the lane's entries (i, v) in increasing
// i, first the common[g] interleaved ones, then its extra[8g+l] others, the
// eight sums of a group kept in registers; idx and vals hold the entries of
// every group one after the other.
//
//go:noescape
func gatherColsNEON(x *float32, groups int, perm *int32, common *int32, extra *int32, idx *uint16, vals *float32, y *float32)

func gatherNEON(x []float32, g *colGather, y []float32) {
	if len(g.common) == 0 || len(g.idx) == 0 {
		gatherGeneric(x, g, y) // no entries: y[perm] only read and written back
		return
	}
	gatherColsNEON(&x[0], len(g.common), &g.perm[0], &g.common[0], &g.extra[0], &g.idx[0], &g.vals[0], &y[0])
}
