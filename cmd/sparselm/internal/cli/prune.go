package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/train"
)

// Files of a prune run directory besides the level runs.
const (
	filePruneSpec    = "prune.json"       // the settings; a resumed run must have the same
	filePruneSummary = report.SummaryFile // one row per level
	filePruneCSV     = "summary.csv"
	fileLevelStats   = "stats.json" // in each level directory: the accounting of its best checkpoint
)

// pruneSpec is what defines a prune run.
type pruneSpec struct {
	Source    string          `json:"source"` // checkpoint directory pruned
	Criterion prune.Criterion `json:"criterion"`
	Schedule  prune.Schedule  `json:"schedule"`
	Levels    []float64       `json:"levels"`
	Embedding bool            `json:"prune_embedding"`
	Gradual   *prune.Gradual  `json:"gradual,omitempty"`
	FineTune  train.Options   `json:"finetune"`
	StatsB    int             `json:"stats_batch"`
	StatsT    int             `json:"stats_bptt"`
}

// pruneRow is one line of the summary: a level's best checkpoint on the test
// split. `sparselm report` reads the summary back (report.Read).
type pruneRow = report.Point

// floatList is a comma-separated list of numbers, e.g. --levels 0.5,0.75,0.9.
type floatList []float64

func (l *floatList) String() string {
	parts := make([]string, len(*l))
	for i, v := range *l {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func (l *floatList) Set(s string) error {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return fmt.Errorf("%q is not a comma-separated list of numbers", s)
		}
		out = append(out, v)
	}
	*l = out
	return nil
}

// levelDir names the run directory of a level: level-0.50, level-0.875.
func levelDir(out string, s float64) string {
	name := fmt.Sprintf("%.2f", s)
	if v, _ := strconv.ParseFloat(name, 64); v != s {
		name = strconv.FormatFloat(s, 'f', -1, 64)
	}
	return filepath.Join(out, "level-"+name)
}

