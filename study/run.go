package study

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/infer"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/provenance"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/tensor"
	"github.com/sparselm/sparselm/train"
)

// Files of a sweep directory written by the jobs.
const (
	FileStartStats = "start-stats.json" // in the sweep directory: the trained model's accounting
	FileLevelStats = "stats.json"       // in each level directory: its best checkpoint's accounting
)

// Env is what the jobs take from the process that runs them.
type Env struct {
	// Getenv resolves the dataset (SPARSELM_DATA; see data.Resolve).
	Getenv func(string) string
	// DataDir, if set, is where the dataset is (the --data flag).
	DataDir string
	// Log receives a line per job and the progress bars (nil: silent).
	Log io.Writer
	// Provenance describes this session for the files a job writes: the
	// program, the command line and the data files of dataDir.
	Provenance func(dataDir string) *provenance.Provenance
	// Poll is how often --wait looks at the dependencies' state (default 2 s).
	Poll time.Duration
	// Heartbeat is how often a running job rewrites its state file
	// (default a minute); --wait takes a dependency whose state is running
	// but five heartbeats old for killed, and fails.
	Heartbeat time.Duration
}

func (e *Env) heartbeat() time.Duration {
	if e.Heartbeat > 0 {
		return e.Heartbeat
	}
	return time.Minute
}

func (e *Env) logf(format string, a ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, "sparselm study: "+format+"\n", a...)
	}
}

// Open returns the spec of the study in dir, writing spec there first if
// the directory holds no study yet. It returns an error wrapping
// ErrSpecDiffers, with a line per differing field, if dir holds a study of
// another spec.
func Open(dir string, spec Spec) (Spec, error) {
	stored, err := Check(dir, spec)
	if err != nil {
		return Spec{}, err
	}
	if stored {
		return spec, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Spec{}, err
	}
	return spec, ckptdir.WriteFile(filepath.Join(dir, SpecFile), spec.Marshal())
}

// Check is Open without writing anything (for a dry run): stored reports
// whether dir already holds the study of spec; the error is Open's.
func Check(dir string, spec Spec) (stored bool, err error) {
	if err := spec.Validate(); err != nil {
		return false, err
	}
	path := filepath.Join(dir, SpecFile)
	old, err := ReadSpec(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !slices.Equal(old.Marshal(), spec.Marshal()) {
		return false, fmt.Errorf("%s: %w:\n  %s", path, ErrSpecDiffers, strings.Join(specDiff(old, spec), "\n  "))
	}
	return true, nil
}

// specDiff returns a line per top-level field that differs.
func specDiff(a, b Spec) []string {
	var ma, mb map[string]json.RawMessage
	_ = json.Unmarshal(a.Marshal(), &ma)
	_ = json.Unmarshal(b.Marshal(), &mb)
	var lines []string
	for k, v := range ma {
		if string(v) != string(mb[k]) {
			lines = append(lines, fmt.Sprintf("%s: stored %s, given %s", k, compact(v), compact(mb[k])))
		}
	}
	slices.Sort(lines)
	return lines
}

// compact is a JSON value on one line.
func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// RunAll runs every job of the study in dir in plan order, skipping the
// finished ones: the whole study on this machine.
func RunAll(ctx context.Context, dir string, spec Spec, env *Env) error {
	for _, j := range Plan(spec) {
		if err := Run(ctx, dir, spec, j.ID, false, env); err != nil {
			return err
		}
	}
	return nil
}

// Run runs job id of the study in dir: at once if its state says done,
// after its dependencies if wait is set (an error if one failed),
// otherwise it resumes or starts it; it records the job's state before and
// after.
func Run(ctx context.Context, dir string, spec Spec, id int, wait bool, env *Env) error {
	jobs := Plan(spec)
	if id < 0 || id >= len(jobs) {
		return fmt.Errorf("study: no job %d: the study has jobs 0 to %d", id, len(jobs)-1)
	}
	j := jobs[id]
	st, err := ReadState(dir, id)
	if err != nil {
		return err
	}
	if st.Status == Done {
		env.logf("job %d (%s): done", id, j.Name())
		return nil
	}
	if err := depsDone(ctx, dir, j, wait, env); err != nil {
		return err
	}
	host, _ := os.Hostname()
	now := time.Now().UTC()
	st = State{Job: id, Name: j.Name(), Status: Running, Host: host, PID: os.Getpid(), Started: now, Updated: now}
	if err := writeState(dir, st); err != nil {
		return err
	}
	env.logf("job %d (%s): running in %s", id, j.Name(), filepath.Join(dir, j.Dir))
	stop := make(chan struct{})
	beats := make(chan struct{})
	go func() {
		defer close(beats)
		t := time.NewTicker(env.heartbeat())
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				beat := st
				beat.Updated = time.Now().UTC()
				_ = writeState(dir, beat) // a missed beat only delays a waiter's verdict
			}
		}
	}()
	err = runJob(ctx, dir, spec, jobs, j, env)
	close(stop)
	<-beats
	st.Ended = time.Now().UTC()
	st.Updated = st.Ended
	if err != nil {
		st.Status, st.Error = Failed, err.Error()
		if ctx.Err() != nil {
			st.Status = Interrupted
		}
		if werr := writeState(dir, st); werr != nil {
			env.logf("job %d: recording the failure: %v", id, werr)
		}
		return fmt.Errorf("study: job %d (%s): %w", id, j.Name(), err)
	}
	st.Status = Done
	return writeState(dir, st)
}

