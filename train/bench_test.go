package train

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
)

// benchConfig is the small preset's model on PTB (V = 10000): 2 layers of
// 256, E = 256, with its regularisers. `sparselm bench` measures the same
// step from the command line.
func benchConfig(cell string) model.Config {
	return model.Config{Cell: cell, Vocab: 10000, Embed: 256, Hidden: []int{256, 256},
		DropWord: 0.05, DropInput: 0.2, DropHidden: 0.2, DropOutput: 0.25, DropConnect: 0.2,
		ThresholdMean: 0.2, LearnThreshold: true, PseudoHeight: 3.6, PseudoWidth: 3.6, ActivityReg: 0.03}
}

// benchSetup builds the model and one window of random ids [T×B]; threads
// come from SPARSELM_THREADS (default 1).
func benchSetup(b *testing.B, cfg model.Config, B, T int) (m *model.LM[float32], x, y []int32, pcg *rand.PCG) {
	threads := 1
	if os.Getenv("SPARSELM_THREADS") == "2" {
		threads = 2
	}
	tensor.SetThreads(threads)
	pcg = rand.NewPCG(1, 1)
	rng := rand.New(pcg)
	m, err := model.New[float32](cfg, rng)
	if err != nil {
		b.Fatal(err)
	}
	x, y = make([]int32, T*B), make([]int32, T*B)
	for i := range x {
		x[i], y[i] = int32(rng.IntN(cfg.Vocab)), int32(rng.IntN(cfg.Vocab))
	}
	return m, x, y, pcg
}

// BenchmarkTrainStep measures one training window (batch 32 × BPTT 35);
// tokens/s is the figure that matters.
func BenchmarkTrainStep(b *testing.B) {
	for _, cell := range []string{model.CellLSTM, model.CellEGRU} {
		b.Run(cell, func(b *testing.B) {
			const B, T = 32, 35
			m, x, y, pcg := benchSetup(b, benchConfig(cell), B, T)
			opt := NewOptimizer(OptimizerConfig{Kind: AdamW, LR: 1e-3, Beta2: 0.999, Eps: 1e-8}, len(m.Params.Data))
			st := m.NewState(B)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Step(m, opt, x, y, T, B, st, pcg, 0.25, 1)
			}
			b.ReportMetric(float64(b.N*T*B)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkEvaluate measures forward-only evaluation of the EGRU at the
// validation batch (10) and the test batch (1).
func BenchmarkEvaluate(b *testing.B) {
	for _, B := range []int{10, 1} {
		b.Run(map[int]string{10: "batch10", 1: "batch1"}[B], func(b *testing.B) {
			const T = 35
			m, x, y, _ := benchSetup(b, benchConfig(model.CellEGRU), B, T)
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
