package cli

import (
	"context"
	"fmt"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/train"
)

func runEval(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "eval", "eval --ckpt RUN_OR_CHECKPOINT [--split test|valid|train | --file TEXT] [flags]")
	file := fs.String("file", "", "evaluate this text file instead of a split (words outside the vocabulary are read as <unk> and counted)")
	f := addEvalFlags(fs, "print the result as JSON")
	dir, c, err := f.load(env, fs, "eval", args)
	if err != nil {
		return err
	}
	if set := fs.given(); *file != "" && (set["split"] || set["data"]) {
		flag := "split"
		if !set["split"] {
			flag = "data"
		}
		return fmt.Errorf("eval: --file evaluates that text, not a split of the dataset: drop --%s", flag)
	}
	var ids []int32
	var text *data.Text // the --file text, with its count of unknown words
	label := *file
	if *file != "" {
		if text, err = data.ReadFile(*file, c.Vocab); err != nil {
			return fmt.Errorf("eval: --file: %w", err)
		}
		ids = text.IDs
		if rate := text.UnknownRate(); rate > data.UnknownRateWarn {
			fmt.Fprintf(env.Stderr, "sparselm eval: warning: %.1f%% of the words of %s are not in the vocabulary and are read as %s (above %g%%): the perplexity is lower than the text deserves and not comparable with the dataset's\n",
				100*rate, *file, data.UNK, 100*data.UnknownRateWarn)
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
		out := map[string]any{"checkpoint": dir, "data": label, "cell": c.Model.Config.Cell, "result": res}
		if text != nil {
			out["out_of_vocabulary"] = map[string]any{"words": text.Words, "unknown": text.Unknown, "rate": text.UnknownRate()}
		}
		return printJSON(env.Stdout, out)
	}
	fmt.Fprintf(env.Stdout, "%s on %s: perplexity %.2f over %d tokens\n", dir, label, res.PPL, res.Tokens)
	if text != nil {
		fmt.Fprintf(env.Stdout, "%d of %d words (%.2f%%) are not in the vocabulary and were read as %s\n", text.Unknown, text.Words, 100*text.UnknownRate(), data.UNK)
	}
	if c.Model.Describe().Events() {
		fmt.Fprintf(env.Stdout, "activity sparsity %.2f%% (per layer: %s)\n", 100*res.Activity, percents(res.Sparsity))
	}
	return nil
}