func runPrune(ctx context.Context, env *Env, args []string) error {
	const synopsis = "prune --ckpt CKPT [--criterion magnitude|global|random] [--schedule oneshot|iterative|gradual] " +
		"[--levels 0.5,0.75,0.9 | --target 0.9] [--finetune-epochs N] [--out DIR] [--resume] [flags]"
	fs := newFlagSet(env, "prune", synopsis)
	ckpt := fs.String("ckpt", "", "checkpoint to prune, or a run directory (its best checkpoint)")
	criterion := fs.String("criterion", "magnitude", "magnitude (per matrix) | global (one threshold) | random (control)")
	schedule := fs.String("schedule", "iterative", "oneshot (each level from the checkpoint) | iterative (levels in turn) | gradual (Zhu & Gupta)")
	levels := floatList{0.5, 0.75, 0.9}
	fs.Var(&levels, "levels", "target weight sparsities; iterative: increasing")
	target := fs.Float64("target", 0, "gradual: final sparsity s_f (instead of --levels)")
	initial := fs.Float64("initial", 0, "gradual: initial sparsity s_i")
	every := fs.Int64("every", 100, "gradual: steps Δt between mask updates")
	startFrac := fs.Float64("start-frac", 0, "gradual: first mask update t0 as a fraction of the fine-tuning steps")
	endFrac := fs.Float64("end-frac", 0.5, "gradual: last mask update t0 + nΔt as a fraction of the fine-tuning steps")
	embedding := fs.Bool("prune-embedding", false, "prune the embedding (= tied decoder) too")
	epochs := fs.Int("finetune-epochs", 1, "fine-tuning epochs per level (gradual: in total)")
	out := fs.String("out", "", "output directory (default: next to the checkpoint, prune-CRITERION-SCHEDULE)")
	resume := fs.Bool("resume", false, "continue the prune run in --out")
	quiet := fs.Bool("quiet", false, "no progress bars")
	dataDir := fs.String("data", "", dataFlagHelp)
	lr := fs.Float64("lr", 0, "fine-tuning learning rate (0: a quarter of the checkpoint's)")
	constFrac := fs.Float64("constant-frac", 0, "fraction of fine-tuning steps at the full learning rate before the cosine decay")
	epochTokens := fs.Int("epoch-tokens", -1, "cap on fine-tuning tokens per epoch (0: whole split; -1: the checkpoint's setting)")
	seed := fs.Uint64("seed", 0, "seed of fine-tuning and of random pruning (0: the checkpoint's)")
	threads := fs.Int("threads", 0, "threads (0: the checkpoint's)")
	saveEvery := fs.Duration("save-every", 5*time.Minute, "interval of resumable checkpoints within an epoch")
	statsBatch := fs.Int("stats-batch", 1, "streams for the test accounting of each level")
	statsBPTT := fs.Int("stats-bptt", 70, "window length for the test accounting")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("prune: unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	if *ckpt == "" {
		return errors.New("prune: --ckpt is required")
	}
	crit, err := prune.ParseCriterion(*criterion)
	if err != nil {
		return err
	}
	sched, err := prune.ParseSchedule(*schedule)
	if err != nil {
		return err
	}
	given := setFlags(fs)
	if sched == prune.Gradually {
		switch {
		case contains(given, "target"):
			levels = floatList{*target}
		case !contains(given, "levels"):
			return errors.New("prune: the gradual schedule needs --target (the final sparsity)")
		}
	} else if contains(given, "target") {
		return errors.New("prune: --target is for --schedule gradual; use --levels")
	}
	if err := prune.CheckLevels(levels, sched); err != nil {
		return err
	}
	if *epochs < 1 {
		return fmt.Errorf("prune: --finetune-epochs %d must be positive", *epochs)
	}
	src, c, err := loadCheckpointArg(*ckpt)
	if err != nil {
		return err
	}
	if c.Model.Params.Mask != nil && sched != prune.OneShot {
		// Pruning a pruned model further is fine; say so, since levels are absolute.
		fmt.Fprintf(env.Stderr, "sparselm prune: %s is already %.2f%% sparse; levels are absolute sparsities\n", src, 100*prune.Sparsity(&c.Model.Params))
	}
	setThreads(*threads, c)
	corpus, err := loadCheckpointCorpus(env, c, *dataDir)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}

	o := c.Options
	o.Epochs, o.Patience, o.SkipTest, o.ConstantFrac = *epochs, 0, true, *constFrac
	o.SaveEvery = *saveEvery
	o.Optim.LR /= 4
	if *lr > 0 {
		o.Optim.LR = *lr
	}
	if *epochTokens >= 0 {
		o.EpochTokens = *epochTokens
	}
	if *seed != 0 {
		o.Seed = *seed
	}
	if *threads > 0 {
		o.Threads = *threads
	}
	if err := o.Validate(); err != nil {
		return fmt.Errorf("prune: fine-tuning options: %w", err)
	}
	if *out == "" {
		*out = filepath.Join(filepath.Dir(src), fmt.Sprintf("prune-%s-%s", crit, sched))
	}
	spec := pruneSpec{Source: src, Criterion: crit, Schedule: sched, Levels: levels, Embedding: *embedding,
		FineTune: o, StatsB: *statsBatch, StatsT: *statsBPTT}
	if abs, err := filepath.Abs(src); err == nil {
		spec.Source = abs
	}
	if sched == prune.Gradually {
		total := train.StepsPerEpoch(&o, len(corpus.Train)) * int64(o.Epochs)
		t0, end := int64(*startFrac*float64(total)), int64(*endFrac*float64(total))
		if !(*startFrac >= 0 && *startFrac < *endFrac && *endFrac <= 1) {
			return fmt.Errorf("prune: need 0 ≤ --start-frac < --end-frac ≤ 1 (got %v, %v)", *startFrac, *endFrac)
		}
		g := &prune.Gradual{Initial: *initial, Final: levels[0], Start: t0, Every: *every,
			Updates: (end - t0) / max(1, *every), Criterion: crit, Seed: o.Seed}
		if err := g.Validate(); err != nil {
			return fmt.Errorf("%w (%d fine-tuning steps in all: raise --finetune-epochs or lower --every)", err, total)
		}
		spec.Gradual = g
	}
	if err := checkPruneSpec(*out, spec, *resume); err != nil {
		return err
	}
	progress := env.Stderr
	if *quiet {
		progress = nil
	}
	fmt.Fprintf(env.Stderr, "sparselm prune: %s, %s %s to %v, %d fine-tuning epoch(s) per level at lr %g, out %s\n",
		src, crit, sched, []float64(levels), o.Epochs, o.Optim.LR, *out)

	startRow, err := levelStats(ctx, c, src, *out, "start", corpus, spec, progress)
	if err != nil {
		return err
	}
	rows := []pruneRow{*startRow}
	prevDir, prevLevel := src, 0.0
	for _, s := range levels {
		dir := levelDir(*out, s)
		if err := pruneLevel(ctx, env, spec, corpus, dir, prevDir, prevLevel, s, progress); err != nil {
			return err
		}
		best := filepath.Join(dir, train.DirBest)
		bc, err := train.LoadCheckpoint(best)
		if err != nil {
			return fmt.Errorf("prune: level %v: %w", s, err)
		}
		if err := prune.RequireMasks(&bc.Model.Params, s, best); err != nil {
			return err
		}
		row, err := levelStats(ctx, bc, best, dir, "", corpus, spec, progress)
		if err != nil {
			return err
		}
		row.Level = s
		if res, err := readResult(dir); err == nil {
			row.ValidPPL = res.BestValid.PPL
		}
		rows = append(rows, *row)
		if sched == prune.Iterative {
			prevDir, prevLevel = best, s
		}
	}
	if err := writeSummary(*out, rows); err != nil {
		return err
	}
	printPruneTable(env.Stdout, rows)
	return nil
}

