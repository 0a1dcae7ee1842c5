package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/infer"
	"github.com/sparselm/sparselm/train"
)

// stdin is what `score -` reads; tests replace it.
var stdin io.Reader = os.Stdin

// engineNames lists the values of --engine.
const engineNames = "dense | event"

// loadStreaming loads the checkpoint of --ckpt and builds the engine of
// --engine with batch 1, for the commands that stream (score, generate).
func loadStreaming(cmd, ckpt, engine string) (string, *train.Checkpoint, infer.Engine, error) {
	if ckpt == "" {
		return "", nil, nil, fmt.Errorf("%s: --ckpt is required", cmd)
	}
	if engine != "dense" && engine != "event" {
		return "", nil, nil, fmt.Errorf("%s: --engine %q: want %s", cmd, engine, engineNames)
	}
	dir, c, err := loadCheckpointArg(ckpt)
	if err != nil {
		return "", nil, nil, fmt.Errorf("%s: %w (--ckpt takes a checkpoint or run directory written by sparselm train or prune)", cmd, err)
	}
	var e infer.Engine
	if engine == "dense" {
		e, err = infer.NewDense(c.Model, 1)
	} else {
		e, err = infer.NewEvent(c.Model, 1)
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("%s: %s: %w", cmd, dir, err)
	}
	return dir, c, e, nil
}

func runScore(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "score", "score --ckpt RUN_OR_CHECKPOINT [flags] FILE|-")
	ckpt := fs.String("ckpt", "", "checkpoint directory, or a run directory (its best checkpoint is used)")
	engine := fs.String("engine", "event", "inference engine: "+engineNames)
	asJSON := fs.Bool("json", false, "print the scores as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("score: want one text file (or - for standard input), got %d arguments", fs.NArg())
	}
	file := fs.Arg(0)
	dir, c, e, err := loadStreaming("score", *ckpt, *engine)
	if err != nil {
		return err
	}
	if c.Model.Config.ZeroStateWindow {
		fmt.Fprintf(env.Stderr, "sparselm score: warning: %s was trained with zero_state_window (c zeroed at every BPTT window); the streaming engines carry the state across the whole text, so these scores differ from sparselm eval's\n", dir)
	}
	text, err := readScoreText(file, c.Vocab)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	if rate := text.UnknownRate(); rate > data.UnknownRateWarn {
		fmt.Fprintf(env.Stderr, "sparselm score: warning: %.1f%% of the words are not in the vocabulary and are read as %s (above %g%%): the perplexity is lower than the text deserves\n",
			100*rate, data.UNK, 100*data.UnknownRateWarn)
	}
	type token struct {
		Word    string  `json:"word"`
		LogProb float64 `json:"logprob"`
		Bits    float64 `json:"bits"`
	}
	var tokens []token
	if !*asJSON {
		fmt.Fprintln(env.Stdout, "pos\tword\tlogprob\tbits")
	}
	res, err := infer.ScoreTokens(ctx, e, text.IDs, func(s infer.TokenScore) error {
		if *asJSON {
			tokens = append(tokens, token{c.Vocab.Word(s.ID), s.LogProb, s.Bits()})
			return nil
		}
		_, err := fmt.Fprintf(env.Stdout, "%d\t%s\t%.6f\t%.4f\n", s.Pos, c.Vocab.Word(s.ID), s.LogProb, s.Bits())
		return err
	})
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	oov := map[string]any{"words": text.Words, "unknown": text.Unknown, "rate": text.UnknownRate()}
	if *asJSON {
		out := map[string]any{"checkpoint": dir, "file": file, "engine": *engine, "tokens": tokens,
			"scored": res.Tokens, "nll": res.NLL, "bits_per_token": res.NLL / math.Ln2, "perplexity": res.PPL, "out_of_vocabulary": oov}
		if err := printJSON(env.Stdout, out); err != nil {
			return fmt.Errorf("score: %w", err)
		}
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s on %s (%s engine): perplexity %.4f over %d tokens (%.4f bits per token)\n", dir, file, *engine, res.PPL, res.Tokens, res.NLL/math.Ln2)
	fmt.Fprintf(env.Stdout, "%d of %d words (%.2f%%) are not in the vocabulary and were read as %s\n", text.Unknown, text.Words, 100*text.UnknownRate(), data.UNK)
	return nil
}

// readScoreText reads file, or standard input for "-" (copied to a
// temporary file so that data.ReadFile tokenises and counts it).
func readScoreText(file string, v *data.Vocab) (*data.Text, error) {
	if file != "-" {
		return data.ReadFile(file, v)
	}
	tmp, err := os.MkdirTemp("", "sparselm-score-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "stdin.txt")
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(f, stdin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	t, err := data.ReadFile(path, v)
	if err != nil {
		return nil, fmt.Errorf("standard input: %w", err)
	}
	return t, nil
}
