package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
	"github.com/sparselm/sparselm/train"
)

func runEval(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "eval", "eval --ckpt RUN_OR_CHECKPOINT [--split test|valid|train | --file TEXT] [flags]")
	ckpt := fs.String("ckpt", "", "checkpoint directory, or a run directory (its best checkpoint is used)")
	split := fs.String("split", "test", "split of the checkpoint's dataset: train | valid | test")
	file := fs.String("file", "", "evaluate this text file instead of a split (words outside the vocabulary need <unk> in it)")
	dataDir := fs.String("data", "", "where datasets live (default: $SPARSELM_DATA, then ./data)")
	batch := fs.Int("batch", 1, "parallel streams (1: the standard test perplexity)")
	bptt := fs.Int("bptt", 70, "window length")
	threads := fs.Int("threads", 0, "threads (0: all cores)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ckpt == "" {
		return fmt.Errorf("eval: --ckpt is required")
	}
	dir := *ckpt
	if !ckptdir.Exists(dir) && ckptdir.Exists(filepath.Join(dir, train.DirBest)) {
		dir = filepath.Join(dir, train.DirBest)
	}
	c, err := train.LoadCheckpoint(dir)
	if err != nil {
		return err
	}
	if *threads > 0 {
		tensor.SetThreads(*threads)
	} else {
		tensor.SetThreads(max(1, c.Options.Threads))
	}
	var ids []int32
	label := *file
	if *file != "" {
		if ids, err = data.ReadFile(*file, c.Vocab, data.Options{}); err != nil {
			return err
		}
	} else {
		ddir, err := data.Resolve(c.Options.Dataset, *dataDir)
		if err != nil {
			return err
		}
		corpus, err := data.LoadDir(ddir, data.Options{MaxVocab: c.Options.MaxVocab, MinCount: c.Options.MinCount})
		if err != nil {
			return err
		}
		if !slices.Equal(corpus.Vocab.Words(), c.Vocab.Words()) {
			return fmt.Errorf("eval: the vocabulary of %s differs from the checkpoint's; evaluate a file with --file instead", ddir)
		}
		switch *split {
		case "train":
			ids = corpus.Train
		case "valid":
			ids = corpus.Valid
		case "test":
			ids = corpus.Test
		default:
			return fmt.Errorf("eval: unknown split %q (train, valid or test)", *split)
		}
		label = c.Options.Dataset + "/" + *split
	}
	progress := env.Stderr
	if *quiet || *asJSON {
		progress = nil
	}
	res, err := train.Evaluate(c.Model, ids, *batch, *bptt, progress, "eval")
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(map[string]any{"checkpoint": dir, "data": label, "cell": c.Model.Config.Cell, "result": res}, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s on %s: perplexity %.2f over %d tokens\n", dir, label, res.PPL, res.Tokens)
	if c.Model.Config.Cell == model.CellEGRU {
		fmt.Fprintf(env.Stdout, "activity sparsity %.2f%% (per layer: %s)\n", 100*res.Activity, percents(res.Sparsity))
	}
	return nil
}
