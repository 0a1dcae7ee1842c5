package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/train"
)

// tinyRun trains a tiny model for the prune and stats tests.
func tinyRun(t *testing.T, cell string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := run(t, tinyTrain(cell, out, "--skip-test")...); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	return out
}

func readRows(t *testing.T, out string) []pruneRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, filePruneSummary))
	if err != nil {
		t.Fatal(err)
	}
	var s report.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s.Points
}

// TestPruneIterativeThenStats prunes a tiny EGRU iteratively, checks every
// level's checkpoint and summary row, that re-running with --resume redoes
// nothing, and that stats on a level agrees with the summary.
func TestPruneIterativeThenStats(t *testing.T) {
	src := tinyRun(t, "egru")
	out := filepath.Join(t.TempDir(), "pruned")
	args := []string{"prune", "--ckpt", src, "--levels", "0.5,0.8", "--finetune-epochs", "1", "--epoch-tokens", "300",
		"--quiet", "--stats-bptt", "16", "--threads", "1", "--prune-embedding", "--out", out}
	stdout, stderr, err := run(t, args...)
	if err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "weight sparsity") || !strings.Contains(stdout, "0.80") {
		t.Errorf("prune table:\n%s", stdout)
	}
	rows := readRows(t, out)
	if len(rows) != 3 || rows[0].Level != 0 || rows[1].Level != 0.5 || rows[2].Level != 0.8 {
		t.Fatalf("summary rows %+v", rows)
	}
	for _, r := range rows[1:] {
		if math.Abs(r.WeightSparsity-r.Level) > 0.01 || math.Abs(r.Stats.WeightSparsity-r.Level) > 0.01 {
			t.Errorf("level %v: weight sparsity %v (report %v)", r.Level, r.WeightSparsity, r.Stats.WeightSparsity)
		}
		c, err := train.LoadCheckpoint(filepath.Join(levelDir(out, r.Level), train.DirBest))
		if err != nil {
			t.Fatal(err)
		}
		if err := prune.RequireMasks(&c.Model.Params, r.Level, "level"); err != nil {
			t.Error(err)
		}
		if !(r.Stats.Model.Factors.Effective > r.Stats.Model.Factors.Weight) {
			t.Errorf("level %v: effective factor %v not above the weight factor %v", r.Level, r.Stats.Model.Factors.Effective, r.Stats.Model.Factors.Weight)
		}
	}
	if _, err := os.Stat(filepath.Join(out, filePruneCSV)); err != nil {
		t.Error(err)
	}
	// It fine-tunes as a study's prune job after the same checkpoint does
	// (the checkpoint's schedule, its constant fraction 0.5 included).
	stored, err := readPruneSpec(out)
	if err != nil {
		t.Fatal(err)
	}
	c, err := train.LoadCheckpoint(filepath.Join(src, train.DirBest))
	if err != nil {
		t.Fatal(err)
	}
	spec := study.DefaultSpec("tiny")
	spec.FinetuneEpochs, spec.Threads, spec.EpochTokens = 1, 1, 300
	if want := study.FinetuneOptions(spec, c.Options, c.Options.Seed); !reflect.DeepEqual(stored.FineTune, want) {
		t.Errorf("prune's fine-tuning\n%+v\nthe study's\n%+v", stored.FineTune, want)
	}
	// Without --resume the directory is refused; with it nothing is redone.
	if _, _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("second run without --resume: %v", err)
	}
	if _, stderr, err := run(t, append(args, "--resume")...); err != nil || strings.Contains(stderr, "fine-tuning into") {
		t.Errorf("resume of a finished run: %v\n%s", err, stderr)
	}
	// A resumed run must keep its settings.
	if _, _, err := run(t, append(args[:len(args):len(args)], "--resume", "--lr", "0.5")...); err == nil || !strings.Contains(err.Error(), "--lr: stored") {
		t.Errorf("resume with another --lr: %v", err)
	}
	stdout, stderr, err = run(t, "stats", "--ckpt", levelDir(out, 0.8), "--bptt", "16", "--json")
	if err != nil {
		t.Fatalf("stats: %v\n%s", err, stderr)
	}
	var st struct {
		Stats measure.Report `json:"stats"`
	}
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, stdout)
	}
	if st.Stats.PPL != rows[2].TestPPL || st.Stats.Model.MACs.Effective != rows[2].Stats.Model.MACs.Effective {
		t.Errorf("stats: ppl %v, effective %v; summary %v, %v", st.Stats.PPL, st.Stats.Model.MACs.Effective, rows[2].TestPPL, rows[2].Stats.Model.MACs.Effective)
	}
	stdout, _, err = run(t, "stats", "--ckpt", levelDir(out, 0.8), "--bptt", "16", "--quiet", "--split", "valid")
	if err != nil || !strings.Contains(stdout, "×effective") || !strings.Contains(stdout, "layers.1.R") || !strings.Contains(stdout, "dense LSTM") {
		t.Errorf("stats table: %v\n%s", err, stdout)
	}

	// The study's tables and plots from this sweep (flags after the directory too).
	rep := filepath.Join(t.TempDir(), "report")
	stdout, stderr, err = run(t, "report", out, "--out", rep, "--names", "tiny EGRU")
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "| tiny EGRU | egru | 80% | 80.0% |") || !strings.Contains(stdout, "How the two sparsities compose") {
		t.Errorf("report output:\n%s", stdout)
	}
	for _, f := range []string{"report.md", "report.csv", "report.json", "ppl-vs-macs-layers.png", "ppl-vs-macs-layers.svg",
		"ppl-vs-macs-model.png", "ppl-vs-macs-model.svg"} {
		if fi, err := os.Stat(filepath.Join(rep, f)); err != nil || fi.Size() == 0 {
			t.Errorf("report: %s missing or empty (%v)", f, err)
		}
	}
}

