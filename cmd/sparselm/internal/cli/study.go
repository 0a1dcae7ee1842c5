package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/provenance"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/study/slurm"
	"github.com/sparselm/sparselm/train"
)

func runStudy(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "run":
			return runStudyJob(ctx, env, args[1:])
		case "status":
			return runStudyStatus(ctx, env, args[1:])
		case "emit":
			return runStudyEmit(env, args[1:])
		case "submit":
			return runStudySubmit(ctx, env, args[1:])
		case "report":
			return runStudyReport(env, args[1:])
		}
	}
	const synopsis = "study [--spec FILE] [--out DIR] [--dataset ptb|wikitext-2|DIR] [--preset tiny|small|paper] [--models lstm,egru] " +
		"[--seeds N] [--levels 0.5,0.9] [flags] [--dry-run | --init]\n" +
		"       sparselm study run --spec DIR/study.json --job N [--wait]\n" +
		"       sparselm study status --spec DIR/study.json\n" +
		"       sparselm study report --spec DIR/study.json   (the report of what is done so far)\n" +
		"       sparselm study submit --slurm --spec DIR/study.json [--partition P] [--time T] [--cpus-per-task N] [--array-limit K]\n" +
		"       sparselm study emit --k8s --spec DIR/study.json --name NAME [-o FILE]\n\n" +
		"Trains every model once per seed, prunes each to every level, measures every checkpoint, times the\n" +
		"inference engines and writes the report into DIR/report. The spec is written to DIR/study.json on the\n" +
		"first run (or alone, with --init); running the same command again continues the study where it stopped."
	fs := newFlagSet(env, "study", synopsis)
	def := study.DefaultSpec("small")
	specFile := fs.String("spec", "", "spec `file` (JSON, as written to DIR/study.json); flags given override its fields")
	out := fs.String("out", "", "study `directory` (default runs/study-DATASET-PRESET, or the spec file's directory)")
	dataset := fs.String("dataset", def.Dataset, "ptb, wikitext-2, or a directory of train/valid/test files")
	preset := fs.String("preset", def.Preset, "tiny (seconds), small (2-core laptop, hours) or paper")
	models := fs.String("models", strings.Join(def.Models, ","), "cells to train, comma-separated: lstm, egru")
	seeds := fs.Int("seeds", len(def.Seeds), "number of seeds (1, 2, …, N): each model is trained once per seed")
	levels := floatList(def.Levels)
	fs.Var(&levels, "levels", "target weight `sparsities`, increasing")
	criterion := fs.String("criterion", string(def.Criterion), "magnitude | global | random")
	schedule := fs.String("schedule", string(def.Schedule), "oneshot (each level from the trained model) | iterative (level after level)")
	ftEpochs := fs.Int("finetune-epochs", def.FinetuneEpochs, "fine-tuning epochs after each pruning")
	embedding := fs.Bool("prune-embedding", def.Embedding, "prune the embedding (= tied decoder) too")
	bench := fs.Bool("bench", def.Bench, "time the dense and event-driven inference engines on every checkpoint")
	threads := fs.Int("threads", def.Threads, "threads per job (results do not depend on it)")
	epochTokens := fs.Int("epoch-tokens", 0, "cap on the training tokens per epoch (0: the preset's); for smoke runs")
	dataDir := fs.String("data", "", dataFlagHelp)
	dryRun := fs.Bool("dry-run", false, "print the plan (every job, its inputs and outputs, an estimate of its time) and exit")
	initOnly := fs.Bool("init", false, "write the spec to DIR/study.json and exit, running nothing (for study submit and study emit)")
	quiet := fs.Bool("quiet", false, "no progress bars")
	parallel := fs.Int("jobs", 1, "jobs run at once, each a child process logging to DIR/logs/job-N.log (1: in this process, with progress bars)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("study: unexpected argument %q (subcommands: run, status, report, submit, emit; flags start with --)", fs.Arg(0))
	}
	if *dryRun && *initOnly {
		return errors.New("study: --dry-run writes nothing and --init writes the spec: give one of them")
	}
	if *parallel < 1 {
		return fmt.Errorf("study: --jobs %d must be at least 1", *parallel)
	}
	given := fs.given()
	spec := def
	if *specFile != "" {
		var err error
		if spec, err = study.ReadSpec(*specFile); err != nil {
			return fmt.Errorf("study: %w", err)
		}
		if *out == "" {
			*out = filepath.Dir(*specFile)
		}
	}
	set := func(name string) bool { return *specFile == "" || given[name] }
	if set("dataset") {
		spec.Dataset = *dataset
		if strings.ContainsRune(*dataset, filepath.Separator) {
			if abs, err := filepath.Abs(*dataset); err == nil {
				spec.Dataset = abs
			}
		}
	}
	if set("preset") {
		spec.Preset = *preset
	}
	if set("models") {
		spec.Models = splitList(*models)
	}
	if set("seeds") {
		if *seeds < 1 || *seeds > study.MaxSeeds {
			return fmt.Errorf("study: --seeds %d must be between 1 and %d", *seeds, study.MaxSeeds)
		}
		spec.Seeds = nil
		for s := 1; s <= *seeds; s++ {
			spec.Seeds = append(spec.Seeds, uint64(s))
		}
	}
	if set("levels") {
		spec.Levels = levels
	}
	if set("criterion") {
		spec.Criterion = prune.Criterion(*criterion)
	}
	if set("schedule") {
		spec.Schedule = prune.Schedule(*schedule)
	}
	if set("finetune-epochs") {
		spec.FinetuneEpochs = *ftEpochs
	}
	if set("prune-embedding") {
		spec.Embedding = *embedding
	}
	if set("bench") {
		spec.Bench = *bench
	}
	if set("threads") {
		spec.Threads = *threads
	}
	if set("epoch-tokens") {
		spec.EpochTokens = *epochTokens
	}
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	if err := checkThreads(env, "study", spec.Threads); err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join("runs", fmt.Sprintf("study-%s-%s", filepath.Base(spec.Dataset), spec.Preset))
	}
	// The dataset must resolve before anything is written (each job loads
	// it again where it runs: a cluster node may see it elsewhere).
	// --init is for a cluster's login node, which need not see the data
	// where the jobs will.
	if _, err := data.Resolve(spec.Dataset, *dataDir, env.Getenv); err != nil {
		if !*dryRun && !*initOnly {
			return fmt.Errorf("study: %w", err)
		}
		fmt.Fprintf(env.Stderr, "sparselm study: warning: %v\n", err)
	}
	otherSpec := func(err error) error {
		return fmt.Errorf("study: %w (start a new study in another --out, or give the stored spec: --spec %s)", err, filepath.Join(*out, study.SpecFile))
	}
	if *dryRun {
		if _, err := study.Check(*out, spec); err != nil {
			return otherSpec(err)
		}
		return printPlan(env, *out, spec)
	}
	spec, err := study.Open(*out, spec)
	if err != nil {
		return otherSpec(err)
	}
	if *initOnly {
		specPath := filepath.Join(*out, study.SpecFile)
		fmt.Fprintf(env.Stdout, "study: spec of %d jobs in %s; run it with sparselm study --spec %s, sparselm study submit --slurm --spec %s or sparselm study emit --k8s --spec %s\n",
			len(study.Plan(spec)), specPath, specPath, specPath, specPath)
		return nil
	}
	senv := studyEnv(env, *dataDir, *quiet, append([]string{"study"}, args...))
	fmt.Fprintf(env.Stderr, "sparselm study: %d jobs in %s (%s, preset %s, models %s, seeds %v, levels %v)\n",
		len(study.Plan(spec)), *out, spec.Dataset, spec.Preset, strings.Join(spec.Models, ","), spec.Seeds, spec.Levels)
	if *parallel == 1 {
		err = study.RunAll(ctx, *out, spec, senv)
	} else {
		senv.Log = env.Stderr // a line per job started and finished
		err = study.RunParallel(ctx, *out, spec, *parallel, childLauncher(*out, *dataDir, *quiet), senv)
	}
	if err != nil {
		return withRunHint(err, "sparselm study --spec "+filepath.Join(*out, study.SpecFile))
	}
	fmt.Fprintf(env.Stdout, "study: done; report in %s\n", filepath.Join(*out, study.DirReport))
	return nil
}

