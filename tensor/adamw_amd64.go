//go:build amd64 && !purego

package tensor

// adamwAVX512 updates n elements (n a multiple of 16); useM = 0 skips m
// (β1 = 0). See adamw_amd64.s.
//
//go:noescape
func adamwAVX512(xp, gp, mp, vp *float32, n, useM int, c *adamwConsts)

func adamwBest() func(x, g, m, v []float32, c *adamwConsts) {
	if !hasAVX512() {
		return adamwGeneric
	}
	return adamwSIMD
}

func adamwSIMD(x, g, m, v []float32, c *adamwConsts) {
	n := len(x) &^ 15
	if n > 0 {
		useM, pm := 0, (*float32)(nil)
		if c[2] != 0 {
			useM, pm = 1, &m[0]
		}
		adamwAVX512(&x[0], &g[0], pm, &v[0], n, useM, c)
	}
	var mt []float32
	if c[2] != 0 {
		mt = m[n:]
	}
	adamwGeneric(x[n:], g[n:], mt, v[n:], c)
}
