package study

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/provenance"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/train"
)

// Level is one pruning level of a sweep: prune the checkpoint From to
// Sparsity and fine-tune it into the run directory Dir. It is the work of
// a study's prune job and of each level of `sparselm prune`.
type Level struct {
	Dir  string // the level's run directory
	From string // the checkpoint pruned: the trained model, or the previous level's best
	// Previous is From's own target sparsity (iterative: the level
	// before; 0 for the trained model): its masks must reach it.
	Previous  float64
	Sparsity  float64
	Criterion prune.Criterion
	Embedding bool           // prune the embedding (= tied decoder) too
	FineTune  train.Options  // the fine-tuning run
	Gradual   *prune.Gradual // if set, the masks grow during fine-tuning (Zhu & Gupta) from Gradual.Sparsity(0)
	Corpus    *data.Corpus
	Log       io.Writer              // a line on what happens (nil: silent)
	Progress  io.Writer              // the fine-tuning's progress bar (nil: none)
	Prov      *provenance.Provenance // this session
}

// Run brings the level to its end and returns the fine-tuning's result:
// read from Dir when the run has finished, resumed from Dir/last when it
// has a resumable checkpoint, otherwise a fresh run from From pruned to
// Sparsity (or to the gradual schedule's first sparsity).
func (l *Level) Run(ctx context.Context) (*train.Result, error) {
	if res, err := ReadResult(l.Dir); err == nil {
		l.logf("level %v: done (%s)", l.Sparsity, l.Dir)
		return res, nil
	}
	r := &train.Runner{Options: l.FineTune, Corpus: l.Corpus, Out: l.Dir, Progress: l.Progress, Provenance: l.Prov}
	if g := l.Gradual; g != nil {
		r.BestAfterStep = g.End()
		r.OnStep = func(step int64, p *model.Params[float32]) {
			if _, err := g.Step(step, p); err != nil {
				panic(err) // the schedule was validated and only grows the masks
			}
		}
	}
	resume := ckptdir.Exists(filepath.Join(l.Dir, train.DirLast))
	if !resume {
		c, err := train.LoadCheckpoint(l.From)
		if err != nil {
			return nil, fmt.Errorf("level %v: %w", l.Sparsity, err)
		}
		if l.Previous > 0 {
			if err := prune.RequireMasks(&c.Model.Params, l.Previous, l.From); err != nil {
				return nil, err
			}
		}
		p := &c.Model.Params
		if l.Embedding {
			if err := prune.MarkEmbedding(p); err != nil {
				return nil, err
			}
		}
		first := l.Sparsity
		if l.Gradual != nil {
			first = l.Gradual.Sparsity(0)
		}
		if err := prune.Prune(p, l.Criterion, first, l.FineTune.Seed); err != nil {
			return nil, fmt.Errorf("level %v: %w", l.Sparsity, err)
		}
		r.Init = c.Model
		l.logf("level %v: pruned %s to %.2f%%, fine-tuning into %s", l.Sparsity, l.From, 100*prune.Sparsity(p), l.Dir)
	} else {
		l.logf("level %v: resuming %s", l.Sparsity, l.Dir)
	}
	return r.Run(ctx, resume)
}

func (l *Level) logf(format string, a ...any) {
	if l.Log != nil {
		fmt.Fprintf(l.Log, format+"\n", a...)
	}
}

// ReadResult reads the result.json of the run in dir.
func ReadResult(dir string) (*train.Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, train.FileResult))
	if err != nil {
		return nil, err
	}
	var res train.Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, train.FileResult), err)
	}
	return &res, nil
}

// Measure is the accounting of one checkpoint of a sweep on the test split
// (measure.Run), cached in a stats file.
type Measure struct {
	Checkpoint string // the checkpoint directory
	Name       string // as the point and the stats file name it (relative to the study, or as given)
	StatsFile  string // where the accounting is cached
	Batch      int    // streams and window of the pass
	BPTT       int
	Embedding  bool // the sweep pruned the embedding: count it in the weight sparsity
	Corpus     *data.Corpus
	Log        io.Writer
	Prov       *provenance.Provenance
	// Loaded, if set, is the checkpoint already in memory (a caller that
	// checked its masks); otherwise it is loaded from Checkpoint once, when
	// first needed.
	Loaded *train.Checkpoint
}

// load returns the checkpoint, reading it at most once.
func (m *Measure) load() (*train.Checkpoint, error) {
	if m.Loaded == nil {
		c, err := train.LoadCheckpoint(m.Checkpoint)
		if err != nil {
			return nil, err
		}
		m.Loaded = c
	}
	return m.Loaded, nil
}

// statsFile is the content of a stats file: the accounting of a checkpoint
// on the test split, the checkpoint, and the session that measured it.
type statsFile struct {
	*measure.Report
	Checkpoint string                 `json:"checkpoint"`
	Provenance *provenance.Provenance `json:"provenance"`
}

// Report returns the accounting, measuring it and writing the stats file
// unless the file holds it already (without a corpus, an error then).
func (m *Measure) Report(ctx context.Context) (*measure.Report, error) {
	if b, err := os.ReadFile(m.StatsFile); err == nil {
		var f statsFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", m.StatsFile, err)
		}
		return f.Report, nil
	}
	if m.Corpus == nil {
		return nil, fmt.Errorf("%s: not measured yet (no %s)", m.Name, m.StatsFile)
	}
	c, err := m.load()
	if err != nil {
		return nil, err
	}
	r, err := MeasureIDs(ctx, c, m.Corpus.Test, m.Batch, m.BPTT, m.Log)
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(statsFile{r, m.Name, m.Prov}, "", "  ")
	return r, ckptdir.WriteFile(m.StatsFile, append(b, '\n'))
}

// Point returns the checkpoint's point of the sweep's summary (kind and
// level left for the caller): its accounting (Report) and its weight
// sparsity.
func (m *Measure) Point(ctx context.Context) (report.Point, error) {
	r, err := m.Report(ctx)
	if err != nil {
		return report.Point{}, err
	}
	c, err := m.load()
	if err != nil {
		return report.Point{}, err
	}
	p := &c.Model.Params
	if m.Embedding {
		if err := prune.MarkEmbedding(p); err != nil {
			return report.Point{}, err
		}
	}
	return report.Point{Checkpoint: m.Name, WeightSparsity: prune.Sparsity(p), TestPPL: r.PPL,
		ActivitySparsity: r.ActivitySparsity, Stats: r}, nil
}

// MeasureIDs runs the accounting pass of c on ids with a progress bar on w
// (nil: none); it stops within a window once ctx is cancelled.
func MeasureIDs(ctx context.Context, c *train.Checkpoint, ids []int32, batch, bptt int, w io.Writer) (*measure.Report, error) {
	bar := train.NewProgress(w, "stats", int64(len(ids)))
	var done int64
	r, err := measure.Run(ctx, c.Model, ids, batch, bptt, func(tokens int64, nll float64) {
		bar.Add(tokens-done, fmt.Sprintf("ppl %.2f", math.Exp(nll)))
		done = tokens
	})
	bar.Finish()
	return r, err
}
