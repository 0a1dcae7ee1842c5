package study

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/provenance"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/train"
)

// Sweep prunes one checkpoint across levels into one directory, as
// `sparselm prune` does: the start's accounting (Out/start-stats.json),
// then each level through a Level (Out/level-0.90, …, from Source for the
// oneshot schedule, from the level before for the iterative one; the
// gradual schedule has one level) and its accounting (stats.json), then
// the summary (report.WriteSummary). Every step is skipped when its output
// exists, so a rerun continues it.
type Sweep struct {
	Out       string
	Source    string // the checkpoint pruned
	Setup     report.Setup
	Criterion prune.Criterion
	Schedule  prune.Schedule
	Levels    []float64
	Embedding bool
	Gradual   *prune.Gradual
	FineTune  train.Options
	StatsB    int // streams and window of the accounting on the test split
	StatsT    int
	Corpus    *data.Corpus
	Log       io.Writer // a line per level (nil: silent)
	Progress  io.Writer // progress bars (nil: none)
	Prov      *provenance.Provenance
}

// Run runs the sweep and returns its points, the start first.
func (s *Sweep) Run(ctx context.Context) ([]report.Point, error) {
	measure := func(ckpt, statsFile string) *Measure {
		return &Measure{Checkpoint: ckpt, Name: ckpt, StatsFile: filepath.Join(s.Out, statsFile), Batch: s.StatsB, BPTT: s.StatsT,
			Embedding: s.Embedding, Corpus: s.Corpus, Log: s.Progress, Prov: s.Prov}
	}
	start, err := measure(s.Source, FileStartStats).Point(ctx)
	if err != nil {
		return nil, err
	}
	start.Kind = report.KindStart
	pts := []report.Point{start}
	from, previous := s.Source, 0.0
	for _, lv := range s.Levels {
		dir := filepath.Join(s.Out, filepath.FromSlash(LevelDir("", lv)))
		l := &Level{Dir: dir, From: from, Previous: previous, Sparsity: lv, Criterion: s.Criterion, Embedding: s.Embedding,
			FineTune: s.FineTune, Gradual: s.Gradual, Corpus: s.Corpus, Log: s.Log, Progress: s.Progress, Prov: s.Prov}
		res, err := l.Run(ctx)
		if err != nil {
			return nil, err
		}
		best := filepath.Join(dir, train.DirBest)
		c, err := train.LoadCheckpoint(best)
		if err != nil {
			return nil, fmt.Errorf("level %v: %w", lv, err)
		}
		if err := prune.RequireMasks(&c.Model.Params, lv, best); err != nil {
			return nil, err
		}
		m := measure(best, filepath.Join(filepath.Base(dir), FileLevelStats))
		m.Loaded = c
		pt, err := m.Point(ctx)
		if err != nil {
			return nil, err
		}
		pt.Kind, pt.Level, pt.ValidPPL = report.KindLevel, lv, res.BestValid.PPL
		pts = append(pts, pt)
		if s.Schedule == prune.Iterative {
			from, previous = best, lv
		}
	}
	if err := report.WriteSummary(s.Out, report.Summary{Setup: s.Setup, Provenance: s.Prov, Points: pts}); err != nil {
		return nil, err
	}
	return pts, nil
}
