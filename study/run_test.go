package study

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/train"
)

// TestWaitDeps checks --wait's verdicts on a dependency: done lets the job
// run, failed and killed (running, heartbeat stale) are errors naming it,
// and a live running one is waited for until the context ends.
func TestWaitDeps(t *testing.T) {
	s := DefaultSpec("tiny")
	jobs := Plan(s)
	j := jobs[len(s.Models)] // the first prune job, after train job 0
	env := &Env{Poll: time.Millisecond, Heartbeat: time.Second}
	now := time.Now().UTC()
	for _, c := range []struct {
		dep  State
		want string // "" = no error
	}{
		{State{Status: Done}, ""},
		{State{Status: Failed, Error: "boom"}, "which failed: boom"},
		{State{Status: Running, Host: "n1", PID: 7, Updated: now.Add(-time.Hour)}, "killed; run it again"},
		{State{Status: Running, Updated: now}, "context deadline exceeded"},
		{State{Status: Pending}, "context deadline exceeded"},
	} {
		dir := t.TempDir()
		c.dep.Job = j.Deps[0]
		if c.dep.Status != Pending {
			if err := writeState(dir, c.dep); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		err := depsDone(ctx, dir, j, true, env)
		cancel()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("dependency %s: err = %v, want %q", c.dep.Status, err, c.want)
		}
	}
	// Without --wait a dependency not done is an error at once.
	if err := depsDone(context.Background(), t.TempDir(), j, false, env); err == nil || !strings.Contains(err.Error(), "pass --wait") {
		t.Errorf("without wait: %v", err)
	}
}

// TestProgress reads how many epochs a running job's log records.
func TestProgress(t *testing.T) {
	s := DefaultSpec("tiny")
	j := Plan(s)[0] // train lstm seed 1: the tiny preset's 2 epochs
	dir := t.TempDir()
	if got := Progress(dir, s, j); got != "" {
		t.Errorf("no log: %q", got)
	}
	log := filepath.Join(dir, j.Dir, "log.jsonl")
	os.MkdirAll(filepath.Dir(log), 0o755)
	os.WriteFile(log, []byte(`{"event":"session"}`+"\n"+`{"epoch":1,"event":"epoch","train_loss":6}`+"\n"), 0o644)
	if got := Progress(dir, s, j); got != "epoch 1 of 2 done" {
		t.Errorf("after one epoch: %q", got)
	}
	// The job's output, with the bar's lines as train.Progress writes them
	// to a file, and other lines after the last one.
	os.MkdirAll(filepath.Dir(LogPath(dir, j.ID)), 0o755)
	f, err := os.Create(LogPath(dir, j.ID))
	if err != nil {
		t.Fatal(err)
	}
	bar := train.NewProgress(f, "epoch 2/2", 100)
	bar.Add(30, "ppl 200.1")
	bar.Add(40, "ppl 180.2")
	fmt.Fprintln(f, "sparselm: a line that is not a bar")
	f.Close()
	got := Progress(dir, s, j)
	if !strings.HasPrefix(got, "epoch 1 of 2 done; epoch 2/2 at 70%, ETA ") || !regexp.MustCompile(` at \d\d:\d\d$`).MatchString(got) {
		t.Errorf("with the job's output: %q", got)
	}
}

