package train

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
)

// BenchmarkTrainStep measures one training window of a PTB-sized model
// (V = 10000) in the small preset's shape; tokens/s is the figure that matters.
func BenchmarkTrainStep(b *testing.B) {
	for _, cell := range []string{model.CellLSTM, model.CellEGRU} {
		b.Run(cell, func(b *testing.B) {
			cfg := model.Config{Cell: cell, Vocab: 10000, Embed: 400, Hidden: []int{400, 400},
				DropWord: 0.1, DropInput: 0.3, DropHidden: 0.2, DropOutput: 0.3, DropConnect: 0.2,
				ThresholdMean: 0.1, LearnThreshold: true, PseudoHeight: 3.6, PseudoWidth: 3.6}
			benchTrain(b, cfg, 32, 35)
		})
	}
}

func benchTrain(b *testing.B, cfg model.Config, B, T int) {
	tensor.SetThreads(threadsFromEnv())
	rng := rand.New(rand.NewPCG(1, 1))
	m, err := model.New[float32](cfg, rng)
	if err != nil {
		b.Fatal(err)
	}
	opt := NewOptimizer(OptimizerConfig{Kind: AdamW, LR: 1e-3, Beta2: 0.999, Eps: 1e-8}, len(m.Params.Data))
	x, y := make([]int32, T*B), make([]int32, T*B)
	for i := range x {
		x[i], y[i] = int32(rng.IntN(cfg.Vocab)), int32(rng.IntN(cfg.Vocab))
	}
	st := m.NewState(B)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Params.ZeroGrad()
		m.TrainStep(x, y, T, B, st, rng)
		ClipGradNorm(m.Params.Grad, 0.25)
		opt.Update(&m.Params, 1, true)
	}
	b.ReportMetric(float64(b.N*T*B)/b.Elapsed().Seconds(), "tokens/s")
}

func threadsFromEnv() int {
	if os.Getenv("SPARSELM_THREADS") == "2" {
		return 2
	}
	return 1
}

var _ = data.EOS

// BenchmarkEvaluate measures forward-only evaluation of the small preset's
// shape at the validation batch (10) and the test batch (1).
func BenchmarkEvaluate(b *testing.B) {
	for _, B := range []int{10, 1} {
		b.Run(map[int]string{10: "batch10", 1: "batch1"}[B], func(b *testing.B) {
			cfg := model.Config{Cell: model.CellEGRU, Vocab: 10000, Embed: 400, Hidden: []int{400, 400},
				ThresholdMean: 0.1, PseudoHeight: 3.6, PseudoWidth: 3.6}
			tensor.SetThreads(threadsFromEnv())
			rng := rand.New(rand.NewPCG(1, 1))
			m, err := model.New[float32](cfg, rng)
			if err != nil {
				b.Fatal(err)
			}
			const T = 35
			x, y := make([]int32, T*B), make([]int32, T*B)
			for i := range x {
				x[i], y[i] = int32(rng.IntN(cfg.Vocab)), int32(rng.IntN(cfg.Vocab))
			}
			st := m.NewState(B)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Evaluate(x, y, T, B, st)
			}
			b.ReportMetric(float64(b.N*T*B)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
