package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// checkGradient is the shared conformance helper: it compares the analytic
// gradient grad of loss with respect to x against central differences
// (f(x+h) − f(x−h)) / 2h in float64, for every element of x (or a random
// subset of maxChecks elements). With h = 1e-6 the truncation error is
// O(h²)·f”' ≈ 1e-12 and the rounding error ≈ 1e-16/h = 1e-10, so a
// relative error above 1e-5 means a wrong derivative, not noise.
func checkGradient(t *testing.T, name string, x, grad []float64, loss func() float64, maxChecks int, rng *rand.Rand) {
	t.Helper()
	const h, tol = 1e-6, 1e-5
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	if maxChecks > 0 && len(idx) > maxChecks {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:maxChecks]
	}
	bad := 0
	for _, i := range idx {
		orig := x[i]
		x[i] = orig + h
		fp := loss()
		x[i] = orig - h
		fm := loss()
		x[i] = orig
		num := (fp - fm) / (2 * h)
		den := math.Max(1e-3, math.Abs(num)+math.Abs(grad[i]))
		if rel := math.Abs(num-grad[i]) / den; rel > tol {
			if bad < 5 {
				t.Errorf("%s[%d]: analytic %.9g, numeric %.9g (relative error %.2g)", name, i, grad[i], num, rel)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements disagree", name, bad, len(idx))
	}
}

func randomSlice(rng *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = (2*rng.Float64() - 1) * scale
	}
	return x
}

// layerCase checks one recurrent layer on its own: loss = Σ proj ⊙ out for a
// fixed random projection, so that dout = proj, with a non-zero initial state.
// EGRU layers use the surrogate of height gamma and slope beta.
func layerCase(t *testing.T, name string, mk func(p *Params[float64]) layer[float64], I, H, T, B int, dropConnect, gamma, beta float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	var p Params[float64]
	l := mk(&p)
	p.alloc()
	copy(p.Data, randomSlice(rng, len(p.Data), 0.5))
	if e, ok := l.(*egru[float64]); ok {
		// Thresholds inside [0, 1] and a smooth step (see egru.step) so that
		// finite differences see the derivative that backward uses.
		for i := range p.Value(e.theta) {
			p.Value(e.theta)[i] = 0.1 + 0.3*rng.Float64()
		}
		e.smooth, e.height, e.slope = true, gamma, beta
	}
	x := randomSlice(rng, T*B*I, 1)
	s0 := randomSlice(rng, B*H, 0.5)
	c0 := randomSlice(rng, B*H, 0.5)
	proj := randomSlice(rng, T*B*H, 1)
	if dropConnect > 0 {
		l.recurrent().sample(p.Value(l.rIndex()), dropConnect, rand.NewPCG(3, 4))
	}
	loss := func() float64 {
		if dropConnect > 0 {
			// Re-derive the dropped matrix from the same mask after a perturbation of R.
			rw := l.recurrent()
			R := p.Value(l.rIndex())
			for i, m := range rw.mask {
				rw.dropped[i] = R[i] * m
			}
		}
		out := l.forward(&p, x, T, B, s0, c0)
		var s float64
		for i, v := range out {
			s += proj[i] * v
		}
		return s
	}
	loss()
	p.ZeroGrad()
	dx := make([]float64, len(x))
	l.backward(&p, append([]float64(nil), proj...), dx)
	for i, v := range p.Views {
		checkGradient(t, name+"/"+v.Name, p.Value(i), p.Gradient(i), loss, 0, rng)
	}
	checkGradient(t, name+"/dx", x, dx, loss, 0, rng)
}

func TestLSTMGradient(t *testing.T) {
	mk := func(p *Params[float64]) layer[float64] { return newLSTM(p, "lstm", 3, 4) }
	layerCase(t, "lstm", mk, 3, 4, 5, 2, 0, 0, 0)
	layerCase(t, "lstm+dropconnect", mk, 3, 4, 5, 2, 0.3, 0, 0)
}

func TestEGRUGradient(t *testing.T) {
	mk := func(p *Params[float64]) layer[float64] { return newEGRU(p, "egru", 3, 4) }
	layerCase(t, "egru", mk, 3, 4, 5, 2, 0, 3.6, 3.6)
	// γ ≠ β, so that a backward pass that exchanges them disagrees with the
	// smooth step; half-width 1/β = 0.67 keeps most units in the support.
	layerCase(t, "egru/γ≠β", mk, 3, 4, 5, 2, 0, 2.5, 1.5)
	layerCase(t, "egru+dropconnect", mk, 3, 4, 5, 2, 0.3, 2.5, 1.5)
}