// studyEnv is the study's view of this process.
func studyEnv(env *Env, dataDir string, quiet bool, args []string) *study.Env {
	log := env.Stderr
	if quiet {
		log = nil
	}
	cmd := args[0]
	return &study.Env{Getenv: env.Getenv, DataDir: dataDir, Log: log,
		Provenance: func(ddir string) *provenance.Provenance { return sessionProvenance(env, cmd, args[1:], ddir) }}
}

// childLauncher runs a job as `sparselm study run --job N` in a child
// process of this executable, its output (a progress line every tenth of
// an epoch, unless quiet) in DIR/logs/job-N.log; a
// cancelled context interrupts the child (SIGINT, as Ctrl-C would) and
// kills it if it has not stopped 30 s later.
func childLauncher(dir, dataDir string, quiet bool) study.Launcher {
	return func(ctx context.Context, j study.Job) error {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		logPath := study.LogPath(dir, j.ID)
		if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		args := []string{"study", "run", "--spec", filepath.Join(dir, study.SpecFile), "--job", fmt.Sprint(j.ID)}
		if quiet {
			args = append(args, "--quiet")
		}
		if dataDir != "" {
			args = append(args, "--data", dataDir)
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stdout, cmd.Stderr = f, f
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 30 * time.Second
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%w (its output: %s)", err, logPath)
		}
		return nil
	}
}