func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "name one or more directories"},
		{[]string{"report", dir}, "no summary.json"},
		{[]string{"report", dir, dir, "--names", "one"}, "1 names for 2 directories"},
		{[]string{"report", "--bogus", dir}, "not defined"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want it to contain %q", c.args, err, c.want)
		}
	}
}

// TestPruneLSTMOneShotAndGradual covers the other schedules and criteria.
func TestPruneLSTMOneShotAndGradual(t *testing.T) {
	src := tinyRun(t, "lstm")
	base := []string{"prune", "--ckpt", src, "--finetune-epochs", "1", "--epoch-tokens", "300", "--quiet", "--stats-bptt", "16", "--threads", "1"}
	out := filepath.Join(t.TempDir(), "oneshot")
	if _, stderr, err := run(t, append(base, "--schedule", "oneshot", "--criterion", "global", "--levels", "0.7,0.3", "--out", out)...); err != nil {
		t.Fatalf("one-shot: %v\n%s", err, stderr)
	}
	rows := readRows(t, out)
	if len(rows) != 3 || math.Abs(rows[1].WeightSparsity-0.7) > 0.01 || math.Abs(rows[2].WeightSparsity-0.3) > 0.01 {
		t.Fatalf("one-shot rows: %+v", rows)
	}
	for _, r := range rows {
		// LSTM: the only saving is from the weights (the first step's zero state aside).
		if f := r.Stats.Recurrent.Factors; math.Abs(f.Effective-f.Weight) > 0.01*f.Weight {
			t.Errorf("LSTM at %v: effective factor %v, weight factor %v", r.Level, f.Effective, f.Weight)
		}
	}
	out = filepath.Join(t.TempDir(), "gradual")
	if _, stderr, err := run(t, append(base, "--schedule", "gradual", "--criterion", "random", "--target", "0.6", "--every", "2",
		"--finetune-epochs", "2", "--out", out)...); err != nil {
		t.Fatalf("gradual: %v\n%s", err, stderr)
	}
	rows = readRows(t, out)
	if len(rows) != 2 || math.Abs(rows[1].WeightSparsity-0.6) > 0.01 {
		t.Fatalf("gradual rows: %+v", rows)
	}
}

func TestPruneAndStatsBadInput(t *testing.T) {
	src := tinyRun(t, "lstm")
	out := filepath.Join(t.TempDir(), "p")
	base := []string{"prune", "--ckpt", src, "--out", out, "--quiet"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"prune"}, "--ckpt is required"},
		{append(base, "--criterion", "largest"), "unknown criterion"},
		{append(base, "--schedule", "weekly"), "unknown schedule"},
		{append(base, "--levels", "0.5,1"), "must be in [0, 1)"},
		{append(base, "--levels", "-0.1"), "must be in [0, 1)"},
		{append(base, "--levels", "0.9,0.5"), "must increase"},
		{append(base, "--levels", "half"), "list of numbers"},
		{append(base, "--schedule", "gradual"), "--target"},
		{append(base, "--schedule", "gradual", "--target", "1.2"), "--target = 1.2 must be in [0, 1)"},
		{append(base, "--schedule", "gradual", "--target", "0.5", "--every", "1000"), "--every 1000 is longer than the"},
		{append(base, "--schedule", "gradual", "--target", "0.5", "--every", "0"), "--every = 0 must be at least 1 step"},
		{append(base, "--target", "0.5"), "--schedule gradual"},
		{append(base, "--finetune-epochs", "0"), "--finetune-epochs"},
		{[]string{"prune", "--ckpt", t.TempDir()}, "not a sparselm checkpoint"},
		{[]string{"stats"}, "--ckpt is required"},
		{[]string{"stats", "--ckpt", src, "--split", "dev"}, "unknown split"},
		{[]string{"stats", "--ckpt", src, "--bptt", "0"}, "bptt"},
		// A sweep written into the checkpoint it starts from broke it (its
		// manifest does not list prune.json); into the training run, mixed
		// the two.
		{[]string{"prune", "--ckpt", src, "--levels", "0.5", "--out", filepath.Join(src, "best")}, "inside the checkpoint"},
		{[]string{"prune", "--ckpt", src, "--levels", "0.5", "--out", filepath.Join(src, "best", "p")}, "inside the checkpoint"},
		{[]string{"prune", "--ckpt", src, "--levels", "0.5", "--out", src}, "holds a training run"},
	}
	for _, c := range cases {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to mention %q", c.args, err, c.want)
		}
		if err != nil && !strings.Contains(c.want, "longer") && strings.Contains(err.Error(), "steps in all") {
			t.Errorf("%v: %v: a hint about step counts where they are not the trouble", c.args, err)
		}
	}
	if _, err := os.Stat(filepath.Join(src, "best", filePruneSpec)); err == nil {
		t.Errorf("a refused prune wrote %s into its checkpoint", filePruneSpec)
	}
	for _, cmd := range []string{"prune", "stats"} {
		stdout, _, err := run(t, cmd, "--help")
		if !IsHelp(err) || !strings.Contains(stdout, "Usage: sparselm "+cmd) {
			t.Errorf("%s --help: %v\n%s", cmd, err, stdout)
		}
	}
}