// TestPseudoDerivative checks the surrogate on its own, for the reference
// γ = β = 3.6 and for γ ≠ β (so that exchanging them shows): ψ(s) =
// γ·max(0, 1 − β|s|) at points worked out by hand, ψ is the derivative of
// smoothStep, and the area under ψ is γ/β (1 for the reference runs).
func TestPseudoDerivative(t *testing.T) {
	cases := []struct {
		gamma, beta float64
		at          [][2]float64 // {s, ψ(s)} by hand
	}{
		{3.6, 3.6, [][2]float64{{0, 3.6}, {0.25, 3.6 * 0.1}, {-0.25, 3.6 * 0.1}, {1 / 3.6, 0}, {0.3, 0}, {-1, 0}}},
		// Height 2, half-width 1/5: ψ(±0.1) = 2·(1 − 0.5) = 1, ψ(0.15) = 2·0.25 = 0.5, 0 from |s| = 0.2 on.
		{2, 5, [][2]float64{{0, 2}, {0.1, 1}, {-0.1, 1}, {0.15, 0.5}, {-0.15, 0.5}, {0.2, 0}, {0.3, 0}, {-0.45, 0}}},
	}
	for _, c := range cases {
		gamma, beta := c.gamma, c.beta
		for _, sv := range c.at {
			// 1e-12: the hand values are exact up to rounding of 1 − β|s|.
			if got := pseudoDerivative(sv[0], gamma, beta); math.Abs(got-sv[1]) > 1e-12 {
				t.Errorf("γ=%v β=%v: ψ(%v) = %v, want %v", gamma, beta, sv[0], got, sv[1])
			}
		}
		for i := -50; i <= 50; i++ {
			// At the kinks of ψ (0 and ±1/β) the central difference is off by up
			// to γβh/2 ≤ 6.5e-6 for h = 1e-6; elsewhere by O(h²). Hence 1e-5.
			s, h := float64(i)/100, 1e-6
			num := (smoothStep(s+h, gamma, beta) - smoothStep(s-h, gamma, beta)) / (2 * h)
			if got := pseudoDerivative(s, gamma, beta); math.Abs(got-num) > 1e-5 {
				t.Errorf("γ=%v β=%v: ψ(%.2f) = %v, d/ds smoothStep = %v", gamma, beta, s, got, num)
			}
		}
		if got := smoothStep(-1/beta-0.01, gamma, beta); got != 0 {
			t.Errorf("γ=%v β=%v: smoothStep left of the support = %v, want 0", gamma, beta, got)
		}
		if area := smoothStep(1.0, gamma, beta) - smoothStep(-1.0, gamma, beta); math.Abs(area-gamma/beta) > 1e-12 {
			t.Errorf("γ=%v β=%v: area under ψ = %v, want γ/β = %v", gamma, beta, area, gamma/beta)
		}
	}
}

func TestDecoderGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const V, E, N = 7, 3, 5
	d := decoder[float64]{V: V, E: E}
	emb := randomSlice(rng, V*E, 1)
	bias := randomSlice(rng, V, 1)
	h := randomSlice(rng, N*E, 1)
	targets := []int32{0, 3, 6, 2, 2}
	dh, dEmb, dBias := make([]float64, N*E), make([]float64, V*E), make([]float64, V)
	d.forwardBackward(h, targets, emb, bias, dh, dEmb, dBias, 1.0/N)
	loss := func() float64 { return d.forwardBackward(h, targets, emb, bias, nil, nil, nil, 0) / N }
	checkGradient(t, "decoder/h", h, dh, loss, 0, rng)
	checkGradient(t, "decoder/emb", emb, dEmb, loss, 0, rng)
	checkGradient(t, "decoder/bias", bias, dBias, loss, 0, rng)
}

// TestModelGradient checks the whole model, every regulariser on, with the
// dropout masks held fixed by reseeding their generator for every evaluation.
func TestModelGradient(t *testing.T) {
	for _, cell := range []string{CellLSTM, CellEGRU} {
		t.Run(cell, func(t *testing.T) {
			cfg := Config{Cell: cell, Vocab: 11, Embed: 4, Hidden: []int{5, 4},
				DropWord: 0.2, DropInput: 0.2, DropHidden: 0.2, DropOutput: 0.2, DropConnect: 0.3,
				ThresholdMean: 0.2, LearnThreshold: true, PseudoHeight: 2.5, PseudoWidth: 1.5, ActivityReg: 0.5}
			rng := rand.New(rand.NewPCG(7, 8))
			m, err := New[float64](cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range m.layers {
				if e, ok := l.(*egru[float64]); ok {
					e.smooth = true
				}
			}
			const T, B = 4, 3
			x := make([]int32, T*B)
			y := make([]int32, T*B)
			for i := range x {
				x[i], y[i] = int32(rng.IntN(cfg.Vocab)), int32(rng.IntN(cfg.Vocab))
			}
			x[1] = x[0] // a repeated word exercises the accumulation into one embedding row
			init := m.NewState(B)
			for l := range init.S {
				copy(init.S[l], randomSlice(rng, len(init.S[l]), 0.3))
				copy(init.C[l], randomSlice(rng, len(init.C[l]), 0.3))
			}
			run := func() StepStats {
				st := m.NewState(B)
				for l := range st.S {
					copy(st.S[l], init.S[l])
					copy(st.C[l], init.C[l])
				}
				return m.TrainStep(x, y, T, B, st, rand.NewPCG(9, 10))
			}
			loss := func() float64 {
				s := run()
				return s.NLL/float64(s.Tokens) + s.ActivityLoss
			}
			m.Params.ZeroGrad()
			run()
			grad := append([]float64(nil), m.Params.Grad...)
			for i, v := range m.Params.Views {
				g := grad[v.Offset : v.Offset+v.Len()]
				checkGradient(t, fmt.Sprintf("%s/%s", cell, v.Name), m.Params.Value(i), g, func() float64 {
					m.Params.ZeroGrad()
					return loss()
				}, 40, rng)
			}
		})
	}
}