// TestReportPartial: the report job of a study whose sweeps are not all
// done reports the complete ones and names the others, in report.md and
// missing.txt; with none complete it fails.
func TestReportPartial(t *testing.T) {
	s := DefaultSpec("tiny")
	dir := t.TempDir()
	err := reportJob(dir, s, Plan(s), &Env{})
	if err == nil || !strings.Contains(err.Error(), "no sweep is complete") {
		t.Fatalf("report of an empty study: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, DirReport, "missing.txt"))
	if !strings.Contains(string(b), "runs/lstm-seed1") || !strings.Contains(string(b), "runs/egru-seed1") {
		t.Errorf("missing.txt does not name both sweeps:\n%s", b)
	}
}

// TestRemaining checks the estimate of the work left: a running job at its
// own pace per epoch, a pending one at the mean of its kind's finished
// jobs (their logs' wall time), a complete run copied in at zero, and the
// rest at Estimate's rates; a running job's current epoch counts as far as
// its progress bar shows, whichever figure it starts from.
func TestRemaining(t *testing.T) {
	s := DefaultSpec("tiny")
	s.Seeds = []uint64{1, 2, 3}
	jobs := Plan(s) // 0..2: train lstm seeds 1..3; 3..5: train egru seeds 1..3; then prune, bench, report
	dir := t.TempDir()
	writeLog := func(j Job, lines ...string) {
		p := filepath.Join(dir, j.Dir, "log.jsonl")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	epoch := func(e int, wall float64) string {
		return fmt.Sprintf(`{"epoch":%d,"event":"epoch","wall_s":%g}`, e, wall)
	}
	// writeBar writes job id's output: a progress bar label at percent.
	writeBar := func(id int, label string, percent int64) {
		os.MkdirAll(filepath.Dir(LogPath(dir, id)), 0o755)
		f, err := os.Create(LogPath(dir, id))
		if err != nil {
			t.Fatal(err)
		}
		train.NewProgress(f, label, 100).Add(percent)
		f.Close()
	}
	// train lstm seeds 1 and 2: done, 2 epochs in 100 s (two sessions:
	// wall_s is cumulative) and in 80 s.
	writeState(dir, State{Job: 0, Status: Done})
	writeLog(jobs[0], `{"event":"session"}`, epoch(1, 60), `{"event":"session"}`, epoch(2, 100))
	writeState(dir, State{Job: 1, Status: Done})
	writeLog(jobs[1], epoch(1, 40), epoch(2, 80))
	// train egru seed 1: running, 1 of 2 epochs in 30 s, its bar half-way
	// through epoch 2 → 15 s left.
	writeState(dir, State{Job: 3, Status: Running})
	writeLog(jobs[3], epoch(1, 30))
	writeBar(3, "epoch 2/2", 50)
	// train egru seed 2: pending, but its run was copied in complete → 0 left.
	writeLog(jobs[4], epoch(1, 40), epoch(2, 80))
	// train lstm seed 3: running, no epoch done, its bar half-way through
	// epoch 1 of 2 → three quarters of its kind's mean (90 s) left.
	writeState(dir, State{Job: 2, Status: Running})
	writeBar(2, "epoch 1/2", 50)
	// train egru seed 3: running, no epoch done, its bar at 60% of epoch 1
	// of 2, no egru run finished → 70% of Estimate's time left.
	writeState(dir, State{Job: 5, Status: Running})
	writeBar(5, "epoch 1/2", 60)
	left, measured, pending, err := Remaining(dir, s, DataSize{})
	if err != nil {
		t.Fatal(err)
	}
	// lstm seed 3 at the mean of seeds 1 and 2, egru seed 1's last epoch,
	// egru seed 3 and the rest at the rates (no egru run has finished).
	want := 90*time.Second*3/4 + 15*time.Second + time.Duration(0.7*float64(Estimate(s, jobs[5], DataSize{})))
	for _, j := range jobs[6:] {
		want += Estimate(s, j, DataSize{})
	}
	if left != want || measured != 3 || pending != len(jobs)-2 {
		t.Errorf("Remaining = %v, %d measured, %d pending; want %v, 3, %d", left, measured, pending, want, len(jobs)-2)
	}
}

// TestInterrupted: a job stopped by a cancelled context (Ctrl-C, SIGTERM)
// is recorded as interrupted, not failed, and a job that depends on it
// says so by name.
func TestInterrupted(t *testing.T) {
	s := DefaultSpec("tiny")
	var err error
	if s.Dataset, err = filepath.Abs(filepath.Join("..", "testdata", "data", "tiny")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if s, err = Open(dir, s); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, dir, s, 0, false, &Env{}); err == nil {
		t.Fatal("job 0 ran to the end under a cancelled context")
	}
	st, err := ReadState(dir, 0)
	if err != nil || st.Status != Interrupted || st.Error == "" {
		t.Errorf("state after the interruption: %+v, %v; want interrupted, with the error", st, err)
	}
	j := Plan(s)[len(s.Models)] // the first prune job, after job 0
	if err := depsDone(context.Background(), dir, j, true, &Env{Poll: time.Millisecond}); err == nil || !strings.Contains(err.Error(), "depends on job 0, which was interrupted") {
		t.Errorf("a dependent of the interrupted job: %v", err)
	}
}
