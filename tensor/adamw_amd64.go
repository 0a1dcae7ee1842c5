//go:build amd64 && !purego

package tensor

// adamwAVX512 updates n elements (n a multiple of 16); useM = 0 skips m
// (β1 = 0). See adamw_amd64.s.
//
//go:noescape
func adamwAVX512(xp, gp, mp, vp *float32, n, useM int, c *adamwConsts)

// adamwAVX512On selects the assembly kernel (tests may clear it). The
// kernel is called directly, not through a function value, so that c stays
// on the caller's stack.
var adamwAVX512On = hasAVX512()

func adamwKernel(x, g, m, v []float32, c *adamwConsts) {
	if adamwAVX512On {
		adamwSIMD(x, g, m, v, c)
		return
	}
	adamwGeneric(x, g, m, v, c)
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
