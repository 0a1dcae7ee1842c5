package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/provenance"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/tensor"
	"github.com/sparselm/sparselm/train"
)

// Files of a prune run directory besides the level runs.
const (
	filePruneSpec    = "prune.json"          // the settings; a resumed run must have the same
	filePruneSummary = report.SummaryFile    // the sweep's setup, provenance and one row per level
	filePruneCSV     = report.SummaryCSVFile // the rows in the columns of report.csv
	fileLevelStats   = study.FileLevelStats  // in each level directory: the accounting of its best checkpoint
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
	return filepath.FromSlash(study.LevelDir(filepath.ToSlash(out), s))
}

// pruneFlags holds the values of prune's flags.
type pruneFlags struct {
	ckpt, criterion, schedule, out, dataDir string
	levels                                  floatList
	target, initial, startFrac, endFrac     float64
	every                                   int64
	embedding, resume, quiet                bool
	epochs, epochTokens, threads            int
	lr, constFrac                           float64
	seed                                    uint64
	saveEvery                               time.Duration
	statsBatch, statsBPTT                   int
}

func definePruneFlags(fs *flagSet) *pruneFlags {
	f := &pruneFlags{levels: floatList{0.5, 0.75, 0.9}}
	fs.StringVar(&f.ckpt, "ckpt", "", "checkpoint to prune, or a run directory (its best checkpoint)")
	fs.StringVar(&f.criterion, "criterion", string(prune.Magnitude), "magnitude (per matrix) | global (one threshold) | random (control)")
	fs.StringVar(&f.schedule, "schedule", string(prune.Iterative), "oneshot (each level from the checkpoint) | iterative (levels in turn) | gradual (Zhu & Gupta)")
	fs.Var(&f.levels, "levels", "target weight `sparsities`; iterative: increasing")
	fs.Float64Var(&f.target, "target", 0, "gradual: final sparsity s_f (instead of --levels)")
	fs.Float64Var(&f.initial, "initial", 0, "gradual: initial sparsity s_i")
	fs.Int64Var(&f.every, "every", 100, "gradual: steps Δt between mask updates")
	fs.Float64Var(&f.startFrac, "start-frac", 0, "gradual: first mask update t0 as a fraction of the fine-tuning steps")
	fs.Float64Var(&f.endFrac, "end-frac", 0.5, "gradual: last mask update t0 + nΔt as a fraction of the fine-tuning steps")
	fs.BoolVar(&f.embedding, "prune-embedding", false, "prune the embedding (= tied decoder) too")
	fs.IntVar(&f.epochs, "finetune-epochs", 1, "fine-tuning epochs per level (gradual: in total)")
	fs.StringVar(&f.out, "out", "", "output `directory` (default: next to the checkpoint, prune-CRITERION-SCHEDULE)")
	fs.BoolVar(&f.resume, "resume", false, "continue the prune run in --out with the settings in its prune.json")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bars")
	fs.StringVar(&f.dataDir, "data", "", dataFlagHelp)
	fs.Float64Var(&f.lr, "lr", 0, "fine-tuning learning rate (0: a quarter of the checkpoint's)")
	fs.Float64Var(&f.constFrac, "constant-frac", 0, "fraction of fine-tuning steps at the full learning rate before the cosine decay")
	fs.IntVar(&f.epochTokens, "epoch-tokens", -1, "cap on fine-tuning tokens per epoch (0: whole split; -1: the checkpoint's setting)")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of fine-tuning and of random pruning (0: the checkpoint's)")
	fs.IntVar(&f.threads, "threads", 0, "threads (0: the checkpoint's; results do not depend on it)")
	fs.DurationVar(&f.saveEvery, "save-every", 5*time.Minute, "interval of resumable checkpoints within an epoch")
	fs.IntVar(&f.statsBatch, "stats-batch", 1, "streams for the test accounting of each level")
	fs.IntVar(&f.statsBPTT, "stats-bptt", 70, "window length for the test accounting")
	return f
}

// pruneFieldFlag ties a field of pruneSpec (by its JSON path) to the flags
// that set it; note says how the field relates to a flag that does not set
// it directly. Like trainFlags for train, it turns library errors into
// flags and names the flags of a resumed run that differ from its prune.json.
type pruneFieldFlag struct {
	path      string
	flags     []string
	note      string
	resumable bool // may differ on --resume: the numbers do not depend on it
}

var pruneFieldFlags = []pruneFieldFlag{
	{path: "source", flags: []string{"ckpt"}},
	{path: "criterion", flags: []string{"criterion"}},
	{path: "schedule", flags: []string{"schedule"}},
	{path: "levels", flags: []string{"levels", "target"}},
	{path: "prune_embedding", flags: []string{"prune-embedding"}},
	{path: "gradual", flags: []string{"schedule"}},
	{path: "gradual.initial", flags: []string{"initial"}},
	{path: "gradual.final", flags: []string{"target"}},
	{path: "gradual.start", flags: []string{"start-frac"}, note: "gradual.start, in steps"},
	{path: "gradual.every", flags: []string{"every"}},
	{path: "gradual.updates", flags: []string{"end-frac", "every", "start-frac"}, note: "gradual.updates, mask updates"},
	{path: "gradual.criterion", flags: []string{"criterion"}},
	{path: "gradual.seed", flags: []string{"seed"}},
	{path: "finetune.epochs", flags: []string{"finetune-epochs"}},
	{path: "finetune.optimizer.lr", flags: []string{"lr"}},
	{path: "finetune.constant_frac", flags: []string{"constant-frac"}},
	{path: "finetune.epoch_tokens", flags: []string{"epoch-tokens"}},
	{path: "finetune.seed", flags: []string{"seed"}},
	{path: "finetune.threads", flags: []string{"threads"}, resumable: true},
	{path: "finetune.save_every", flags: []string{"save-every"}, resumable: true},
	{path: "stats_batch", flags: []string{"stats-batch"}},
	{path: "stats_bptt", flags: []string{"stats-bptt"}},
}

// pruneFlagOf returns how to name the field at path for a user: its flags,
// the ones given first, and the note of a field no flag sets directly.
func pruneFlagOf(path string, given map[string]bool) (pruneFieldFlag, string, bool) {
	for _, r := range pruneFieldFlags {
		if r.path != path {
			continue
		}
		var named []string
		for _, f := range r.flags {
			if given[f] {
				named = append(named, "--"+f)
			}
		}
		if len(named) == 0 {
			named = []string{"--" + r.flags[0]}
		}
		return r, strings.Join(named, ", "), true
	}
	return pruneFieldFlag{}, "", false
}

func runPrune(ctx context.Context, env *Env, args []string) error {
	const synopsis = "prune --ckpt CKPT [--criterion magnitude|global|random] [--schedule oneshot|iterative|gradual] " +
		"[--levels 0.5,0.75,0.9 | --target 0.9] [--finetune-epochs N] [--out DIR] [flags]\n" +
		"       sparselm prune --out DIR --resume [--threads N] [--save-every D] [--quiet]"
	fs := newFlagSet(env, "prune", synopsis)
	f := definePruneFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := fs.given()
	if err := fs.noArgs("prune"); err != nil {
		return err
	}
	if err := checkThreads(env, "prune", f.threads); err != nil {
		return err
	}
	// The stored spec of a resumed run, or a new run's checkpoint.
	var stored *pruneSpec
	if f.ckpt != "" {
		f.ckpt = checkpointDir(f.ckpt)
	}
	src := f.ckpt
	if f.resume {
		if f.out == "" && src == "" {
			return errors.New("prune: --resume needs --out, the directory of the run to continue")
		}
		if f.out == "" {
			f.out = defaultPruneOut(src, f.criterion, f.schedule)
		}
		var err error
		if stored, err = readPruneSpec(f.out); err != nil {
			return err
		}
		src = stored.Source
	} else if src == "" {
		return errors.New("prune: --ckpt is required")
	}
	c, err := train.LoadCheckpoint(src)
	if err != nil {
		return fmt.Errorf("prune: %w (--ckpt takes a checkpoint directory written by sparselm train or prune, such as RUN/best)", err)
	}
	corpus, err := loadCheckpointCorpus(env, c, f.dataDir)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	prov := checkpointProvenance(env, "prune", args, c, f.dataDir)
	spec, err := f.spec(stored, src, c, given, len(corpus.Train))
	if err == nil {
		err = validatePruneSpec(&spec)
	}
	if err != nil {
		return flagged("prune", err, func(path string) (string, bool) {
			r, name, ok := pruneFlagOf(path, given)
			if ok && r.note != "" {
				name = fmt.Sprintf("%s (from %s)", path, name)
			}
			return name, ok
		})
	}
	if f.out == "" {
		f.out = defaultPruneOut(src, string(spec.Criterion), string(spec.Schedule))
	}
	if stored != nil {
		if conflicts := pruneConflicts(stored, &spec, given); len(conflicts) > 0 {
			return fmt.Errorf("prune: --resume: the run in %s was started with other settings; drop these flags to continue it, "+
				"or start a new run in another --out:\n  %s", f.out, strings.Join(conflicts, "\n  "))
		}
	} else if err := checkPruneOut(f.out, src); err != nil {
		return err
	} else if err := writePruneSpec(f.out, spec, prov); err != nil {
		return err
	}
	tensor.SetThreads(spec.FineTune.Threads)
	if c.Model.Params.Mask != nil && spec.Schedule != prune.OneShot {
		// Pruning a pruned model further is fine; say so, since levels are absolute.
		fmt.Fprintf(env.Stderr, "sparselm prune: %s is already %.2f%% sparse; levels are absolute sparsities\n", src, 100*prune.Sparsity(&c.Model.Params))
	}
	progress := env.Stderr
	if f.quiet {
		progress = nil
	}
	out, o, sched := f.out, spec.FineTune, spec.Schedule
	fmt.Fprintf(env.Stderr, "sparselm prune: %s, %s %s to %v, %d fine-tuning epoch(s) per level at lr %g, out %s\n",
		src, spec.Criterion, sched, spec.Levels, o.Epochs, o.Optim.LR, out)

	sw := &study.Sweep{Out: out, Source: src, Criterion: spec.Criterion, Schedule: sched, Levels: spec.Levels, Embedding: spec.Embedding,
		Gradual: spec.Gradual, FineTune: spec.FineTune, StatsB: spec.StatsB, StatsT: spec.StatsT, Corpus: corpus,
		Log: env.Stderr, Progress: progress, Prov: prov,
		Setup: report.Setup{Dataset: spec.FineTune.Dataset, Preset: spec.FineTune.Preset, Criterion: string(spec.Criterion),
			Schedule: string(spec.Schedule), Source: spec.Source}}
	rows, err := sw.Run(ctx)
	if err != nil {
		return withRunHint(fmt.Errorf("prune: %w", err), "sparselm prune --out "+out+" --resume")
	}
	printPruneTable(env.Stdout, rows)
	return nil
}

// checkpointDir returns the absolute checkpoint directory that --ckpt
// names: the directory itself, or the best checkpoint of a run directory.
func checkpointDir(arg string) string {
	dir := checkpointArgDir(arg)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir
}

// checkPruneOut refuses an --out for a new sweep that would write into the
// checkpoint it starts from (which then no longer loads: its manifest does
// not list the sweep's files) or into a training run's directory.
func checkPruneOut(out, src string) error {
	o, err1 := filepath.Abs(out)
	c, err2 := filepath.Abs(src)
	if err1 == nil && err2 == nil && (o == c || strings.HasPrefix(o, c+string(filepath.Separator))) {
		return fmt.Errorf("prune: --out %s is inside the checkpoint %s it starts from; choose another --out (the default is %s)", out, src,
			defaultPruneOut(src, "CRITERION", "SCHEDULE"))
	}
	if err := train.CheckFresh(out); errors.Is(err, train.ErrRunExists) {
		return fmt.Errorf("prune: --out %s holds a training run; choose another --out (the default is beside the checkpoint)", out)
	} else if err != nil {
		return fmt.Errorf("prune: --out: %w", err) // a file, say
	}
	return nil
}

// defaultPruneOut is the default --out: prune-CRITERION-SCHEDULE beside the checkpoint.
func defaultPruneOut(src, criterion, schedule string) string {
	return filepath.Join(filepath.Dir(src), fmt.Sprintf("prune-%s-%s", criterion, schedule))
}

// spec returns the spec of the command line. A new run (stored nil) starts
// from the checkpoint c in src and every flag's value; a resumed one from
// its stored spec and the flags in given only. The gradual schedule's
// fractions become steps here, so a resumed run that gives the same
// fractions again gets the same steps.
func (f *pruneFlags) spec(stored *pruneSpec, src string, c *train.Checkpoint, given map[string]bool, trainTokens int) (pruneSpec, error) {
	var s pruneSpec
	set := func(name string) bool { return given[name] }
	if stored != nil {
		s = *stored
		s.Levels = slices.Clone(s.Levels)
		if s.Gradual != nil {
			g := *s.Gradual
			s.Gradual = &g
		}
	} else {
		// Every flag counts but --target (gradual only) and --levels of the
		// gradual schedule, which takes --target instead.
		s = pruneSpec{Source: src, FineTune: study.Finetune(c.Options)}
		set = func(name string) bool {
			switch name {
			case "target":
				return given[name]
			case "levels":
				return given[name] || f.schedule != string(prune.Gradually)
			}
			return true
		}
	}
	if set("ckpt") {
		s.Source = f.ckpt
	}
	var err error
	if set("criterion") {
		if s.Criterion, err = prune.ParseCriterion(f.criterion); err != nil {
			return s, err
		}
	}
	if set("schedule") {
		if s.Schedule, err = prune.ParseSchedule(f.schedule); err != nil {
			return s, err
		}
	}
	if set("levels") {
		s.Levels = slices.Clone(f.levels)
	}
	if set("target") {
		if s.Schedule != prune.Gradually {
			return s, errors.New("prune: --target is for --schedule gradual; use --levels")
		}
		s.Levels = []float64{f.target}
	}
	if s.Schedule == prune.Gradually && len(s.Levels) == 0 {
		return s, errors.New("prune: the gradual schedule needs --target (the final sparsity)")
	}
	if set("prune-embedding") {
		s.Embedding = f.embedding
	}
	ft := &s.FineTune
	if set("finetune-epochs") {
		ft.Epochs = f.epochs
	}
	if set("lr") && f.lr != 0 {
		ft.Optim.LR = f.lr
	}
	if set("constant-frac") {
		ft.ConstantFrac = f.constFrac
	}
	if set("epoch-tokens") && f.epochTokens != -1 {
		ft.EpochTokens = f.epochTokens
	}
	if set("seed") && f.seed != 0 {
		ft.Seed = f.seed
	}
	if set("threads") && f.threads != 0 {
		ft.Threads = f.threads
	}
	if set("save-every") {
		ft.SaveEvery = f.saveEvery
	}
	if set("stats-batch") {
		s.StatsB = f.statsBatch
	}
	if set("stats-bptt") {
		s.StatsT = f.statsBPTT
	}
	if s.Schedule != prune.Gradually {
		s.Gradual = nil
		return s, nil
	}
	if ft.Batch < 1 || ft.BPTT < 1 {
		return s, nil // validatePruneSpec says what is wrong
	}
	for _, fr := range []struct {
		name string
		v    float64
	}{{"start-frac", f.startFrac}, {"end-frac", f.endFrac}} {
		if set(fr.name) && !(fr.v >= 0 && fr.v <= 1) {
			return s, fmt.Errorf("prune: --%s %v must be in [0, 1]", fr.name, fr.v)
		}
	}
	total := train.StepsPerEpoch(ft, trainTokens) * int64(max(0, ft.Epochs))
	g := prune.Gradual{Initial: f.initial, Every: f.every}
	t0, end := int64(f.startFrac*float64(total)), int64(f.endFrac*float64(total))
	if s.Gradual != nil {
		g = *s.Gradual
		t0, end = g.Start, g.End()
	}
	if set("initial") {
		g.Initial = f.initial
	}
	if set("every") {
		g.Every = f.every
	}
	if set("start-frac") {
		t0 = int64(f.startFrac * float64(total))
	}
	if set("end-frac") {
		end = int64(f.endFrac * float64(total))
	}
	if !(t0 < end) {
		return s, fmt.Errorf("prune: --start-frac must be below --end-frac: the mask updates would start at step %d and end at step %d of %d", t0, end, total)
	}
	g.Start, g.Updates = t0, (end-t0)/max(1, g.Every)
	g.Final, g.Criterion, g.Seed = s.Levels[0], s.Criterion, ft.Seed
	s.Gradual = &g
	// The other fields first; no mask update at all is said below with the
	// numbers that make it.
	check := g
	check.Updates = max(1, g.Updates)
	if err := check.Validate(); err != nil {
		return s, config.Within("gradual", err)
	}
	if g.Updates < 1 {
		return s, fmt.Errorf("prune: --every %d is longer than the %d steps between --start-frac and --end-frac (of %d fine-tuning steps in all): "+
			"the mask would never be updated; give --every %d or less, or raise --finetune-epochs", g.Every, end-t0, total, max(1, end-t0))
	}
	return s, nil
}

// validatePruneSpec reports the first bad setting of s as a
// *config.FieldError with its path in pruneSpec.
func validatePruneSpec(s *pruneSpec) error {
	if err := prune.CheckLevels(s.Levels, s.Schedule); err != nil {
		return err
	}
	if err := s.FineTune.Validate(); err != nil {
		return fmt.Errorf("prune: fine-tuning: %w", config.Within("finetune", err))
	}
	if s.StatsB < 1 {
		return fmt.Errorf("prune: %w", config.Invalid("stats_batch", s.StatsB, "must be positive"))
	}
	if s.StatsT < 1 {
		return fmt.Errorf("prune: %w", config.Invalid("stats_bptt", s.StatsT, "must be positive"))
	}
	return nil
}

// pruneConflicts returns a line per field that differs between the stored
// spec of a run and the one resolved from the command line of its resume,
// leaving out the resumable ones; fields set by the same flag are named once.
func pruneConflicts(stored, resolved *pruneSpec, given map[string]bool) []string {
	var lines []string
	seen := map[string]bool{}
	for _, d := range config.Diff(*stored, *resolved) {
		r, name, ok := pruneFlagOf(d.Path, given)
		switch {
		case !ok:
			name = d.Path
		case r.resumable || seen[name]:
			continue
		}
		seen[name] = true
		line := fmt.Sprintf("%s: stored %s, given %s", name, config.Format(d.A), config.Format(d.B))
		if r.note != "" {
			line += " (" + r.note + ")"
		}
		lines = append(lines, line)
	}
	return lines
}

// readPruneSpec reads the spec of the run in out for --resume.
func readPruneSpec(out string) (*pruneSpec, error) {
	path := filepath.Join(out, filePruneSpec)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("prune: --resume: nothing to resume in %s (it has no %s); start the run without --resume", out, filePruneSpec)
	}
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	var s pruneSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("prune: %s: %w", path, err)
	}
	return &s, nil
}

// writePruneSpec writes the spec of a new run, which must not exist yet,
// with the provenance of the session that starts it.
func writePruneSpec(out string, spec pruneSpec, prov *provenance.Provenance) error {
	path := filepath.Join(out, filePruneSpec)
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("prune: %s already holds a prune run; pass --resume to continue it or choose another --out", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	b, _ := json.MarshalIndent(struct {
		pruneSpec
		Provenance *provenance.Provenance `json:"provenance"` // not part of the spec: readPruneSpec skips it
	}{spec, prov}, "", "  ")
	return ckptdir.WriteFile(path, append(b, '\n'))
}

// printPruneTable writes the summary as an aligned table.
func printPruneTable(w io.Writer, rows []pruneRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "level\tweight sparsity\tvalid ppl\ttest ppl\tactivity sparsity\teff. MACs/token (layers)\t(model)\t"+
		"×own dense (layers)\t(model)\t×dense LSTM (layers)\t(model)\t")
	for _, r := range rows {
		s := r.Stats
		level, valid := "start", "-"
		if r.Kind != report.KindStart {
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
