package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/tensor"
	"github.com/sparselm/sparselm/train"
)

func runStats(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "stats", "stats --ckpt RUN_OR_CHECKPOINT [--split test|valid|train] [--json] [flags]")
	f := addEvalFlags(fs, "print the accounting as JSON")
	dir, c, err := f.load(env, fs, "stats", args)
	if err != nil {
		return err
	}
	corpus, err := loadCheckpointCorpus(env, c, *f.dataDir)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	ids, err := splitIDs(corpus, *f.split)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	label := c.Options.Dataset + "/" + *f.split
	r, err := measureIDs(ctx, c, ids, *f.batch, *f.bptt, f.progress(env))
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(env.Stdout, map[string]any{"checkpoint": dir, "data": label, "batch": *f.batch, "bptt": *f.bptt, "stats": r})
	}
	fmt.Fprintf(env.Stdout, "%s on %s (batch %d, bptt %d)\n", dir, label, *f.batch, *f.bptt)
	printStats(env.Stdout, r)
	return nil
}

// evalFlags are the flags that eval and stats share: the checkpoint, the
// split and where datasets live, how to batch the text, threads, output.
type evalFlags struct {
	ckpt, split, dataDir *string
	batch, bptt, threads *int
	asJSON, quiet        *bool
}

func addEvalFlags(fs *flagSet, jsonHelp string) *evalFlags {
	return &evalFlags{
		ckpt:    fs.String("ckpt", "", "checkpoint directory, or a run directory (its best checkpoint is used)"),
		split:   fs.String("split", "test", "split of the checkpoint's dataset: train | valid | test"),
		dataDir: fs.String("data", "", dataFlagHelp),
		batch:   fs.Int("batch", 1, "parallel streams (1: the standard test perplexity)"),
		bptt:    fs.Int("bptt", 70, "window length"),
		threads: fs.Int("threads", 0, "threads (0: the checkpoint's)"),
		asJSON:  fs.Bool("json", false, jsonHelp),
		quiet:   fs.Bool("quiet", false, "no progress bar"),
	}
}

// load parses args (refusing stray arguments and bad values before
// anything is read), loads the checkpoint named by --ckpt and sets the
// thread count.
func (f *evalFlags) load(env *Env, fs *flagSet, cmd string, args []string) (string, *train.Checkpoint, error) {
	if err := fs.Parse(args); err != nil {
		return "", nil, err
	}
	if err := fs.noArgs(cmd); err != nil {
		return "", nil, err
	}
	switch {
	case *f.ckpt == "":
		return "", nil, fmt.Errorf("%s: --ckpt is required", cmd)
	case *f.batch < 1:
		return "", nil, fmt.Errorf("%s: --batch %d must be positive", cmd, *f.batch)
	case *f.bptt < 1:
		return "", nil, fmt.Errorf("%s: --bptt %d must be positive", cmd, *f.bptt)
	}
	if err := checkThreads(env, cmd, *f.threads); err != nil {
		return "", nil, err
	}
	dir, c, err := openCheckpoint(cmd, *f.ckpt)
	if err != nil {
		return "", nil, err
	}
	setThreads(*f.threads, c)
	return dir, c, nil
}

// progress returns where the progress bar goes (nil: none).
func (f *evalFlags) progress(env *Env) io.Writer {
	if *f.quiet || *f.asJSON {
		return nil
	}
	return env.Stderr
}

// checkpointArgDir is the checkpoint that --ckpt names: the directory
// itself, or the best checkpoint of a run directory.
func checkpointArgDir(arg string) string {
	if !ckptdir.Exists(arg) && ckptdir.Exists(filepath.Join(arg, train.DirBest)) {
		return filepath.Join(arg, train.DirBest)
	}
	return arg
}

// loadCheckpointArg loads a checkpoint given as its directory or as a run directory (its best/).
func loadCheckpointArg(arg string) (string, *train.Checkpoint, error) {
	dir := checkpointArgDir(arg)
	c, err := train.LoadCheckpoint(dir)
	return dir, c, err
}

