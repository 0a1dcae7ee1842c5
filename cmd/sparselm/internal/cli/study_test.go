package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/train"
)

// readResult reads a training run's result.json.
func readResult(t *testing.T, run string) train.Result {
	t.Helper()
	var r train.Result
	if err := json.Unmarshal(readFile(t, filepath.Join(run, train.FileResult)), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tinyStudy are the flags of a study of a few seconds on the tiny corpus:
// the EGRU, one seed, two levels, the engines not timed (timings differ
// from run to run, and the test compares reports byte for byte).
func tinyStudy(out string, extra ...string) []string {
	return append([]string{"study", "--preset", "tiny", "--dataset", tinyData, "--models", "egru", "--seeds", "1",
		"--levels", "0.5,0.9", "--epoch-tokens", "800", "--bench=false", "--threads", "1", "--out", out}, extra...)
}

// TestStudyKillAndResume kills a study with SIGKILL at five points (in the
// middle of training, inside the write of the trained model's accounting,
// inside a fine-tuning checkpoint write, inside a level's accounting write,
// inside the report), running it again after each; the final report.csv
// must equal an uninterrupted study's byte for byte.
func TestStudyKillAndResume(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if _, stderr, err := run(t, append(tinyStudy(ref), "--quiet")...); err != nil {
		t.Fatalf("reference study: %v\n%s", err, stderr)
	}
	want, err := os.ReadFile(filepath.Join(ref, study.DirReport, "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(dir, "killed")
	for _, at := range []string{
		`^epoch 2/2 \[.*\] +[4-6]\d% `,                       // training, after a step and before its checkpoint
		`^ckptdir: written .*/start-stats\.json\.tmp-`,       // the trained model's accounting, before its rename
		`^ckptdir: aside .*/level-0\.50/last\n`,              // a fine-tuning checkpoint, the old one moved aside
		`^ckptdir: written .*/level-0\.90/stats\.json\.tmp-`, // a level's accounting
		`^ckptdir: written .*/report/report\.csv\.tmp-`,      // the report
	} {
		killAt(t, at, tinyStudy(killed)...)
	}
	if _, err := os.Stat(filepath.Join(killed, study.DirReport, "report.csv")); err == nil {
		t.Fatal("the study killed inside its first report write has a report.csv")
	}
	if _, stderr, err := run(t, append(tinyStudy(killed), "--quiet")...); err != nil {
		t.Fatalf("the study run again: %v\n%s", err, stderr)
	}
	got, err := os.ReadFile(filepath.Join(killed, study.DirReport, "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report.csv after five kills differs from the uninterrupted study's:\n%s\nwant:\n%s", got, want)
	}
	if n := strings.Count(string(want), "\n"); n != 4 {
		t.Errorf("report.csv has %d lines, want a header and 3 points (start, 0.5, 0.9)", n)
	}
}

// TestStudySpecGuards checks that a study directory keeps its spec: the
// same command again finds every job done, another spec is refused naming
// the field, and --dry-run writes nothing.
func TestStudySpecGuards(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	dry, _, err := run(t, append(tinyStudy(out), "--dry-run")...)
	if err != nil || !strings.Contains(dry, "prune egru seed 1 to 0.9") || !strings.Contains(dry, "4 jobs in 4 stages") {
		t.Fatalf("--dry-run: %v\n%s", err, dry)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("--dry-run created the study directory")
	}
	// --init writes the spec alone, for submit and emit, and runs nothing.
	initOut := filepath.Join(t.TempDir(), "init")
	stdout, _, err := run(t, append(tinyStudy(initOut), "--init")...)
	if err != nil || !strings.Contains(stdout, "spec of 4 jobs") {
		t.Fatalf("--init: %v\n%s", err, stdout)
	}
	if _, err := study.ReadSpec(filepath.Join(initOut, study.SpecFile)); err != nil {
		t.Fatalf("--init wrote no spec: %v", err)
	}
	if entries, _ := os.ReadDir(initOut); len(entries) != 1 {
		t.Errorf("--init wrote more than the spec: %v", entries)
	}
	status, _, err := run(t, "study", "status", "--spec", filepath.Join(initOut, study.SpecFile))
	if err != nil || !strings.Contains(status, "0 done, 0 running, 0 failed, 4 pending") {
		t.Errorf("study status after --init: %v\n%s", err, status)
	}
	if _, _, err := run(t, append(tinyStudy(initOut), "--init", "--dry-run")...); err == nil || !strings.Contains(err.Error(), "give one of them") {
		t.Errorf("--init with --dry-run: %v", err)
	}
	if _, stderr, err := run(t, tinyStudy(out)...); err != nil {
		t.Fatalf("study: %v\n%s", err, stderr)
	}
	_, stderr, err := run(t, tinyStudy(out)...)
	if err != nil || strings.Count(stderr, ": done") != 4 {
		t.Errorf("the study again: %v, want 4 jobs done at once:\n%s", err, stderr)
	}
	// The study's sweep is the one `sparselm prune` makes from its trained
	// model: every level (iterative) fine-tunes with the same options, a
	// quarter of the trained model's learning rate on a cosine, and gets the
	// same test perplexity.
	sweep := filepath.Join(out, study.DirRuns, "egru-seed1")
	pruned := filepath.Join(t.TempDir(), "pruned")
	if _, stderr, err := run(t, "prune", "--ckpt", filepath.Join(sweep, study.DirTrain, train.DirBest), "--levels", "0.5,0.9",
		"--finetune-epochs", "1", "--epoch-tokens", "800", "--threads", "1", "--quiet", "--out", pruned); err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	trained := readResult(t, filepath.Join(sweep, study.DirTrain))
	for _, lv := range []string{"level-0.50", "level-0.90"} {
		got, want := readResult(t, filepath.Join(sweep, lv)), readResult(t, filepath.Join(pruned, lv))
		if o := got.Options; o.Optim.LR != trained.Options.Optim.LR/4 || o.ConstantFrac != 0 {
			t.Errorf("%s: fine-tuning lr %v, constant fraction %v; want %v (the trained model's / 4) and 0", lv, o.Optim.LR, o.ConstantFrac, trained.Options.Optim.LR/4)
		}
		if !reflect.DeepEqual(got.Options, want.Options) {
			t.Errorf("%s: the study fine-tunes with\n%+v\nprune with\n%+v", lv, got.Options, want.Options)
		}
		gs, ws := readFile(t, filepath.Join(sweep, lv, study.FileLevelStats)), readFile(t, filepath.Join(pruned, lv, study.FileLevelStats))
		var g, w struct{ PPL float64 }
		json.Unmarshal(gs, &g)
		json.Unmarshal(ws, &w)
		if g.PPL == 0 || g.PPL != w.PPL {
			t.Errorf("%s: test ppl %v in the study, %v through prune", lv, g.PPL, w.PPL)
		}
	}
	_, _, err = run(t, tinyStudy(out, "--levels", "0.5,0.75")...)
	if err == nil || !strings.Contains(err.Error(), "levels: stored [0.5,0.9]") {
		t.Errorf("another spec in the same directory: %v, want a refusal naming levels", err)
	}
	// --dry-run refuses it too, as the run would.
	_, _, err = run(t, tinyStudy(out, "--levels", "0.5,0.75", "--dry-run")...)
	if err == nil || !strings.Contains(err.Error(), "levels: stored [0.5,0.9]") {
		t.Errorf("--dry-run of another spec in the same directory: %v, want a refusal naming levels", err)
	}
	status, _, err = run(t, "study", "status", "--spec", filepath.Join(out, study.SpecFile))
	if err != nil || !strings.Contains(status, "4 done, 0 running, 0 failed, 0 pending") {
		t.Errorf("study status: %v\n%s", err, status)
	}
	// A job whose state says running but whose process is gone (killed with
	// the machine, say) is shown as lost, not as running.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	lost, _ := json.Marshal(study.State{Job: 3, Status: study.Running, Host: host, PID: gone.Process.Pid, Started: time.Now().UTC(), Updated: time.Now().UTC()})
	if err := os.WriteFile(study.StatePath(out, 3), lost, 0o644); err != nil {
		t.Fatal(err)
	}
	status, _, err = run(t, "study", "status", "--spec", filepath.Join(out, study.SpecFile))
	if err != nil || !strings.Contains(status, "lost") || !strings.Contains(status, "is gone: killed") || !strings.Contains(status, "3 done, 0 running, 0 failed, 0 pending, 1 lost") || !strings.Contains(status, "left: about") || strings.Contains(status, "()") {
		t.Errorf("study status with a killed job: %v\n%s", err, status)
	}
	_, _, err = run(t, "study", "run", "--spec", filepath.Join(out, study.SpecFile), "--job", "9")
	if err == nil || !strings.Contains(err.Error(), "no job 9") {
		t.Errorf("study run --job 9: %v", err)
	}
}

// TestStudyParallel runs the tiny study with two jobs at once, each a child
// process, and checks its report.csv against the study run in one process.
func TestStudyParallel(t *testing.T) {
	t.Setenv("SPARSELM_CLI_MAIN", "1") // the children: this test binary as sparselm (TestMain)
	dir := t.TempDir()
	one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	if _, stderr, err := run(t, tinyStudy(one, "--models", "lstm,egru", "--quiet")...); err != nil {
		t.Fatalf("one job at a time: %v\n%s", err, stderr)
	}
	_, stderr, err := run(t, tinyStudy(two, "--models", "lstm,egru", "--jobs", "2")...)
	if err != nil {
		t.Fatalf("--jobs 2: %v\n%s", err, stderr)
	}
	if n := strings.Count(stderr, ": finished"); n != 7 {
		t.Errorf("--jobs 2 finished %d jobs, want 7:\n%s", n, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(one, study.DirReport, "report.csv"))
	b, err := os.ReadFile(filepath.Join(two, study.DirReport, "report.csv"))
	if err != nil || len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("report.csv of --jobs 2 (%v) differs from one at a time:\n%s\nwant:\n%s", err, b, a)
	}
	if _, err := os.Stat(filepath.Join(two, "logs", "job-0.log")); err != nil {
		t.Errorf("no log of job 0: %v", err)
	}
}

// TestStudyEmitK8s checks the CLI wiring of `study emit --k8s`: one Indexed
// Job per stage from the spec file, the flags reaching the options, and
// the refusals (the YAML itself is package study/k8s's tests').
func TestStudyEmitK8s(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	if _, _, err := run(t, tinyStudy(out)...); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(out, study.SpecFile)
	yaml, _, err := run(t, "study", "emit", "--k8s", "--spec", spec, "--name", "tiny", "--image", "registry.example/sparselm:1", "--memory", "1Gi")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"completionMode: Indexed", "image: registry.example/sparselm:1", "memory: 1Gi", "name: tiny-s1-prune"} {
		if !strings.Contains(yaml, want) {
			t.Errorf("the YAML lacks %q", want)
		}
	}
	if n := strings.Count(yaml, "kind: Job\n"); n != 4 {
		t.Errorf("%d Jobs, want 4 (train, prune 0.5, prune 0.9 after it, report)", n)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"study", "emit", "--spec", spec, "--name", "tiny"}, "--k8s"},
		{[]string{"study", "emit", "--k8s", "--name", "tiny"}, "--spec is required"},
		{[]string{"study", "emit", "--k8s", "--spec", spec, "--name", "Bad Name"}, "not a Kubernetes name"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
}

// TestStudySeeds runs the tiny EGRU study with two seeds: the report
// summarises them as one group (report-seeds.csv, n = 2 at every point)
// and report.csv keeps each seed's rows.
func TestStudySeeds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	if _, stderr, err := run(t, tinyStudy(out, "--seeds", "2", "--quiet")...); err != nil {
		t.Fatalf("study: %v\n%s", err, stderr)
	}
	seeds, err := os.ReadFile(filepath.Join(out, study.DirReport, "report-seeds.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(seeds)), "\n")
	if len(lines) != 4 {
		t.Fatalf("report-seeds.csv has %d lines, want a header and 3 points:\n%s", len(lines), seeds)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "EGRU,egru,") || !strings.Contains(l, ",2,1 2,") {
			t.Errorf("report-seeds.csv row %q: want group EGRU over n = 2 seeds 1 and 2", l)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(out, study.DirReport, "report.csv"))
	if n := strings.Count(string(csv), "\nEGRU seed "); n != 6 {
		t.Errorf("report.csv has %d seed rows, want 2 seeds × 3 points:\n%s", n, csv)
	}
}

// TestStudyBadInput: bad flags and specs are refused with the field named,
// and nothing is written.
func TestStudyBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"dataset": "ptb", "presett": "tiny"}`), 0o644)
	other := filepath.Join(t.TempDir(), "result.json") // another command's JSON
	os.WriteFile(other, []byte(`{"options": {"dataset": "ptb"}, "test_ppl": 100}`), 0o644)
	trailing := filepath.Join(t.TempDir(), "trailing.json")
	os.WriteFile(trailing, []byte(`{"dataset": "ptb", "preset": "tiny"} {"x": 1}`), 0o644)
	manySpec := study.DefaultSpec("tiny")
	manySpec.Seeds = nil
	for i := range study.MaxSeeds + 1 {
		manySpec.Seeds = append(manySpec.Seeds, uint64(i+1))
	}
	many := filepath.Join(t.TempDir(), "many.json")
	os.WriteFile(many, manySpec.Marshal(), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{tinyStudy(out, "--models", "gru"), `models.0 = "gru" must be lstm or egru`},
		{tinyStudy(out, "--seeds", "0"), "--seeds 0"},
		{tinyStudy(out, "--seeds", "1000000000000000000"), "must be between 1 and 1000"}, // not a plan that exhausts memory
		{[]string{"study", "--spec", trailing, "--out", out}, "trailing data"},
		{[]string{"study", "--spec", many, "--out", out}, "seeds are more than 1000"},
		{[]string{"study", "run", "--spec", bad, "--job", "-2"}, "--job -2"},
		{[]string{"study", "status", "--spec", other}, "is not a study spec"},
		{tinyStudy(out, "--levels", "0.9,0.5", "--schedule", "iterative"), "must increase"},
		{tinyStudy(out, "--schedule", "gradual"), "must be oneshot or iterative"},
		{tinyStudy(out, "--preset", "huge"), `preset = "huge"`},
		{tinyStudy(out, "--jobs", "0"), "--jobs 0"},
		{tinyStudy(out, "--dataset", "no-such-dataset"), "sparselm data fetch"},
		{[]string{"study", "--spec", bad, "--out", out}, `unknown field "presett"`},
		{[]string{"study", "run", "--spec", bad}, "--spec and --job are required"},
		{[]string{"study", "frobnicate"}, "unexpected argument"},
		{[]string{"study", "status", "--spec", bad, "extra"}, `study status: unexpected argument "extra"`},
		{[]string{"study", "report", "--spec", bad, "extra"}, `study report: unexpected argument "extra"`},
		{[]string{"study", "run", "--spec", bad, "--job", "0", "extra"}, `study run: unexpected argument "extra"`},
		{[]string{"study", "submit", "--slurm", "--spec", bad, "extra"}, `study submit: unexpected argument "extra"`},
		{[]string{"study", "emit", "--k8s", "--spec", bad, "--name", "x", "extra"}, `study emit: unexpected argument "extra"`},
	} {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused study wrote its directory")
	}
}

// TestStudyPartialReport: `study report` on a study with one sweep not done
// reports the other and names the missing one in report.md.
func TestStudyPartialReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	if _, stderr, err := run(t, tinyStudy(out, "--models", "lstm,egru", "--quiet")...); err != nil {
		t.Fatalf("study: %v\n%s", err, stderr)
	}
	// As if the EGRU's last level had not been measured yet.
	if err := os.Remove(filepath.Join(out, "runs", "egru-seed1", "level-0.90", study.FileLevelStats)); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run(t, "study", "report", "--spec", filepath.Join(out, study.SpecFile)); err != nil {
		t.Fatalf("study report: %v\n%s", err, stderr)
	}
	md, _ := os.ReadFile(filepath.Join(out, study.DirReport, "report.md"))
	csv, _ := os.ReadFile(filepath.Join(out, study.DirReport, "report.csv"))
	if !strings.Contains(string(md), "## Not in this report yet") || !strings.Contains(string(md), "runs/egru-seed1") {
		t.Errorf("report.md does not name the missing sweep:\n%s", md)
	}
	if strings.Contains(string(csv), "EGRU") || !strings.Contains(string(csv), "LSTM seed 1") {
		t.Errorf("report.csv should hold the LSTM only:\n%s", csv)
	}
}