// checkPruneSpec writes the spec of a new run, or checks that a resumed one matches.
func checkPruneSpec(out string, spec pruneSpec, resume bool) error {
	path := filepath.Join(out, filePruneSpec)
	b, err := os.ReadFile(path)
	switch {
	case err == nil && !resume:
		return fmt.Errorf("prune: %s already holds a prune run; pass --resume to continue it or choose another --out", out)
	case err == nil:
		var old pruneSpec
		if err := json.Unmarshal(b, &old); err != nil {
			return fmt.Errorf("prune: %s: %w", path, err)
		}
		if !reflect.DeepEqual(old, spec) {
			want, _ := json.Marshal(spec)
			return fmt.Errorf("prune: resume: the settings differ from those of the run in %s\n  run:   %s\n  given: %s", out, b, want)
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("prune: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	b, _ = json.MarshalIndent(spec, "", "  ")
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// pruneLevel brings the level run in dir to its end: nothing when it has
// finished, a resumed run when it has a resumable checkpoint, otherwise a
// fresh fine-tuning run from the checkpoint in from, pruned to s (gradual:
// pruned during training).
func pruneLevel(ctx context.Context, env *Env, spec pruneSpec, corpus *data.Corpus, dir, from string, fromLevel, s float64, progress io.Writer) error {
	if _, err := readResult(dir); err == nil {
		fmt.Fprintf(env.Stderr, "level %v: done (%s)\n", s, dir)
		return nil
	}
	r := &train.Runner{Options: spec.FineTune, Corpus: corpus, Out: dir, Progress: progress}
	if g := spec.Gradual; g != nil {
		r.BestAfterStep = g.End()
		r.OnStep = func(step int64, p *model.Params[float32]) {
			if _, err := g.Step(step, p); err != nil {
				panic(err) // the schedule was validated and only grows the masks
			}
		}
	}
	resume := ckptdir.Exists(filepath.Join(dir, train.DirLast))
	if !resume {
		c, err := train.LoadCheckpoint(from)
		if err != nil {
			return fmt.Errorf("prune: level %v: %w", s, err)
		}
		if fromLevel > 0 {
			if err := prune.RequireMasks(&c.Model.Params, fromLevel, from); err != nil {
				return err
			}
		}
		p := &c.Model.Params
		if spec.Embedding {
			if err := prune.MarkEmbedding(p); err != nil {
				return err
			}
		}
		first := s
		if spec.Gradual != nil {
			first = spec.Gradual.Sparsity(0)
		}
		if err := prune.Prune(p, spec.Criterion, first, spec.FineTune.Seed); err != nil {
			return fmt.Errorf("level %v: %w", s, err)
		}
		r.Init = c.Model
		fmt.Fprintf(env.Stderr, "level %v: pruned %s to %.2f%%, fine-tuning into %s\n", s, from, 100*prune.Sparsity(p), dir)
	} else {
		fmt.Fprintf(env.Stderr, "level %v: resuming %s\n", s, dir)
	}
	if _, err := r.Run(ctx, resume); err != nil {
		return fmt.Errorf("prune: level %v: %w", s, err)
	}
	return nil
}

func readResult(dir string) (*train.Result, error) {
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

// levelStats measures checkpoint c (in ckpt) on the test split, or reads the
// measurement cached in dir (under the name prefix + stats.json).
func levelStats(ctx context.Context, c *train.Checkpoint, ckpt, dir, prefix string, corpus *data.Corpus, spec pruneSpec, progress io.Writer) (*pruneRow, error) {
	name := fileLevelStats
	if prefix != "" {
		name = prefix + "-" + fileLevelStats
	}
	path := filepath.Join(dir, name)
	var r *measure.Report
	if b, err := os.ReadFile(path); err == nil {
		r = &measure.Report{}
		if err := json.Unmarshal(b, r); err != nil {
			return nil, fmt.Errorf("prune: %s: %w", path, err)
		}
	} else {
		var err error
		if r, err = measureIDs(ctx, c, corpus.Test, spec.StatsB, spec.StatsT, progress); err != nil {
			return nil, err
		}
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
	}
	p := &c.Model.Params
	if spec.Embedding {
		if err := prune.MarkEmbedding(p); err != nil {
			return nil, err
		}
	}
	return &pruneRow{Checkpoint: ckpt, WeightSparsity: prune.Sparsity(p), TestPPL: r.PPL,
		ActivitySparsity: r.ActivitySparsity, Stats: r}, nil
}

// writeSummary writes the summary as JSON (report.Read reads it back) and
// as CSV, in the columns of the study's report (report.CSVHeader).
func writeSummary(out string, rows []pruneRow) error {
	b, _ := json.MarshalIndent(rows, "", "  ")
	if err := os.WriteFile(filepath.Join(out, filePruneSummary), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	f, err := os.Create(filepath.Join(out, filePruneCSV))
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	sweep := report.Sweep{Name: filepath.Base(filepath.Clean(out)), Dir: out, Cell: rows[0].Stats.Cell, Points: rows}
	if err := report.WriteCSV(f, report.Rows([]report.Sweep{sweep})); err != nil {
		f.Close()
		return fmt.Errorf("prune: %w", err)
	}
	return f.Close()
}

// printPruneTable writes the summary as an aligned table.
func printPruneTable(w io.Writer, rows []pruneRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "level\tweight sparsity\tvalid ppl\ttest ppl\tactivity sparsity\teff. MACs/token (layers)\t(model)\t"+
		"×own dense (layers)\t(model)\t×dense LSTM (layers)\t(model)\t")
	for _, r := range rows {
		s := r.Stats
		level, valid := "start", "-"
		if r.Level > 0 {
			level = fmt.Sprintf("%.2f", r.Level)
		}
		if r.ValidPPL > 0 {
			valid = fmt.Sprintf("%.2f", r.ValidPPL)
		}
		fmt.Fprintf(tw, "%s\t%.2f%%\t%s\t%.2f\t%.2f%%\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", level, 100*r.WeightSparsity, valid, r.TestPPL,
			100*r.ActivitySparsity, s.Recurrent.MACs.Effective, s.Model.MACs.Effective, s.Recurrent.Factors.Effective,
			s.Model.Factors.Effective, s.VsDenseLSTM.Recurrent, s.VsDenseLSTM.Model)
	}
	tw.Flush()
}
