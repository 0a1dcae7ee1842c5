package study

import (
	"time"

	"github.com/sparselm/sparselm/model"
)

// rates are measured tokens per second of one core (AMD EPYC Zen 3, AVX2,
// one thread per job, two jobs side by side), validation passes included,
// for the estimates of `sparselm study --dry-run`:
//   - small, training: 10 epochs of PTB's 929,589 tokens in 5,674 s (EGRU)
//     and 5,961 s (LSTM), runs/ptb-{egru,lstm}-small/result.json: 1,600.
//   - small, fine-tuning: one epoch in 383 s (EGRU, 90%): 2,400.
//   - tiny: 2 epochs of 4,096 tokens and two validation passes in 8.4 s,
//     runs/quickstart-tiny: about 1,000 (the validation dominates).
//   - paper: not measured here; the small rate divided by the ratio of
//     their parameters (about 9).
var rates = map[string]struct{ train, finetune, stats float64 }{
	"tiny":  {1000, 1000, 20000},
	"small": {1600, 2400, 8000},
	"paper": {180, 270, 900},
}

// DataSize is what the estimates need to know of a dataset: the tokens of
// its training split and its vocabulary (<eos> included); 0 is unknown,
// and PTB's figure is assumed.
type DataSize struct {
	TrainTokens, Vocab int
}

// ptbSize is the size the rates were measured on.
var ptbSize = DataSize{TrainTokens: 929589, Vocab: 10000}

// decoderWeight is the training time of one decoder multiply-accumulate
// per token (E·V, the tied decoder's forward product) relative to one of
// the recurrent layers' (Σ (I+H)·G), fitted to the small preset in the
// conditions of rates (two jobs side by side, one thread each): its
// training progress bars showed 1.5-1.7k tokens/s on PTB (the 3-seed
// study) and 1.1k on WikiText-2 (the WikiText-2 study), the same layers
// with 3.3× the decoder, 1.5× slower where the MACs alone say 2.0-2.4×
// (the fit gives 0.09 for the EGRU, 0.12 for the LSTM). Why a decoder MAC
// costs so much less than a layer's here was not measured; the per-step
// products of 32 rows with the cells and masks between them are the
// likely part.
const decoderWeight = 0.1

// vocabFactor is how much longer a token of the preset's model takes with
// vocabulary v than with PTB's, by decoderWeight; 1 for v unknown.
func vocabFactor(c model.Config, v int) float64 {
	if v <= 0 {
		return 1
	}
	layers, in := 0.0, c.Embed
	for _, h := range c.Hidden {
		g := 3 * h
		if c.Cell == model.CellLSTM {
			g = 4 * h
		}
		layers += float64((in + h) * g)
		in = h
	}
	cost := func(v int) float64 { return layers + decoderWeight*float64(c.Embed*v) }
	return cost(v) / cost(ptbSize.Vocab)
}

// Estimate is a rough time for job j on one core, from the preset's
// measured rates on PTB (see rates), the dataset's training tokens and, for
// a vocabulary other than PTB's, the cost of the larger or smaller decoder
// (vocabFactor). The report takes seconds.
func Estimate(s Spec, j Job, size DataSize) time.Duration {
	r, ok := rates[s.Preset]
	if !ok {
		return 0
	}
	trainTokens := size.TrainTokens
	if trainTokens == 0 {
		trainTokens = ptbSize.TrainTokens
	}
	cell := j.Model
	if cell == "" {
		cell = model.CellEGRU
	}
	o, err := TrainOptions(s, cell, 1)
	if err != nil {
		return 0
	}
	f := vocabFactor(o.Model, size.Vocab)
	epoch := float64(trainTokens)
	if o.EpochTokens > 0 && float64(o.EpochTokens) < epoch {
		epoch = float64(o.EpochTokens)
	}
	test := float64(trainTokens) / 11 // PTB's test split is about a eleventh of its train split
	sec := 0.0
	switch j.Kind {
	case KindTrain:
		sec = f * (float64(o.Epochs)*epoch/r.train + test/r.stats)
	case KindPrune:
		sec = f * (float64(s.FinetuneEpochs)*epoch/r.finetune + test/r.stats)
	case KindBench:
		sec = f * float64(len(s.Levels)+1) * 2 * float64(s.BenchRepeats*s.BenchTokens+20) / (r.stats / 2)
	case KindReport:
		sec = 5
	}
	return time.Duration(sec * float64(time.Second))
}
