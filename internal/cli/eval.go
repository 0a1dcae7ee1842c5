package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
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
	threads := fs.Int("threads", 0, "threads (0: the checkpoint's)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ckpt == "" {
		return fmt.Errorf("eval: --ckpt is required")
	}
	dir, c, err := loadCheckpointArg(*ckpt)
	if err != nil {
		return err
	}
	setThreads(*threads, c)
	var ids []int32
	label := *file
	if *file != "" {
		if ids, err = data.ReadFile(*file, c.Vocab, data.Options{}); err != nil {
			return err
		}
	} else {
		corpus, err := loadCheckpointCorpus(c, *dataDir)
		if err != nil {
			return fmt.Errorf("eval: %w; evaluate a file with --file instead", err)
		}
		if ids, err = splitIDs(corpus, *split); err != nil {
			return fmt.Errorf("eval: %w", err)
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
