package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/train"
)

// trainFlags are the train command's settings besides train.Options.
type trainFlags struct {
	preset, cell, dataset, dataDir, out string
	resume, quiet                       bool
	hidden                              intList
}

// defineTrainFlags binds every option to fs with the current values of o as defaults.
func defineTrainFlags(fs *flag.FlagSet, o *train.Options, tf *trainFlags) {
	fs.StringVar(&tf.preset, "preset", tf.preset, "settings to start from: tiny | small | paper (flags override them)")
	fs.StringVar(&tf.cell, "model", tf.cell, "recurrent cell: lstm | egru")
	fs.StringVar(&tf.dataset, "dataset", tf.dataset, "dataset name (ptb, wikitext-2) or a directory holding train/valid/test splits")
	fs.StringVar(&tf.dataDir, "data", tf.dataDir, dataFlagHelp)
	fs.StringVar(&tf.out, "out", tf.out, "run directory (default runs/DATASET-MODEL-PRESET)")
	fs.BoolVar(&tf.resume, "resume", false, "continue the run in --out from its last checkpoint")
	fs.BoolVar(&tf.quiet, "quiet", false, "no progress bar")
	fs.IntVar(&o.MaxVocab, "max-vocab", o.MaxVocab, "keep only the most frequent words (0: all); others become <unk>")
	fs.IntVar(&o.MinCount, "min-count", o.MinCount, "words seen fewer times in train become <unk>")

	m := &o.Model
	fs.IntVar(&m.Embed, "embed", m.Embed, "embedding width E (the last layer must be E wide: tied decoder)")
	tf.hidden = intList(m.Hidden)
	fs.Var(&tf.hidden, "hidden", "comma-separated layer widths, bottom to top, e.g. 400,400")
	fs.Float64Var(&m.DropWord, "drop-word", m.DropWord, "word (embedding-row) dropout")
	fs.Float64Var(&m.DropInput, "drop-input", m.DropInput, "locked dropout on the embedding output")
	fs.Float64Var(&m.DropHidden, "drop-hidden", m.DropHidden, "locked dropout between layers")
	fs.Float64Var(&m.DropOutput, "drop-output", m.DropOutput, "locked dropout before the decoder")
	fs.Float64Var(&m.DropConnect, "drop-connect", m.DropConnect, "DropConnect on the recurrent weights")
	fs.Float64Var(&m.ThresholdMean, "threshold-mean", m.ThresholdMean, "EGRU: mean μ of the Beta(3μ/(1−μ), 3) threshold initialisation")
	fs.BoolVar(&m.LearnThreshold, "learn-threshold", m.LearnThreshold, "EGRU: learn the thresholds (false: frozen)")
	fs.Float64Var(&m.PseudoHeight, "pseudo-height", m.PseudoHeight, "EGRU: height γ of the pseudo-derivative")
	fs.Float64Var(&m.PseudoWidth, "pseudo-width", m.PseudoWidth, "EGRU: β of the pseudo-derivative (support half-width 1/β)")
	fs.BoolVar(&m.ZeroStateWindow, "zero-state-window", m.ZeroStateWindow, "EGRU: zero c at every BPTT window as the reference code does")
	fs.Float64Var(&m.ActivityReg, "activity-reg", m.ActivityReg, "EGRU: weight of the mean-event-rate regulariser")

	fs.StringVar(&o.Optim.Kind, "optimizer", o.Optim.Kind, "adamw | sgd")
	fs.Float64Var(&o.Optim.LR, "lr", o.Optim.LR, "learning rate")
	fs.Float64Var(&o.Optim.Beta1, "beta1", o.Optim.Beta1, "AdamW β1 (0 allowed)")
	fs.Float64Var(&o.Optim.Beta2, "beta2", o.Optim.Beta2, "AdamW β2")
	fs.Float64Var(&o.Optim.WeightDecay, "weight-decay", o.Optim.WeightDecay, "decoupled weight decay on the weight matrices")
	fs.Float64Var(&o.Optim.ThresholdLR, "threshold-lr", o.Optim.ThresholdLR, "EGRU: learning rate of the thresholds (0: --lr)")
	fs.Float64Var(&o.Clip, "clip", o.Clip, "gradient-norm clipping (0: off)")
	fs.Float64Var(&o.ConstantFrac, "constant-frac", o.ConstantFrac, "fraction of steps at the full learning rate before the cosine decay")
	fs.Float64Var(&o.MinLRScale, "min-lr-scale", o.MinLRScale, "learning-rate multiplier reached at the last step")

	fs.IntVar(&o.Batch, "batch", o.Batch, "parallel streams B")
	fs.IntVar(&o.BPTT, "bptt", o.BPTT, "BPTT window length T")
	fs.BoolVar(&o.VariableBPTT, "variable-bptt", o.VariableBPTT, "AWD-LSTM variable-length windows")
	fs.IntVar(&o.Epochs, "epochs", o.Epochs, "maximum epochs")
	fs.IntVar(&o.EpochTokens, "epoch-tokens", o.EpochTokens, "cap on training tokens per epoch (0: whole split)")
	fs.IntVar(&o.EvalBatch, "eval-batch", o.EvalBatch, "streams for validation (test always uses 1)")
	fs.IntVar(&o.EvalBPTT, "eval-bptt", o.EvalBPTT, "window length for evaluation")
	fs.IntVar(&o.Patience, "patience", o.Patience, "early stopping: epochs without a better validation perplexity (0: never)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed")
	fs.IntVar(&o.Threads, "threads", o.Threads, "threads for the numeric kernels")
	fs.DurationVar(&o.SaveEvery, "save-every", o.SaveEvery, "interval of resumable checkpoints within an epoch")
	fs.BoolVar(&o.SkipTest, "skip-test", o.SkipTest, "do not evaluate the test split at the end")
}

