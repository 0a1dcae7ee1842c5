package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/train"
)

func runTrain(ctx context.Context, env *Env, args []string) error {
	const synopsis = "train --model lstm|egru --dataset ptb [--preset small] [flags]\n" +
		"       sparselm train --out DIR --resume [--threads N] [--save-every D] [--quiet]\n\n" +
		"Defaults are those of the preset, model and dataset on the command line (the small LSTM on PTB\n" +
		"without them); with --resume, those of the run in --out, whose settings cannot change except\n" +
		"--threads, --save-every and --skip-test."
	fs := newFlagSet(env, "train", synopsis)
	var given train.Options // what the option flags given hold (trainFlags)
	defineOptionFlags(fs, &given)
	dataDir := fs.String("data", "", dataFlagHelp)
	out := fs.String("out", "", "run `directory` (default runs/DATASET-MODEL-PRESET)")
	resume := fs.Bool("resume", false, "continue the run in --out from its last checkpoint, with its stored settings (a finished run: print its result)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	dryRun := fs.Bool("dry-run", false, "print the resolved settings as JSON and exit without writing anything")
	fs.defaults = func() (map[string]string, error) {
		o, _, err := resolveTrain(&given, fs.given(), out, *resume)
		if err != nil {
			return nil, err
		}
		return optionDefaults(&o), nil
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fs.noArgs("train"); err != nil {
		return err
	}
	o, conflicts, err := resolveTrain(&given, fs.given(), out, *resume)
	if err != nil {
		return err
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("train: --resume: the run in %s was started with other settings; drop these flags to continue it, "+
			"or start a new run in another --out:\n  %s", *out, strings.Join(conflicts, "\n  "))
	}
	if !*resume && !*dryRun {
		// Before the corpus is read and the header printed.
		for _, f := range []string{filePruneSpec, study.SpecFile} {
			if _, err := os.Stat(filepath.Join(*out, f)); err == nil {
				return fmt.Errorf("train: %s holds %s, not a training run: choose another --out", *out, f)
			}
		}
		if err := train.CheckFresh(*out); err != nil {
			return withRunHint(err, "sparselm train --out "+*out+" --resume")
		}
	}
	if err := o.ValidateData(); err != nil {
		return flagged("train", err, trainFlagOf)
	}
	dir, err := data.Resolve(o.Dataset, *dataDir, env.Getenv)
	if err != nil {
		return err
	}
	corpus, err := data.LoadDir(dir, data.Options{MaxVocab: o.MaxVocab, MinCount: o.MinCount})
	if err != nil {
		return err
	}
	if !*resume {
		o.Model.Vocab = corpus.Vocab.Len()
	}
	if err := o.Validate(); err != nil {
		return flagged("train", err, trainFlagOf)
	}
	if err := checkThreads(env, "train", o.Threads); err != nil {
		return err
	}
	if *dryRun {
		return printJSON(env.Stdout, map[string]any{"out": *out, "resume": *resume, "data": dir, "options": o})
	}
	progress := env.Stderr
	if *quiet {
		progress = nil
	}
	fmt.Fprintf(env.Stderr, "sparselm train: %s on %s (%d train tokens, vocabulary %d), preset %s, %d threads, out %s\n",
		o.Model.Cell, dir, len(corpus.Train), corpus.Vocab.Len(), o.Preset, o.Threads, *out)
	r := &train.Runner{Options: o, Corpus: corpus, Out: *out, Progress: progress, Provenance: sessionProvenance(env, "train", args, dir)}
	res, err := r.Run(ctx, *resume)
	if err != nil {
		return withRunHint(err, "sparselm train --out "+*out+" --resume")
	}
	printResult(env, res)
	return nil
}

// resolveTrain returns the options of a train command line: the preset
// named by the flags given (the small LSTM on PTB by default), or with
// resume the options stored in the run in *out, with the given flags
// (whose values are in given) laid over them. On resume it also returns a
// line per flag whose value differs from the stored run's. It sets *out to
// the default run directory when it is empty.
func resolveTrain(given *train.Options, set map[string]bool, out *string, resume bool) (train.Options, []string, error) {
	if set["dataset"] && strings.ContainsRune(given.Dataset, filepath.Separator) {
		// A directory given by path: remember it absolutely so eval finds it from anywhere.
		if abs, err := filepath.Abs(given.Dataset); err == nil {
			given.Dataset = abs
		}
	}
	pick := func(flag, value, fallback string) string {
		if set[flag] {
			return value
		}
		return fallback
	}
	preset, cell, dataset := pick("preset", given.Preset, "small"), pick("model", given.Model.Cell, model.CellLSTM), pick("dataset", given.Dataset, "ptb")
	if *out == "" {
		*out = filepath.Join("runs", fmt.Sprintf("%s-%s-%s", filepath.Base(dataset), cell, preset))
	}
	if !resume {
		o, err := train.Preset(preset, cell, filepath.Base(dataset))
		if err != nil {
			return o, nil, flagged("train", err, trainFlagOf)
		}
		overlayOptions(&o, given, set)
		return o, nil, nil
	}
	last := filepath.Join(*out, train.DirLast)
	if !ckptdir.Exists(last) {
		return train.Options{}, nil, fmt.Errorf("train: --resume: nothing to resume in %s (it has no checkpoint %s); start the run without --resume", *out, last)
	}
	c, err := train.LoadCheckpoint(last)
	if err != nil {
		return train.Options{}, nil, fmt.Errorf("train: --resume: %w", err)
	}
	o := c.Options
	overlayOptions(&o, given, set)
	return o, resumeConflicts(&c.Options, &o), nil
}

func printResult(env *Env, res *train.Result) {
	w := env.Stdout
	fmt.Fprintf(w, "epochs %d (best %d), wall time %s, %d parameters, kernel %s\n",
		res.Epochs, res.BestEpoch, time.Duration(res.WallSeconds*float64(time.Second)).Round(time.Second), res.Parameters, res.Kernel)
	fmt.Fprintf(w, "valid ppl %.2f\n", res.BestValid.PPL)
	if res.Test != nil {
		fmt.Fprintf(w, "test ppl %.2f (batch 1, %d tokens)\n", res.Test.PPL, res.Test.Tokens)
		if res.Events {
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

// withRunHint adds to a library error of a run what the user can type next:
// the library names no flags, the CLI does.
func withRunHint(err error, resumeCmd string) error {
	switch {
	case errors.Is(err, train.ErrInterrupted):
		return fmt.Errorf("%w; continue it with `%s`", err, resumeCmd)
	case errors.Is(err, train.ErrRunExists):
		return fmt.Errorf("%w; pass --resume to continue it or choose another --out", err)
	case errors.Is(err, train.ErrDiverged):
		return fmt.Errorf("%w (flags --lr and --clip)", err)
	}
	return err
}