// depsDone returns nil once every dependency of j is done; without wait,
// at once or with an error naming the first one that is not.
func depsDone(ctx context.Context, dir string, j Job, wait bool, env *Env) error {
	poll := env.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	for {
		pending := -1
		for _, d := range j.Deps {
			s, err := ReadState(dir, d)
			if err != nil {
				return err
			}
			if s.Status == Failed || s.Status == Interrupted {
				return fmt.Errorf("study: job %d (%s) depends on job %d, which %s: %s", j.ID, j.Name(), d, map[Status]string{Failed: "failed", Interrupted: "was interrupted"}[s.Status], s.Error)
			}
			if why := s.Lost(time.Now(), env.heartbeat()); why != "" {
				return fmt.Errorf("study: job %d (%s) depends on job %d, whose state says running (on %s, pid %d) but %s; run it again",
					j.ID, j.Name(), d, s.Host, s.PID, why)
			}
			if s.Status != Done {
				pending = d
				break
			}
		}
		if pending < 0 {
			return nil
		}
		if !wait {
			return fmt.Errorf("study: job %d (%s) depends on job %d, which is not done (run it first, or pass --wait)", j.ID, j.Name(), pending)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(poll):
		}
	}
}

// runJob does the work of j; every output it writes is written atomically,
// and each step is skipped when its output exists, so a rerun after a kill
// continues where the job stopped.
func runJob(ctx context.Context, dir string, spec Spec, jobs []Job, j Job, env *Env) error {
	tensor.SetThreads(spec.Threads)
	switch j.Kind {
	case KindTrain:
		return trainJob(ctx, dir, spec, j, env)
	case KindPrune:
		return pruneJob(ctx, dir, spec, j, env)
	case KindBench:
		return benchJob(ctx, dir, spec, j, env)
	case KindReport:
		return reportJob(dir, spec, jobs, env)
	}
	return fmt.Errorf("unknown job kind %q", j.Kind)
}

// corpus loads the study's dataset with the vocabulary options of o.
func (env *Env) corpus(dataset string, o *train.Options) (*data.Corpus, string, error) {
	ddir, err := data.Resolve(dataset, env.DataDir, env.Getenv)
	if err != nil {
		return nil, "", err
	}
	c, err := data.LoadDir(ddir, data.Options{MaxVocab: o.MaxVocab, MinCount: o.MinCount})
	return c, ddir, err
}

func (env *Env) provenance(dataDir string) *provenance.Provenance {
	if env.Provenance == nil {
		return nil
	}
	return env.Provenance(dataDir)
}