// runStudyJob is `sparselm study run`: one job, as a cluster task runs it.
func runStudyJob(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "study run", "study run --spec DIR/study.json --job N [--wait]")
	specFile := fs.String("spec", "", "the study's spec `file`, DIR/study.json (the study is DIR)")
	job := fs.Int("job", -1, "the job `N` to run (see sparselm study --dry-run)")
	wait := fs.Bool("wait", false, "wait for the job's dependencies to finish first (an error if one fails)")
	dataDir := fs.String("data", "", dataFlagHelp)
	quiet := fs.Bool("quiet", false, "no progress bars")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fs.noArgs("study run"); err != nil {
		return err
	}
	if *specFile == "" || !fs.given()["job"] {
		return errors.New("study run: --spec and --job are required")
	}
	if *job < 0 {
		return fmt.Errorf("study run: --job %d: a job number is 0 or more (study --dry-run lists them)", *job)
	}
	spec, err := readStudySpec("study run", *specFile)
	if err != nil {
		return err
	}
	dir := filepath.Dir(*specFile)
	return study.Run(ctx, dir, spec, *job, *wait, studyEnv(env, *dataDir, *quiet, append([]string{"study"}, append([]string{"run"}, args...)...)))
}

// readStudySpec reads the spec a subcommand's --spec names; cmd ("study
// report") begins its errors.
func readStudySpec(cmd, file string) (study.Spec, error) {
	if file == "" {
		return study.Spec{}, fmt.Errorf("%s: --spec is required", cmd)
	}
	spec, err := study.ReadSpec(file)
	if err != nil {
		return study.Spec{}, fmt.Errorf("%s: %w", cmd, err)
	}
	return spec, nil
}

// runStudyReport writes the report of the sweeps that are complete so far.
func runStudyReport(env *Env, args []string) error {
	fs := newFlagSet(env, "study report", "study report --spec DIR/study.json")
	specFile := fs.String("spec", "", "the study's spec `file`, DIR/study.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fs.noArgs("study report"); err != nil {
		return err
	}
	spec, err := readStudySpec("study report", *specFile)
	if err != nil {
		return err
	}
	dir := filepath.Dir(*specFile)
	if err := study.Report(dir, spec, studyEnv(env, "", true, []string{"study", "report"})); err != nil {
		return fmt.Errorf("study report: %w", err)
	}
	fmt.Fprintf(env.Stdout, "study report: %s\n", filepath.Join(dir, study.DirReport))
	return nil
}