// openCheckpoint loads the checkpoint that --ckpt names (arg) for the
// command cmd, whose name begins its errors, with a hint at what --ckpt takes.
func openCheckpoint(cmd, arg string) (string, *train.Checkpoint, error) {
	dir, c, err := loadCheckpointArg(arg)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w (--ckpt takes a checkpoint or run directory written by sparselm train or prune)", cmd, err)
	}
	return dir, c, nil
}

func setThreads(flag int, c *train.Checkpoint) {
	if flag > 0 {
		tensor.SetThreads(flag)
	} else {
		tensor.SetThreads(max(1, c.Options.Threads))
	}
}

// loadCheckpointCorpus loads the dataset a checkpoint was trained on and
// checks that it has the checkpoint's vocabulary.
func loadCheckpointCorpus(env *Env, c *train.Checkpoint, dataDir string) (*data.Corpus, error) {
	ddir, err := data.Resolve(c.Options.Dataset, dataDir, env.Getenv)
	if err != nil {
		return nil, err
	}
	corpus, err := data.LoadDir(ddir, data.Options{MaxVocab: c.Options.MaxVocab, MinCount: c.Options.MinCount})
	if err != nil {
		return nil, err
	}
	if !slices.Equal(corpus.Vocab.Words(), c.Vocab.Words()) {
		return nil, fmt.Errorf("the vocabulary of %s differs from the checkpoint's", ddir)
	}
	return corpus, nil
}

func splitIDs(corpus *data.Corpus, split string) ([]int32, error) {
	switch split {
	case "train":
		return corpus.Train, nil
	case "valid":
		return corpus.Valid, nil
	case "test":
		return corpus.Test, nil
	}
	return nil, fmt.Errorf("unknown split %q (train, valid or test)", split)
}

// measureIDs runs the accounting pass with a progress bar on w (may be nil);
// it stops within a window once ctx is cancelled (study.MeasureIDs).
func measureIDs(ctx context.Context, c *train.Checkpoint, ids []int32, batch, bptt int, w io.Writer) (*measure.Report, error) {
	return study.MeasureIDs(ctx, c, ids, batch, bptt, w)
}

// printStats writes the accounting as aligned tables.
func printStats(w io.Writer, r *measure.Report) {
	fmt.Fprintf(w, "%s: perplexity %.2f over %d tokens, activity sparsity %.2f%%, weight sparsity %.2f%% (layers) %.2f%% (with the embedding)\n\n",
		r.Cell, r.PPL, r.Tokens, 100*r.ActivitySparsity, 100*r.RecurrentWeightSparsity, 100*r.WeightSparsity)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "matrix\tshape\tweights\tnon-zero\tsparsity\t")
	for _, m := range r.Matrices {
		shape := make([]string, len(m.Shape))
		for i, d := range m.Shape {
			shape[i] = fmt.Sprint(d)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f%%\t\n", m.Name, strings.Join(shape, "×"), m.Weights, m.NonZero, 100*m.Sparsity)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nMACs per token (reduction factors against dense)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "component\tactivity sparsity\tdense\tweight-sparse\tactivity-only\teffective\t×activity\t×weight\t×product\t×effective\t")
	rows := append(slices.Clone(r.Layers), r.Recurrent, r.Decoder, r.Model)
	for _, c := range rows {
		act := "-"
		if c.Name != "decoder" {
			act = fmt.Sprintf("%.2f%%", 100*c.ActivitySparsity)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", c.Name, act, c.MACs.Dense, c.MACs.WeightSparse,
			c.MACs.ActivityOnly, c.MACs.Effective, c.Factors.Activity, c.Factors.Weight, c.Factors.Product, c.Factors.Effective)
	}
	tw.Flush()
	fmt.Fprintf(w, "\ndense LSTM of the same size: %.0f MACs/token (layers), %.0f (with the decoder)\n", r.DenseLSTM.Recurrent, r.DenseLSTM.Model)
	fmt.Fprintf(w, "effective reduction against it: %.2f× (layers), %.2f× (with the decoder)\n", r.VsDenseLSTM.Recurrent, r.VsDenseLSTM.Model)
}
