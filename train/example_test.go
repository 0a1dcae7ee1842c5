package train_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/train"
)

// Example walks the main API path: load a corpus, build an EGRU language
// model, train it for a few windows and evaluate it.
func Example() {
	corpus, err := data.LoadDir("../testdata/data/tiny", data.Options{})
	if err != nil {
		panic(err)
	}
	cfg := model.Config{Cell: model.CellEGRU, Vocab: corpus.Vocab.Len(), Embed: 16, Hidden: []int{24, 16},
		ThresholdMean: 0.2, LearnThreshold: true, PseudoHeight: 3.6, PseudoWidth: 3.6}
	pcg := rand.NewPCG(1, 2)
	rng := rand.New(pcg)
	m, err := model.New[float32](cfg, rng)
	if err != nil {
		panic(err)
	}
	opt := train.NewOptimizer(train.OptimizerConfig{Kind: train.AdamW, LR: 1e-2, Beta2: 0.999, Eps: 1e-8}, len(m.Params.Data))

	const B, T = 8, 16
	stream, err := data.Batchify(corpus.Train, B)
	if err != nil {
		panic(err)
	}
	x, y := make([]int32, B*T), make([]int32, B*T)
	state := m.NewState(B)
	for t0 := 0; t0+T < 40*T; t0 += T {
		n := stream.Window(t0, T, x, y)
		train.Step(m, opt, x[:n*B], y[:n*B], n, B, state, pcg, 1, 1)
	}
	valid, err := train.Evaluate(context.Background(), m, corpus.Valid, 1, 32, nil, "")
	if err != nil {
		panic(err)
	}
	fmt.Printf("vocabulary %d, parameters %d\n", corpus.Vocab.Len(), len(m.Params.Data))
	fmt.Printf("validation perplexity below 150: %v (a uniform guess is %d)\n", valid.PPL < 150, corpus.Vocab.Len())
	fmt.Printf("some units silent: %v\n", valid.Activity > 0 && !math.IsNaN(valid.Activity))
	// Output:
	// vocabulary 219, parameters 8723
	// validation perplexity below 150: true (a uniform guess is 219)
	// some units silent: true
}
