//go:build arm64 && !purego

package tensor

// adamwNEON updates n elements (n a multiple of 4); useM = 0 skips m
// (β1 = 0). See adamw_neon_arm64.s.
//
//go:noescape
func adamwNEON(xp, gp, mp, vp *float32, n, useM int, c *adamwConsts)

// adamwSIMDOn selects the assembly kernel, here the NEON one (tests and
// BenchmarkAdamW clear it; the name is the amd64 file's, which they
// share). The kernel is called directly, not through a function value, so
// that c stays on the caller's stack.
var adamwSIMDOn = true

func adamwKernel(x, g, m, v []float32, c *adamwConsts) {
	if !adamwSIMDOn {
		adamwGeneric(x, g, m, v, c)
		return
	}
	n := len(x) &^ 3
	if n > 0 {
		useM, pm := 0, (*float32)(nil)
		if c[2] != 0 {
			useM, pm = 1, &m[0]
		}
		adamwNEON(&x[0], &g[0], pm, &v[0], n, useM, c)
	}
	var mt []float32
	if c[2] != 0 {
		mt = m[n:]
	}
	adamwGeneric(x[n:], g[n:], mt, v[n:], c)
}
