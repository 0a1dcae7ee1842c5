package cli

import (
	"context"
	"fmt"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/infer"
)

// sampleFlagOf is the flagOf of flagged for infer.SampleOptions.
func sampleFlagOf(path string) (string, bool) {
	f, ok := map[string]string{"temperature": "--temperature", "top_k": "--top-k", "top_p": "--top-p"}[path]
	return f, ok
}

func runGenerate(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "generate", "generate --ckpt RUN_OR_CHECKPOINT [--prompt TEXT] [flags]")
	ckpt := fs.String("ckpt", "", "checkpoint directory, or a run directory (its best checkpoint is used)")
	prompt := fs.String("prompt", "", "words to start from, fed through the model first (default: start after "+data.EOS+")")
	tokens := fs.Int("tokens", 100, "tokens to generate")
	var opts infer.SampleOptions
	fs.Float64Var(&opts.Temperature, "temperature", 1, "softmax temperature (0: greedy, the most likely token)")
	fs.IntVar(&opts.TopK, "top-k", 0, "draw only from the K most likely tokens (0: all)")
	fs.Float64Var(&opts.TopP, "top-p", 1, "draw only from the smallest set of most likely tokens with probability ≥ P (nucleus; 1: all)")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same text)")
	engine := fs.String("engine", "event", "inference engine: "+engineNames)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("generate: unexpected argument %q (flags start with --; quote a prompt: --prompt \"the cat\")", fs.Arg(0))
	}
	if *tokens < 1 {
		return fmt.Errorf("generate: --tokens %d must be positive", *tokens)
	}
	sampler, err := infer.NewSampler(opts, *seed)
	if err != nil {
		return flagged("generate", err, sampleFlagOf)
	}
	dir, c, e, err := loadStreaming("generate", *ckpt, *engine)
	if err != nil {
		return err
	}
	var ids []int32
	if fs.given()["prompt"] {
		p, err := infer.ReadPrompt(*prompt, c.Vocab)
		if err != nil {
			return fmt.Errorf("generate: --prompt: %w (the vocabulary of %s has %d words)", err, dir, c.Vocab.Len())
		}
		if p.Unknown > 0 {
			fmt.Fprintf(env.Stderr, "sparselm generate: warning: %d of the %d words of the prompt are not in the vocabulary and are read as %s\n", p.Unknown, p.Words, data.UNK)
		}
		ids = p.IDs
	} else {
		eos, ok := c.Vocab.ID(data.EOS)
		if !ok {
			return fmt.Errorf("generate: the vocabulary of %s has no %s to start from; give --prompt", dir, data.EOS)
		}
		ids = []int32{eos}
	}
	flusher, _ := env.Stdout.(interface{ Flush() error })
	lineStart := true
	err = infer.Generate(ctx, e, sampler, ids, *tokens, func(id int32) error {
		w := c.Vocab.Word(id)
		var err error
		switch {
		case w == data.EOS:
			_, err = fmt.Fprintln(env.Stdout)
			lineStart = true
		case lineStart:
			_, err = fmt.Fprint(env.Stdout, w)
			lineStart = false
		default:
			_, err = fmt.Fprint(env.Stdout, " ", w)
		}
		if err == nil && flusher != nil {
			err = flusher.Flush()
		}
		return err
	})
	if !lineStart {
		fmt.Fprintln(env.Stdout)
	}
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	return nil
}
