package prune

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/train"
)

func tinyCorpus(t testing.TB) *data.Corpus {
	t.Helper()
	c, err := data.LoadDir(filepath.Join("..", "testdata", "data", "tiny"), data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fineTuneOptions is a seconds-long run on the tiny corpus with every regulariser on.
func fineTuneOptions(cell string, vocab int) train.Options {
	return train.Options{
		Dataset: "tiny",
		Model: model.Config{Cell: cell, Vocab: vocab, Embed: 16, Hidden: []int{24, 16},
			DropWord: 0.1, DropInput: 0.1, DropHidden: 0.1, DropOutput: 0.1, DropConnect: 0.2,
			ThresholdMean: 0.1, LearnThreshold: true, PseudoHeight: 3.6, PseudoWidth: 3.6, ActivityReg: 0.01},
		Optim: train.OptimizerConfig{Kind: train.AdamW, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
			WeightDecay: 0.01, ThresholdLR: 1e-3},
		Batch: 4, BPTT: 12, Epochs: 2, Clip: 1, EvalBatch: 2, EvalBPTT: 16,
		ConstantFrac: 0.5, MinLRScale: 0.1, EpochTokens: 600, Seed: 7, Threads: 1,
		SaveEvery: time.Hour, SkipTest: true,
	}
}

// prunedStart returns a model from o's seed, pruned to 60% by magnitude with the embedding.
func prunedStart(t *testing.T, o train.Options) *model.LM[float32] {
	t.Helper()
	m, err := model.New[float32](o.Model, rand.New(rand.NewPCG(o.Seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := MarkEmbedding(&m.Params); err != nil {
		t.Fatal(err)
	}
	if err := Prune(&m.Params, Magnitude, 0.6, 0); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMaskInvariantsDuringFineTuning trains a pruned model: after every step
// the pruned weights are exactly zero and so are their (clipped) gradients,
// and the saved checkpoint holds the same masks and zero moments there.
func TestMaskInvariantsDuringFineTuning(t *testing.T) {
	corpus := tinyCorpus(t)
	for _, cell := range []string{model.CellLSTM, model.CellEGRU} {
		t.Run(cell, func(t *testing.T) {
			o := fineTuneOptions(cell, corpus.Vocab.Len())
			m := prunedStart(t, o)
			mask := slices.Clone(m.Params.Mask)
			steps := 0
			r := &train.Runner{Options: o, Corpus: corpus, Out: t.TempDir(), Init: m}
			r.OnStep = func(step int64, p *model.Params[float32]) {
				steps++
				for i, k := range mask {
					if k == 0 && (p.Data[i] != 0 || p.Grad[i] != 0) {
						t.Fatalf("step %d: pruned weight %d is %v with gradient %v", step, i, p.Data[i], p.Grad[i])
					}
				}
			}
			if _, err := r.Run(context.Background(), false); err != nil {
				t.Fatal(err)
			}
			if steps == 0 {
				t.Fatal("no training steps")
			}
			for _, dir := range []string{train.DirLast, train.DirBest} {
				c, err := train.LoadCheckpoint(filepath.Join(r.Out, dir))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(c.Model.Params.Mask, mask) {
					t.Fatalf("%s: the checkpoint's masks differ from the pruned model's", dir)
				}
				for i, k := range mask {
					if k == 0 && c.Model.Params.Data[i] != 0 {
						t.Fatalf("%s: pruned weight %d is %v", dir, i, c.Model.Params.Data[i])
					}
					if k == 0 && c.Optim != nil && (c.Optim.M[i] != 0 || c.Optim.V[i] != 0) {
						t.Fatalf("%s: moments of pruned weight %d are %v, %v", dir, i, c.Optim.M[i], c.Optim.V[i])
					}
				}
				if s := Sparsity(&c.Model.Params); s < 0.59 {
					t.Errorf("%s: sparsity %v after fine-tuning, want 0.6", dir, s)
				}
			}
		})
	}
}

// TestFineTuneResumes stops a fine-tuning run from a pruned model mid-way and
// resumes it: the result equals the uninterrupted run's, and the resumed run
// needs no initial model (Out/last holds it).
func TestFineTuneResumes(t *testing.T) {
	corpus := tinyCorpus(t)
	o := fineTuneOptions(model.CellEGRU, corpus.Vocab.Len())
	o.SaveEvery = 0
	ref, err := (&train.Runner{Options: o, Corpus: corpus, Out: t.TempDir(), Init: prunedStart(t, o)}).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	r := &train.Runner{Options: o, Corpus: corpus, Out: out, Init: prunedStart(t, o)}
	r.OnStep = func(step int64, _ *model.Params[float32]) {
		if step == 7 {
			cancel()
		}
	}
	if _, err := r.Run(ctx, false); !errors.Is(err, train.ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	got, err := (&train.Runner{Options: o, Corpus: corpus, Out: out}).Run(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if got.BestValid.PPL != ref.BestValid.PPL || got.Epochs != ref.Epochs {
		t.Errorf("resumed: valid ppl %v after %d epochs, uninterrupted %v after %d", got.BestValid.PPL, got.Epochs, ref.BestValid.PPL, ref.Epochs)
	}
}
