package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
)

// TestStepSameAcrossThreads runs three training steps of a model large
// enough for every parallel part of a step to split (decoder rows, bias
// rows and column sums, gradient norm blocks, optimizer ranges: 230k
// parameters, 20 % of them pruned) with 1, 2 and 3 threads, and requires
// the same bits in every parameter and moment: each element is computed by
// one goroutine in a fixed order whatever the split.
func TestStepSameAcrossThreads(t *testing.T) {
	defer tensor.SetThreads(tensor.Threads())
	for _, cell := range []string{model.CellLSTM, model.CellEGRU} {
		var ref *model.LM[float32]
		var refOpt *Optimizer
		for _, threads := range []int{1, 2, 3} {
			tensor.SetThreads(threads)
			cfg := benchConfig(cell)
			cfg.Vocab, cfg.Embed, cfg.Hidden = 3000, 64, []int{96, 64}
			pcg := rand.NewPCG(5, 6)
			rng := rand.New(pcg)
			m, err := model.New[float32](cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			m.Params.Mask = make([]float32, len(m.Params.Data))
			for i := range m.Params.Mask {
				if rng.Float64() >= 0.2 {
					m.Params.Mask[i] = 1
				}
			}
			m.Params.ApplyMask()
			const B, T = 8, 20
			x, y := make([]int32, T*B), make([]int32, T*B)
			for i := range x {
				x[i], y[i] = int32(rng.IntN(cfg.Vocab)), int32(rng.IntN(cfg.Vocab))
			}
			opt := NewOptimizer(OptimizerConfig{Kind: AdamW, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, ThresholdLR: 1e-3}, len(m.Params.Data))
			st := m.NewState(B)
			for range 3 {
				Step(m, opt, x, y, T, B, st, pcg, 0.1, 1) // clip 0.1: the scaling runs
			}
			if ref == nil {
				ref, refOpt = m, opt
				continue
			}
			for name, pair := range map[string][2][]float32{
				"params": {ref.Params.Data, m.Params.Data}, "M": {refOpt.M, opt.M}, "V": {refOpt.V, opt.V},
			} {
				for i := range pair[0] {
					if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
						t.Fatalf("%s, %d threads: %s[%d] = %v, 1 thread %v", cell, threads, name, i, pair[1][i], pair[0][i])
					}
				}
			}
		}
	}
}

// TestClipGradNorm checks the blocked parallel norm against a plain float64
// sum (they differ only by float64 reordering: relative 1e-12 is ~n·2⁻⁵³
// with margin for n = 100003) and the scaling against a plain loop, bit for bit.
func TestClipGradNorm(t *testing.T) {
	defer tensor.SetThreads(tensor.Threads())
	r := rand.New(rand.NewPCG(7, 8))
	g0 := make([]float32, 100003)
	var s float64
	for i := range g0 {
		g0[i] = float32(r.NormFloat64())
		s += float64(g0[i]) * float64(g0[i])
	}
	want := math.Sqrt(s)
	for _, threads := range []int{1, 2} {
		tensor.SetThreads(threads)
		g := append([]float32(nil), g0...)
		if n := ClipGradNorm(g, 0); math.Abs(n-want) > 1e-12*want {
			t.Fatalf("threads %d: norm %v, want %v", threads, n, want)
		}
		for i := range g {
			if g[i] != g0[i] {
				t.Fatalf("maxNorm 0 changed the gradient")
			}
		}
		n := ClipGradNorm(g, 1)
		k := float32(1 / (n + 1e-6))
		for i := range g {
			if w := g0[i] * k; math.Float32bits(g[i]) != math.Float32bits(w) {
				t.Fatalf("threads %d: g[%d] = %v after clipping, want %v", threads, i, g[i], w)
			}
		}
		if n2 := ClipGradNorm(g, 0); math.Abs(n2-1) > 1e-6 {
			t.Fatalf("threads %d: norm after clipping to 1 is %v", threads, n2)
		}
	}
}
