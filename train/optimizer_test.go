package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sparselm/sparselm/model"
)

// TestScheduleScale checks the learning-rate multiplier at known steps
// against the documented formula, worked out by hand: 100 steps, 20 at the
// full rate, then MinScale + (1−MinScale)·(1+cos(π·f))/2 with f the fraction
// of the 80 decay steps done. The tolerance is a few float64 ulp.
func TestScheduleScale(t *testing.T) {
	s := Schedule{TotalSteps: 100, ConstantSteps: 20, MinScale: 0.1}
	half := math.Sqrt2 / 2 // cos(π/4)
	for _, c := range []struct {
		step int64
		want float64
	}{
		{0, 1}, {19, 1},
		{20, 1},                    // f = 0: the decay starts at the full rate
		{40, 0.1 + 0.9*(1+half)/2}, // f = 1/4: 0.8682
		{60, 0.55},                 // f = 1/2: halfway between 1 and MinScale
		{80, 0.1 + 0.9*(1-half)/2}, // f = 3/4: 0.2318
		{100, 0.1}, {150, 0.1},     // the end and past it: MinScale
		{99, 0.1 + 0.9*(1+math.Cos(math.Pi*79/80))/2}, // the last step: just above MinScale
	} {
		if got := s.Scale(c.step); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Scale(%d) = %.17g, want %.17g", c.step, got, c.want)
		}
	}
	prev := 1.0
	for step := int64(0); step <= 100; step++ {
		got := s.Scale(step)
		if got > prev || got < 0.1 {
			t.Fatalf("Scale(%d) = %v after %v: the multiplier must fall monotonically from 1 to 0.1", step, got, prev)
		}
		prev = got
	}
	for _, flat := range []Schedule{{TotalSteps: 10, ConstantSteps: 10, MinScale: 0.1}, {TotalSteps: 0, MinScale: 0.1}} {
		if got := flat.Scale(5); got != 1 {
			t.Errorf("%+v: Scale(5) = %v, want 1 (no decay phase)", flat, got)
		}
	}
}

