package study

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
