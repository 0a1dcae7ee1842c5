//go:build amd64 && !purego

package tensor

// adamwAVX512 updates n elements (n a multiple of 16); useM = 0 skips m
// (β1 = 0). See adamw_amd64.s.
//
//go:noescape
func adamwAVX512(xp, gp, mp, vp *float32, n, useM int, c *adamwConsts)

// adamwAVX2 is adamwAVX512 for n a multiple of 8, in YMM registers.
//
//go:noescape
func adamwAVX2(xp, gp, mp, vp *float32, n, useM int, c *adamwConsts)

// adamwSIMDOn selects the assembly kernel, AVX-512 or else AVX2 (tests may
// clear it). The kernel is called directly, not through a function value,
// so that c stays on the caller's stack. On AVX2-only CPUs adamwGeneric
// ran before: 5.9% of an LSTM small training step (pprof of bench train,
// one thread, Zen 3); the AVX2 kernel is 7.4× its speed there
// (BenchmarkAdamW, 2²⁰ parameters, 1.23 against 0.17 Gparams/s, the
// machine busy with other work).
var adamwSIMDOn = hasAVX512() || hasAVX2()

// adamwWide is whether the AVX-512 kernel is the one (else AVX2).
var adamwWide = hasAVX512()

func adamwKernel(x, g, m, v []float32, c *adamwConsts) {
	if adamwSIMDOn {
		adamwSIMD(x, g, m, v, c)
		return
	}
	adamwGeneric(x, g, m, v, c)
}

func adamwSIMD(x, g, m, v []float32, c *adamwConsts) {
	width := 8
	if adamwWide {
		width = 16
	}
	n := len(x) &^ (width - 1)
	if n > 0 {
		useM, pm := 0, (*float32)(nil)
		if c[2] != 0 {
			useM, pm = 1, &m[0]
		}
		if adamwWide {
			adamwAVX512(&x[0], &g[0], pm, &v[0], n, useM, c)
		} else {
			adamwAVX2(&x[0], &g[0], pm, &v[0], n, useM, c)
		}
	}
	var mt []float32
	if c[2] != 0 {
		mt = m[n:]
	}
	adamwGeneric(x[n:], g[n:], mt, v[n:], c)
}