// optimizerParams returns a tiny EGRU's parameter slab (weights, biases and
// thresholds) with random values, a mask that prunes about a third of the
// prunable weights, and two thresholds next to the ends of [0, 1].
func optimizerParams(t *testing.T, rng *rand.Rand) (p *model.Params[float32], lo, hi int) {
	t.Helper()
	cfg := model.Config{Cell: model.CellEGRU, Vocab: 12, Embed: 4, Hidden: []int{6, 4},
		ThresholdMean: 0.2, LearnThreshold: true, PseudoHeight: 3.6, PseudoWidth: 3.6}
	m, err := model.New[float32](cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	p = &m.Params
	p.Mask = make([]float32, len(p.Data))
	lo = -1
	for _, v := range p.Views {
		for i := v.Offset; i < v.Offset+v.Len(); i++ {
			p.Mask[i] = 1
			switch v.Group {
			case model.GroupThreshold:
				p.Data[i] = 0.1 + 0.8*rng.Float32()
			default:
				p.Data[i] = float32(rng.NormFloat64() * 0.3)
				if v.Prunable && rng.IntN(3) == 0 {
					p.Mask[i] = 0
				}
			}
		}
		if v.Group == model.GroupThreshold && lo < 0 {
			lo, hi = v.Offset, v.Offset+1
			p.Data[lo], p.Data[hi] = 0.0005, 0.9995
		}
	}
	p.ApplyMask()
	return p, lo, hi
}

// TestOptimizerMatchesReference runs three updates (multipliers 1, ½, ¼) of
// each optimizer setting on a slab with every parameter group and a mask,
// and compares every parameter and moment with a float64 transcription of
// the rules the package documents: AdamW with bias corrections 1−β^t and
// decoupled decay, or SGD with L2 decay; decay on weights only; thresholds
// at ThresholdLR (LR when 0) times the multiplier, clipped to [0, 1], and
// untouched when frozen; pruned weights and their moments zero.
//
// Tolerance: the optimizer takes its settings as float32 (the reference
// rounds them the same way: 1−β2 for β2 = 0.999 is 1.3e-5 off in float32) and
// rounds every operation (≤ 2⁻²⁴ relative), so a parameter may differ from
// the float64 value by a few ulp of itself (3e-7·|x|) plus a few ulp of each
// step taken (1e-5 of the summed |steps| leaves a wide margin), a moment by a
// few ulp of the magnitudes summed into it (1e-6). Real mistakes are far larger: a bias
// decayed by 0.1 moves it by lr·0.1·|x| ≈ 1e-3·|x| a step, a wrong bias
// correction or an unscaled threshold rate changes a step by 20–100 %.
func TestOptimizerMatchesReference(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   OptimizerConfig
		learn bool
	}{
		{"adamw", OptimizerConfig{Kind: AdamW, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, ThresholdLR: 1e-3}, true},
		{"adamw-beta1-0-frozen", OptimizerConfig{Kind: AdamW, LR: 1e-2, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.1}, false},
		{"adamw-threshold-lr-0", OptimizerConfig{Kind: AdamW, LR: 2e-3, Beta1: 0.5, Beta2: 0.9, Eps: 1e-8, WeightDecay: 0.05}, true},
		{"sgd", OptimizerConfig{Kind: SGD, LR: 1e-2, WeightDecay: 0.1, ThresholdLR: 1e-3}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			p, lo, hi := optimizerParams(t, rng)
			n := len(p.Data)
			opt := NewOptimizer(c.cfg, n)
			x := make([]float64, n)
			m, v, mAbs, moved := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range x {
				x[i] = float64(p.Data[i])
			}
			group := make([]model.Group, n)
			for _, view := range p.Views {
				for i := view.Offset; i < view.Offset+view.Len(); i++ {
					group[i] = view.Group
				}
			}
			// The kernels take the settings as float32; so does the reference.
			f32 := func(x float64) float64 { return float64(float32(x)) }
			cf := c.cfg
			b1, b2 := f32(cf.Beta1), f32(cf.Beta2)
			omb1, omb2 := float64(1-float32(cf.Beta1)), float64(1-float32(cf.Beta2))
			for step, scale := range []float64{1, 0.5, 0.25} {
				// Pruned weights get gradients too: Update must keep them and
				// their moments zero whatever it is given.
				for i := range p.Grad {
					p.Grad[i] = float32(rng.NormFloat64())
				}
				// Push the two edge thresholds out of [0, 1].
				p.Grad[lo], p.Grad[hi] = 1, -1
				tt := float64(step + 1)
				for i := range x {
					lr, decay := f32(cf.LR*scale), f32(cf.WeightDecay)
					switch group[i] {
					case model.GroupBias:
						decay = 0
					case model.GroupThreshold:
						if !c.learn {
							continue
						}
						decay = 0
						if cf.ThresholdLR > 0 {
							lr = f32(cf.ThresholdLR * scale)
						}
					}
					g, old := float64(p.Grad[i]), x[i]
					if cf.Kind == SGD {
						x[i] -= lr * (g + decay*x[i])
					} else {
						m[i] = b1*m[i] + omb1*g
						mAbs[i] = b1*mAbs[i] + omb1*math.Abs(g)
						v[i] = b2*v[i] + omb2*g*g
						bc1, bc2 := f32(1-math.Pow(cf.Beta1, tt)), f32(1-math.Pow(cf.Beta2, tt))
						q := (m[i] / bc1) / (math.Sqrt(v[i]/bc2) + f32(cf.Eps))
						x[i] -= lr * (decay*x[i] + q)
					}
					if group[i] == model.GroupThreshold {
						x[i] = min(1, max(0, x[i]))
					}
					if p.Mask[i] == 0 {
						x[i], m[i], v[i] = 0, 0, 0
					}
					moved[i] += math.Abs(x[i] - old)
				}
				opt.Update(p, scale, c.learn)
			}
			if opt.Step != 3 {
				t.Errorf("Step = %d after 3 updates", opt.Step)
			}
			bad := 0
			for i := range x {
				got := float64(p.Data[i])
				if d := math.Abs(got - x[i]); d > 3e-7*math.Abs(x[i])+1e-5*moved[i] || (p.Mask[i] == 0 && got != 0) {
					if bad++; bad <= 5 {
						t.Errorf("%s[%d] (%v): %.9g, reference %.9g (moved %.3g in all)", viewName(p, i), i, group[i], got, x[i], moved[i])
					}
				}
			}
			if !c.learn && (p.Data[lo] != 0.0005 || p.Data[hi] != 0.9995) {
				t.Errorf("frozen thresholds moved: %v, %v", p.Data[lo], p.Data[hi])
			}
			if c.learn && (p.Data[lo] != 0 || p.Data[hi] != 1) {
				t.Errorf("thresholds pushed out of [0, 1] end at %v, %v, want 0 and 1", p.Data[lo], p.Data[hi])
			}
			if cf.Kind != AdamW {
				return
			}
			for i := range x {
				// m is not kept when β1 = 0.
				for _, mom := range []struct {
					name           string
					got, want, mag float64
				}{{"M", float64(opt.M[i]), m[i], mAbs[i]}, {"V", float64(opt.V[i]), v[i], v[i]}} {
					if mom.name == "M" && cf.Beta1 == 0 {
						continue
					}
					if d := math.Abs(mom.got - mom.want); d > 1e-6*mom.mag || (p.Mask[i] == 0 && mom.got != 0) {
						if bad++; bad <= 5 {
							t.Errorf("%s[%d] of %s: %.9g, reference %.9g", mom.name, i, viewName(p, i), mom.got, mom.want)
						}
					}
				}
			}
		})
	}
}

