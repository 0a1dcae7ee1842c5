package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestThresholdGradientUsesConfiguredSurrogate checks the wiring from
// Config.PseudoHeight (γ) and Config.PseudoWidth (β) to the backward pass
// with γ ≠ β, in the float64 loop and in the float32 kernels that training
// runs. In a one-layer model over a one-step window (no later step feeds
// back, so the gradient entering c_t is 0) and without dropout, the backward
// pass of METHOD.md reduces to
//
//	dL/dϑ_j = −Σ_b (dy_bj·ĉ_bj + λ/(B·H)) · ψ(ĉ_bj − ϑ_j),  ψ(s) = γ·max(0, 1 − β|s|),
//
// with dy the gradient entering the layer's output (the decoder's) and λ the
// activity-regulariser weight; the test evaluates it with its own ψ.
func TestThresholdGradientUsesConfiguredSurrogate(t *testing.T) {
	t.Run("float64", func(t *testing.T) { thresholdGradientCase[float64](t, 1e-12) })
	// float32: a few roundings of 1e-7 relative in each term; the sum is
	// compared with 1e-5 of Σ|terms|. Exchanging γ and β changes terms by O(1).
	t.Run("float32", func(t *testing.T) { thresholdGradientCase[float32](t, 1e-5) })
}

func thresholdGradientCase[F Float](t *testing.T, tol float64) {
	const gamma, beta, lambda = 2.0, 5.0, 0.3
	const V, E, B = 9, 6, 8
	cfg := Config{Cell: CellEGRU, Vocab: V, Embed: E, Hidden: []int{E},
		ThresholdMean: 0.3, LearnThreshold: true, PseudoHeight: gamma, PseudoWidth: beta, ActivityReg: lambda}
	rng := rand.New(rand.NewPCG(21, 22))
	m, err := New[F](cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]int32, B), make([]int32, B)
	for i := range x {
		x[i], y[i] = int32(rng.IntN(V)), int32(rng.IntN(V))
	}
	st := m.NewState(B)
	for i := range st.S[0] {
		st.S[0][i] = F(0.6 * (2*rng.Float64() - 1))
		st.C[0][i] = F(0.6 * (2*rng.Float64() - 1))
	}
	m.Params.ZeroGrad()
	m.TrainStep(x, y, 1, B, st, rand.NewPCG(1, 1))

	e := m.layers[0].(*egru[F])
	theta := m.Params.Value(e.theta)
	dtheta := m.Params.Gradient(e.theta)
	dy := m.dtop // the decoder's gradient with respect to the layer output (no dropout)
	psi := func(s float64) float64 { return gamma * math.Max(0, 1-beta*math.Abs(s)) }
	inSupport, outside := 0, 0
	for j := range E {
		var want, scale float64
		for b := range B {
			k := b*E + j
			chat := float64(e.chat[k])
			s := chat - float64(theta[j])
			if math.Abs(s) < 1/beta {
				inSupport++
			} else {
				outside++
			}
			term := (float64(dy[k])*chat + lambda/(B*E)) * psi(s)
			want -= term
			scale += math.Abs(term)
		}
		if got := float64(dtheta[j]); math.Abs(got-want) > tol*math.Max(scale, 1e-3) {
			t.Errorf("dL/dϑ_%d = %.9g, want %.9g from ψ with γ = %v, β = %v", j, got, want, gamma, beta)
		}
	}
	// The case must exercise both sides of the support |ĉ − ϑ| < 1/β.
	t.Logf("%d of %d units inside the support", inSupport, inSupport+outside)
	if inSupport < 4 || outside < 4 {
		t.Fatalf("%d units inside the support of ψ and %d outside: the case tests too little", inSupport, outside)
	}
}