// TestPruneKillAndResume kills a prune process with SIGKILL while it
// fine-tunes the first level (after its fifth window's step, before that
// step's checkpoint) and resumes it: the summary and each level's training
// (history and final state) must equal an uninterrupted run's bit for bit.
func TestPruneKillAndResume(t *testing.T) {
	src := tinyRun(t, "egru")
	dir := t.TempDir()
	args := func(out string) []string {
		return []string{"prune", "--ckpt", src, "--levels", "0.5,0.7", "--finetune-epochs", "1", "--epoch-tokens", "1500",
			"--quiet", "--stats-bptt", "16", "--threads", "1", "--save-every", "0s", "--out", out}
	}
	ref := filepath.Join(dir, "ref")
	if _, stderr, err := run(t, args(ref)...); err != nil {
		t.Fatalf("reference run: %v\n%s", err, stderr)
	}
	killed := filepath.Join(dir, "killed")
	// 12 windows a level: the first progress line at 40-69 % comes after the fifth.
	killAt(t, `^epoch 1/1 \[.*\] +[4-6]\d% `, append(args(killed), "--quiet=false")...)
	if _, err := os.Stat(filepath.Join(killed, filePruneSummary)); err == nil {
		t.Fatalf("the killed run has a %s", filePruneSummary)
	}
	c, err := train.LoadCheckpoint(filepath.Join(levelDir(killed, 0.5), train.DirLast))
	if err != nil {
		t.Fatalf("the killed run left no resumable checkpoint of level 0.5: %v", err)
	}
	if c.State.Epoch != 0 || c.State.Windows == nil || c.State.Window == 0 {
		t.Fatalf("the killed run's checkpoint is at epoch %d window %d, not in the middle of level 0.5", c.State.Epoch, c.State.Window)
	}
	if _, stderr, err := run(t, append(args(killed), "--resume")...); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	a, b := readRows(t, ref), readRows(t, killed)
	if len(a) != len(b) {
		t.Fatalf("%d rows, uninterrupted %d", len(b), len(a))
	}
	for i := range a {
		a[i].Checkpoint, b[i].Checkpoint = "", "" // the directories differ
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Errorf("level %v: killed and resumed run gives\n  %+v\nuninterrupted\n  %+v", a[i].Level, b[i], a[i])
		}
	}
	for _, level := range []float64{0.5, 0.7} {
		compareTrainRuns(t, fmt.Sprintf("level %v", level), levelDir(ref, level), levelDir(killed, level))
	}
}

// TestPruneLevelZeroIsNotTheStart checks that a fine-tuned level 0 and the
// start it came from are told apart in summary.json, summary.csv and the
// printed table (they once both read "level 0" / "start").
func TestPruneLevelZeroIsNotTheStart(t *testing.T) {
	src := tinyRun(t, "lstm")
	out := filepath.Join(t.TempDir(), "zero")
	stdout, stderr, err := run(t, "prune", "--ckpt", src, "--schedule", "oneshot", "--levels", "0", "--finetune-epochs", "1",
		"--epoch-tokens", "300", "--quiet", "--stats-bptt", "16", "--threads", "1", "--out", out)
	if err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	rows := readRows(t, out)
	if len(rows) != 2 || rows[0].Kind != report.KindStart || rows[1].Kind != report.KindLevel {
		t.Fatalf("summary.json kinds: %+v, want start then level", rows)
	}
	csvText, err := os.ReadFile(filepath.Join(out, filePruneCSV))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(csvText)), "\n"); len(lines) != 3 || lines[1] == lines[2] ||
		!strings.Contains(lines[1], ",start,") || !strings.Contains(lines[2], ",level,") {
		t.Errorf("summary.csv does not tell the start from level 0:\n%s", csvText)
	}
	if n := strings.Count(stdout, "start"); n != 1 || !strings.Contains(stdout, "0.00") {
		t.Errorf("the printed table has %d start rows, want 1 and a 0.00 row:\n%s", n, stdout)
	}
}