func runTrain(ctx context.Context, env *Env, args []string) error {
	const synopsis = "train --model lstm|egru --dataset ptb [--preset small] [flags]"
	// First pass: find the preset, cell and dataset, which decide the defaults.
	var scratch train.Options
	tf := trainFlags{preset: "small", cell: model.CellLSTM, dataset: "ptb"}
	fs := newFlagSet(env, "train", synopsis)
	fs.SetOutput(discard{})
	defineTrainFlags(fs, &scratch, &tf)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs2 := newFlagSet(env, "train", synopsis)
			o, _ := preset("small", model.CellLSTM, "ptb")
			defineTrainFlags(fs2, &o, &trainFlags{preset: "small", cell: "lstm", dataset: "ptb"})
			fs2.Usage()
			return errHelp
		}
		// Report the error with the real output below.
	}
	o, err := preset(tf.preset, tf.cell, filepath.Base(tf.dataset))
	if err != nil {
		return err
	}
	o.Model.Cell = tf.cell
	tf2 := trainFlags{preset: tf.preset, cell: tf.cell, dataset: tf.dataset}
	fs = newFlagSet(env, "train", synopsis)
	defineTrainFlags(fs, &o, &tf2)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("train: unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	o.Model.Hidden = []int(tf2.hidden)
	if !contains(setFlags(fs), "hidden") && contains(setFlags(fs), "embed") {
		// Keep the tied decoder consistent when only --embed is given.
		o.Model.Hidden[len(o.Model.Hidden)-1] = o.Model.Embed
	}
	if tf2.out == "" {
		tf2.out = filepath.Join("runs", fmt.Sprintf("%s-%s-%s", filepath.Base(tf2.dataset), o.Model.Cell, tf2.preset))
	}
	dir, err := data.Resolve(tf2.dataset, tf2.dataDir, env.Getenv)
	if err != nil {
		return err
	}
	corpus, err := data.LoadDir(dir, data.Options{MaxVocab: o.MaxVocab, MinCount: o.MinCount})
	if err != nil {
		return err
	}
	o.Dataset = tf2.dataset
	if strings.ContainsRune(tf2.dataset, filepath.Separator) {
		// A directory given by path: remember it absolutely so eval finds it from anywhere.
		if abs, err := filepath.Abs(tf2.dataset); err == nil {
			o.Dataset = abs
		}
	}
	o.Model.Vocab = corpus.Vocab.Len()
	progress := env.Stderr
	if tf2.quiet {
		progress = nil
	}
	fmt.Fprintf(env.Stderr, "sparselm train: %s on %s (%d train tokens, vocabulary %d), preset %s, %d threads, out %s\n",
		o.Model.Cell, dir, len(corpus.Train), corpus.Vocab.Len(), tf2.preset, o.Threads, tf2.out)
	r := &train.Runner{Options: o, Corpus: corpus, Out: tf2.out, Progress: progress}
	res, err := r.Run(ctx, tf2.resume)
	if err != nil {
		return err
	}
	printResult(env, res)
	return nil
}

func printResult(env *Env, res *train.Result) {
	w := env.Stdout
	fmt.Fprintf(w, "epochs %d (best %d), wall time %s, %d parameters, kernel %s\n",
		res.Epochs, res.BestEpoch, time.Duration(res.WallSeconds*float64(time.Second)).Round(time.Second), res.Parameters, res.Kernel)
	fmt.Fprintf(w, "valid ppl %.2f\n", res.BestValid.PPL)
	if res.Test != nil {
		fmt.Fprintf(w, "test ppl %.2f (batch 1, %d tokens)\n", res.Test.PPL, res.Test.Tokens)
		if res.Options.Model.Cell == model.CellEGRU {
			fmt.Fprintf(w, "test activity sparsity %.2f%% (per layer: %s)\n", 100*res.Test.Activity, percents(res.Test.Sparsity))
		}
	}
}

func percents(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		if math.IsNaN(x) {
			parts[i] = "n/a"
			continue
		}
		parts[i] = fmt.Sprintf("%.2f%%", 100*x)
	}
	return strings.Join(parts, ", ")
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