func viewName(p *model.Params[float32], i int) string {
	for _, v := range p.Views {
		if i >= v.Offset && i < v.Offset+v.Len() {
			return v.Name
		}
	}
	return "?"
}

// TestStepClipsGradientNorm takes one SGD step with a clip small enough to
// bind and checks the update Step applies: the gradient (pruned weights
// zeroed first, so they take no share of the norm) scaled to norm clip,
// times lr and the multiplier. The unclipped gradient comes from the same
// step with clipping off (same model, same draws). Tolerance: the update
// x − lr·g is rounded to float32 at |x| ≈ 0.1–1, so Δ is off by ≤ 6e-8·|x|
// per element; the norm of Δ by 1e-4 relative at most. Without clipping the
// update is 100× larger; clipping before the mask shrinks it by ~20 %.
func TestStepClipsGradientNorm(t *testing.T) {
	cfg := model.Config{Cell: model.CellLSTM, Vocab: 40, Embed: 8, Hidden: []int{12, 8}, DropInput: 0.1, DropConnect: 0.2}
	const B, T, lr, scale, clip = 3, 6, 0.1, 0.5, 1e-3
	newModel := func() (*model.LM[float32], *rand.PCG) {
		rng := rand.New(rand.NewPCG(3, 4))
		m, err := model.New[float32](cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		p := &m.Params
		p.Mask = make([]float32, len(p.Data))
		for _, v := range p.Views {
			for i := v.Offset; i < v.Offset+v.Len(); i++ {
				if !v.Prunable || rng.IntN(3) != 0 {
					p.Mask[i] = 1
				}
			}
		}
		p.ApplyMask()
		return m, rand.NewPCG(5, 6)
	}
	x, y := make([]int32, T*B), make([]int32, T*B)
	ids := rand.New(rand.NewPCG(7, 8))
	for i := range x {
		x[i], y[i] = int32(ids.IntN(cfg.Vocab)), int32(ids.IntN(cfg.Vocab))
	}
	sgd := OptimizerConfig{Kind: SGD, LR: lr}

	free, rng := newModel()
	Step(free, NewOptimizer(sgd, len(free.Params.Data)), x, y, T, B, free.NewState(B), rng, 0, scale)
	g := append([]float32(nil), free.Params.Grad...)
	var norm2, prunedGrad float64
	for i, v := range g {
		norm2 += float64(v) * float64(v)
		if free.Params.Mask[i] == 0 && v != 0 {
			prunedGrad++
		}
	}
	norm := math.Sqrt(norm2)
	if prunedGrad > 0 || !(norm > 100*clip) {
		t.Fatalf("unclipped step: %v pruned weights with a gradient, norm %v: the test needs 0 and a norm ≫ %v", prunedGrad, norm, clip)
	}

	m, rng := newModel()
	before := append([]float32(nil), m.Params.Data...)
	Step(m, NewOptimizer(sgd, len(m.Params.Data)), x, y, T, B, m.NewState(B), rng, clip, scale)
	k := clip / (norm + 1e-6)
	var dnorm2 float64
	bad := 0
	for i := range before {
		d := float64(before[i]) - float64(m.Params.Data[i])
		dnorm2 += d * d
		want := lr * scale * k * float64(g[i])
		if math.Abs(d-want) > 6e-8*math.Abs(float64(before[i]))+1e-6*math.Abs(want) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%d]: moved by %.6g, want lr·scale·clip/‖g‖·g = %.6g", viewName(&m.Params, i), i, d, want)
			}
		}
	}
	if got := math.Sqrt(dnorm2) / (lr * scale); math.Abs(got-clip) > 1e-4*clip {
		t.Errorf("‖update‖/(lr·scale) = %.6g, want the clip %v (unclipped gradient norm %.4g)", got, clip, norm)
	}
}
