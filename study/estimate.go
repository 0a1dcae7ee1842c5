package study

import "time"

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

// Estimate is a rough time for job j on one core, from the preset's
// measured rates (see rates) and the dataset's training tokens (0:
// unknown, PTB's assumed). The report takes seconds.
func Estimate(s Spec, j Job, trainTokens int) time.Duration {
	r, ok := rates[s.Preset]
	if !ok {
		return 0
	}
	if trainTokens == 0 {
		trainTokens = 929589
	}
	o, err := TrainOptions(s, "egru", 1)
	if err != nil {
		return 0
	}
	epoch := float64(trainTokens)
	if o.EpochTokens > 0 && float64(o.EpochTokens) < epoch {
		epoch = float64(o.EpochTokens)
	}
	test := float64(trainTokens) / 11 // PTB's test split is about a eleventh of its train split
	sec := 0.0
	switch j.Kind {
	case KindTrain:
		sec = float64(o.Epochs)*epoch/r.train + test/r.stats
	case KindPrune:
		sec = float64(s.FinetuneEpochs)*epoch/r.finetune + test/r.stats
	case KindBench:
		sec = float64(len(s.Levels)+1) * 2 * float64(s.BenchRepeats*s.BenchTokens+20) / (r.stats / 2)
	case KindReport:
		sec = 5
	}
	return time.Duration(sec * float64(time.Second))
}
