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
	file := fs.String("file", "", "evaluate this text file instead of a split (words outside the vocabulary need <unk> in it)")
	f := addEvalFlags(fs, "print the result as JSON")
	dir, c, err := f.load(fs, "eval", args)
	if err != nil {
		return err
	}
	var ids []int32
	label := *file
	if *file != "" {
		if ids, err = data.ReadFile(*file, c.Vocab, data.Options{}); err != nil {
			return err
		}
	} else {
		corpus, err := loadCheckpointCorpus(env, c, *f.dataDir)
		if err != nil {
			return fmt.Errorf("eval: %w; evaluate a file with --file instead", err)
		}
		if ids, err = splitIDs(corpus, *f.split); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		label = c.Options.Dataset + "/" + *f.split
	}
	res, err := train.Evaluate(ctx, c.Model, ids, *f.batch, *f.bptt, f.progress(env), "eval")
	if err != nil {
		return err
	}
	if *f.asJSON {
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
