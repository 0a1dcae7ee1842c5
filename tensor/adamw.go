package tensor

import (
	"fmt"
	"math"
)

// AdamWStep holds the scalars of one decoupled-weight-decay Adam update
// (Loshchilov & Hutter) of a block of parameters.
type AdamWStep struct {
	LR, Decay    float32
	Beta1, Beta2 float32
	Eps          float32
	BC1, BC2     float32 // bias corrections 1−β1^t and 1−β2^t
}

// AdamW updates x in place from the gradient g and the moments m and v:
//
//	m ← β1·m + (1−β1)·g   (with β1 = 0: m is not touched, the step uses g)
//	v ← β2·v + (1−β2)·g·g
//	x ← x − lr·(decay·x + (m/bc1)/(√(v/bc2) + ε))
//
// every operation rounded to float32 in this order (no fused multiply-add),
// so the SIMD kernel and the pure-Go loop give the same bits. m may be nil
// when β1 = 0. It panics on mismatched lengths.
func AdamW(x, g, m, v []float32, s AdamWStep) {
	n := len(x)
	if len(g) != n || len(v) != n || (s.Beta1 != 0 && len(m) != n) {
		panic(fmt.Sprintf("tensor: AdamW length mismatch: x %d, g %d, m %d, v %d", n, len(g), len(m), len(v)))
	}
	c := adamwConsts{s.LR, s.Decay, s.Beta1, 1 - s.Beta1, s.Beta2, 1 - s.Beta2, s.Eps, s.BC1, s.BC2}
	adamwKernel(x, g, m, v, &c)
}

// adamwConsts is the parameter block the kernels read: lr, decay, β1, 1−β1,
// β2, 1−β2, ε, bc1, bc2.
type adamwConsts [9]float32

func adamwGeneric(x, g, m, v []float32, c *adamwConsts) {
	lr, decay, beta1, omb1, beta2, omb2, eps, bc1, bc2 := c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
	for i := range x {
		gi := g[i]
		mi := gi
		if beta1 != 0 {
			mi = float32(beta1*m[i]) + float32(omb1*gi)
			m[i] = mi
		}
		vi := float32(beta2*v[i]) + float32(float32(omb2*gi)*gi)
		v[i] = vi
		q := float32(mi/bc1) / (float32(math.Sqrt(float64(vi/bc2))) + eps)
		x[i] -= float32(lr * (float32(decay*x[i]) + q))
	}
}