// TrainOptions returns the training options of a model and seed of the
// study: the preset's for the dataset, with the spec's seed, threads and
// epoch cap. The test pass is left to the accounting (the same split at
// batch StatsBatch).
func TrainOptions(spec Spec, cell string, seed uint64) (train.Options, error) {
	o, err := train.Preset(spec.Preset, cell, filepath.Base(spec.Dataset))
	if err != nil {
		return o, err
	}
	o.Dataset = spec.Dataset
	o.Seed, o.Threads, o.SkipTest = seed, spec.Threads, true
	if spec.EpochTokens > 0 {
		o.EpochTokens = spec.EpochTokens
	}
	return o, nil
}

func trainJob(ctx context.Context, dir string, spec Spec, j Job, env *Env) error {
	out := filepath.Join(dir, j.Dir)
	o, err := TrainOptions(spec, j.Model, j.Seed)
	if err != nil {
		return err
	}
	corpus, ddir, err := env.corpus(spec.Dataset, &o)
	if err != nil {
		return err
	}
	o.Model.Vocab = corpus.Vocab.Len()
	if err := o.Validate(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(out, train.FileResult)); err != nil {
		r := &train.Runner{Options: o, Corpus: corpus, Out: out, Progress: env.Log, Provenance: env.provenance(ddir)}
		if _, err := r.Run(ctx, ckptdir.Exists(filepath.Join(out, train.DirLast))); err != nil {
			return err
		}
	}
	m := spec.measure(dir, path.Join(j.Dir, train.DirBest), path.Join(path.Dir(j.Dir), FileStartStats), corpus, env, ddir)
	_, err = m.Report(ctx)
	return err
}

// measure is the accounting of checkpoint ckpt (relative to the study
// dir) into statsFile (relative too); corpus nil: read it, never measure.
func (s Spec) measure(dir, ckpt, statsFile string, corpus *data.Corpus, env *Env, ddir string) *Measure {
	m := &Measure{Checkpoint: filepath.Join(dir, ckpt), Name: ckpt, StatsFile: filepath.Join(dir, statsFile),
		Batch: s.StatsBatch, BPTT: s.StatsBPTT, Embedding: s.Embedding, Corpus: corpus, Log: env.Log}
	if corpus != nil {
		m.Prov = env.provenance(ddir)
	}
	return m
}

// Finetune returns the options of fine-tuning a pruned model trained with
// o, before any flag or spec field changes them: o's own, with a quarter of
// its learning rate and a cosine decay from it (no constant part), no
// early stopping and no test pass. `sparselm prune` and the study's prune
// jobs both start from it, and every level of a sweep, iterative or not,
// takes it from the trained model's options (not from the level before:
// the learning rate would shrink fourfold a level).
func Finetune(o train.Options) train.Options {
	o.Patience, o.SkipTest = 0, true
	o.Optim.LR /= 4
	o.ConstantFrac = 0
	return o
}

// FinetuneOptions returns the fine-tuning options of a study's prune job
// on a sweep whose model was trained with o: Finetune's, for the spec's
// epochs.
func FinetuneOptions(spec Spec, o train.Options, seed uint64) train.Options {
	o = Finetune(o)
	o.Epochs, o.Seed, o.Threads = spec.FinetuneEpochs, seed, spec.Threads
	if spec.EpochTokens > 0 {
		o.EpochTokens = spec.EpochTokens
	}
	return o
}