// runStudyStatus prints every job's state.
func runStudyStatus(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "study status", "study status --spec DIR/study.json")
	specFile := fs.String("spec", "", "the study's spec `file`, DIR/study.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fs.noArgs("study status"); err != nil {
		return err
	}
	spec, err := readStudySpec("study status", *specFile)
	if err != nil {
		return err
	}
	dir := filepath.Dir(*specFile)
	// Slurm's view, when the study was submitted and squeue answers.
	var tasks map[int]slurm.Task
	if subs, err := slurm.ReadSubmitted(dir); err == nil {
		if tasks, err = slurm.Status(ctx, slurm.Exec{}, subs); err != nil {
			fmt.Fprintf(env.Stderr, "sparselm study status: Slurm's view left out: %v\n", err)
		}
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	header := "job\tstage\tname\tstatus\thost\tstarted\tended\tprogress or error"
	if tasks != nil {
		header += "\tslurm"
	}
	fmt.Fprintln(tw, header)
	count := map[study.Status]int{}
	lost := 0
	for _, j := range study.Plan(spec) {
		s, err := study.ReadState(dir, j.ID)
		if err != nil {
			return err
		}
		status, note := string(s.Status), s.Error
		if s.Status == study.Running {
			if why := s.Lost(time.Now(), time.Minute); why != "" {
				status, note = "lost", why+"; rerun the study to redo it"
				if progress := study.Progress(dir, spec, j); progress != "" {
					note += " (" + progress + ")"
				}
				lost++
			} else {
				note = study.Progress(dir, spec, j)
			}
		}
		count[s.Status]++
		line := fmt.Sprintf("%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s", j.ID, j.Stage, j.Name(), status, s.Host, timeText(s.Started), timeText(s.Ended), note)
		if tasks != nil {
			if t, ok := tasks[j.ID]; ok {
				line += fmt.Sprintf("\t%s %s (%s)", t.ID(), t.State, t.Reason)
			} else {
				line += "\t-"
			}
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "%d done, %d running, %d failed, %d pending", count[study.Done], count[study.Running]-lost, count[study.Failed], count[study.Pending])
	if n := count[study.Interrupted]; n > 0 {
		fmt.Fprintf(env.Stdout, ", %d interrupted (stopped by a signal: rerun the study to continue them)", n)
	}
	if lost > 0 {
		fmt.Fprintf(env.Stdout, ", %d lost (killed while running: rerun the study, or study run --job N, to redo them)", lost)
	}
	fmt.Fprintln(env.Stdout)
	left, measured, pending, err := study.Remaining(dir, spec, dataSize(env, spec))
	if err != nil {
		return fmt.Errorf("study status: %w", err)
	}
	if pending > 0 {
		from := "the preset's rates (study.Estimate)"
		if measured > 0 {
			from = fmt.Sprintf("this study's own epoch times for %d of the %d jobs not done, the preset's rates for the rest", measured, pending)
		}
		fmt.Fprintf(env.Stdout, "left: about %s of one job's time, from %s", train.FormatDuration(left), from)
		if running := count[study.Running] - lost; running > 1 {
			fmt.Fprintf(env.Stdout, "; %s with %d jobs at once", train.FormatDuration(left/time.Duration(running)), running)
		}
		fmt.Fprintln(env.Stdout)
	}
	return nil
}

// printPlan prints the jobs of spec with their estimated times.
func printPlan(env *Env, out string, spec study.Spec) error {
	jobs := study.Plan(spec)
	size := dataSize(env, spec)
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(env.Stdout, "study in %s: %d jobs in %d stages\n", out, len(jobs), len(study.Stages(jobs)))
	fmt.Fprintln(tw, "job\tstage\tname\tafter\toutput\tfrom\testimate")
	var total float64
	for _, j := range jobs {
		est := study.Estimate(spec, j, size)
		total += est.Seconds()
		deps := make([]string, len(j.Deps))
		for i, d := range j.Deps {
			deps[i] = fmt.Sprint(d)
		}
		after := strings.Join(deps, ",")
		if len(after) > 24 {
			after = fmt.Sprintf("%d jobs", len(deps))
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Stage, j.Name(), orDash(after), filepath.Join(out, j.Dir), orDash(j.From), train.FormatDuration(est))
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "estimated: %s of one core per job in all (jobs of a stage can run at once); the rates behind it are in study.Estimate\n",
		train.FormatDuration(time.Duration(total*float64(time.Second))))
	return nil
}

// timeText is t in UTC to the second, or "-" for the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// approxSize counts the whitespace-separated words of the train split
// (plus one end of line each) and its distinct words (plus <eos>), read
// quickly for the estimates: a zero DataSize if there is no train split.
func approxSize(files []string) study.DataSize {
	for _, f := range files {
		if strings.Contains(filepath.Base(f), "train") {
			b, err := os.ReadFile(f)
			if err != nil {
				return study.DataSize{}
			}
			words := strings.Fields(string(b))
			vocab := map[string]struct{}{}
			for _, w := range words {
				vocab[w] = struct{}{}
			}
			return study.DataSize{TrainTokens: len(words) + strings.Count(string(b), "\n"), Vocab: len(vocab) + 1}
		}
	}
	return study.DataSize{}
}

// dataSize is approxSize of the spec's dataset, zero if it cannot be found.
func dataSize(env *Env, spec study.Spec) study.DataSize {
	if ddir, err := data.Resolve(spec.Dataset, "", env.Getenv); err == nil {
		if files, err := data.SplitFiles(ddir); err == nil {
			return approxSize(files)
		}
	}
	return study.DataSize{}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