func pruneJob(ctx context.Context, dir string, spec Spec, j Job, env *Env) error {
	out := filepath.Join(dir, j.Dir)
	from := filepath.Join(dir, j.From)
	c, err := train.LoadCheckpoint(from)
	if err != nil {
		return err
	}
	corpus, ddir, err := env.corpus(spec.Dataset, &c.Options)
	if err != nil {
		return err
	}
	if !slices.Equal(corpus.Vocab.Words(), c.Vocab.Words()) {
		return fmt.Errorf("the vocabulary of %s differs from the checkpoint %s's", ddir, from)
	}
	previous := 0.0
	if spec.Schedule == prune.Iterative {
		if i := slices.Index(spec.Levels, j.Level); i > 0 {
			previous = spec.Levels[i-1]
		}
	}
	// The fine-tuning follows the trained model's options at every level.
	trained := c
	if tdir := path.Join(SweepDir(j.Model, j.Seed), DirTrain, train.DirBest); tdir != j.From {
		if trained, err = train.LoadCheckpoint(filepath.Join(dir, tdir)); err != nil {
			return err
		}
	}
	l := &Level{Dir: out, From: from, Previous: previous, Sparsity: j.Level, Criterion: spec.Criterion, Embedding: spec.Embedding,
		FineTune: FinetuneOptions(spec, trained.Options, j.Seed), Corpus: corpus, Log: env.Log, Progress: env.Log, Prov: env.provenance(ddir)}
	if _, err := l.Run(ctx); err != nil {
		return err
	}
	best := filepath.Join(out, train.DirBest)
	bc, err := train.LoadCheckpoint(best)
	if err != nil {
		return err
	}
	if err := prune.RequireMasks(&bc.Model.Params, j.Level, best); err != nil {
		return err
	}
	m := spec.measure(dir, path.Join(j.Dir, train.DirBest), path.Join(j.Dir, FileLevelStats), corpus, env, ddir)
	m.Loaded = bc
	_, err = m.Report(ctx)
	return err
}

// benchJob times both engines on every checkpoint of a sweep (the trained
// model and each level's best) and writes the sweep's infer-bench.json.
func benchJob(ctx context.Context, dir string, spec Spec, j Job, env *Env) error {
	sweep := filepath.Join(dir, j.Dir)
	if _, err := os.Stat(filepath.Join(sweep, report.InferBenchFile)); err == nil {
		return nil
	}
	// The checkpoints and their points as the report job will list them,
	// so that report.AttachBench matches each timing to its point.
	ckpts := []string{path.Join(j.Dir, DirTrain, train.DirBest)}
	statsFiles := []string{path.Join(j.Dir, FileStartStats)}
	for _, lv := range spec.Levels {
		ckpts = append(ckpts, path.Join(LevelDir(j.Dir, lv), train.DirBest))
		statsFiles = append(statsFiles, path.Join(LevelDir(j.Dir, lv), FileLevelStats))
	}
	o := infer.BenchOptions{Steps: spec.BenchTokens, Warmup: 20, Repeats: spec.BenchRepeats}
	bench := report.InferBench{BenchSetup: report.BenchSetup{CPU: provenance.CPUModel(), Kernel: tensor.Features(),
		Steps: o.Steps, Warmup: o.Warmup, Repeats: o.Repeats, Threads: 1, Batch: 1}}
	tensor.SetThreads(1)
	var corpus *data.Corpus
	for i, rel := range ckpts {
		c, err := train.LoadCheckpoint(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		var ddir string
		if corpus == nil {
			if corpus, ddir, err = env.corpus(spec.Dataset, &c.Options); err != nil {
				return err
			}
			bench.Provenance = env.provenance(ddir)
		}
		cmp, err := infer.Compare(ctx, c.Model, corpus.Test, o)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		// The row's weight sparsity as bench infer --sweep gives it, before
		// Point marks a pruned embedding in c.
		row := report.NewBenchRow(rel, c.Model.Config.Cell, prune.Sparsity(&c.Model.Params), report.TokensTest, cmp)
		m := spec.measure(dir, rel, statsFiles[i], nil, env, "")
		m.Loaded = c
		pt, err := m.Point(ctx)
		if err != nil {
			return err
		}
		pt.Kind = report.KindStart
		if i > 0 {
			pt.Kind, pt.Level = report.KindLevel, spec.Levels[i-1]
		}
		row.Point = report.KeyOf(pt)
		bench.Checkpoints = append(bench.Checkpoints, row)
		env.logf("%s: event engine %.2f× the dense engine's speed", rel, row.Speedup)
	}
	return report.WriteInferBench(sweep, bench)
}
