package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sparselm/sparselm/train"
)

// snapshot returns every file under dir with its size and modification
// time, to check that a refused command changed nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		files[path] = fmt.Sprint(fi.ModTime(), fi.Mode(), fi.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameSnapshot(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// cancelAt passes writes on to w and cancels the context once a write
// contains s: the run stops at the step after, as on SIGINT.
type cancelAt struct {
	mu     sync.Mutex
	w      bytes.Buffer
	s      string
	cancel context.CancelFunc
}

func (c *cancelAt) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.Contains(b, []byte(c.s)) {
		c.cancel()
	}
	return c.w.Write(b)
}

// TestTrainResumeTakesStoredOptions interrupts a run whose settings are
// far from any preset's in its second epoch and continues it with
// `train --out DIR --resume` and only flags that may change on resume; it
// must end exactly as the uninterrupted run (issue 10, defect 3).
func TestTrainResumeTakesStoredOptions(t *testing.T) {
	dir := t.TempDir()
	flags := []string{"--save-every", "0s", "--lr", "0.004", "--hidden", "24,16", "--drop-word", "0.1", "--seed", "7"}
	ref := filepath.Join(dir, "ref")
	if _, stderr, err := run(t, tinyTrain("egru", ref, flags...)...); err != nil {
		t.Fatalf("reference run: %v\n%s", err, stderr)
	}
	stopped := filepath.Join(dir, "stopped")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelAt{s: "epoch 2/2", cancel: cancel}
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: stderr, Getenv: func(string) string { return "" }}
	err := Run(ctx, env, append(tinyTrain("egru", stopped, flags...), "--quiet=false"))
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("the run was not interrupted: %v\n%s", err, stderr.w.String())
	}
	c, err := train.LoadCheckpoint(filepath.Join(stopped, train.DirLast))
	if err != nil || c.State.Epoch != 1 || c.State.Window == 0 {
		t.Fatalf("no checkpoint in the middle of epoch 2: %v", err)
	}
	// Nothing about the run on the command line: dataset, model, preset,
	// learning rate, widths and seed come from the checkpoint.
	if _, stderr, err := run(t, "train", "--out", stopped, "--resume", "--threads", "2", "--save-every", "1m", "--quiet"); err != nil {
		t.Fatalf("train --out DIR --resume: %v\n%s", err, stderr)
	}
	compareTrainRuns(t, "interrupted and resumed", ref, stopped)
}

// TestTrainResumeConflicts checks that flags given with --resume that
// differ from the stored run are refused, each named, and that the run's
// directory is left as it was (issue 10, defect 3).
func TestTrainResumeConflicts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := run(t, tinyTrain("lstm", out, "--skip-test")...); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	before := snapshot(t, out)
	_, _, err := run(t, "train", "--out", out, "--resume", "--lr", "0.001", "--epochs", "5", "--model", "egru", "--hidden", "32,16", "--threads", "2")
	if err == nil {
		t.Fatal("conflicting flags accepted on resume")
	}
	msg := err.Error()
	for _, want := range []string{"--lr: stored 0.003, given 0.001", "--epochs: stored 2, given 5", "--model: stored lstm, given egru"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "{") || strings.Contains(msg, "--hidden") || strings.Contains(msg, "--threads") {
		t.Errorf("the refusal names more than the differing fields:\n%s", msg)
	}
	if after := snapshot(t, out); !sameSnapshot(before, after) {
		t.Errorf("the refused resume changed %s", out)
	}
	// The flags of the original command line do not conflict (scripts pass them again).
	if _, stderr, err := run(t, append(tinyTrain("lstm", out, "--skip-test"), "--resume")...); err != nil {
		t.Errorf("resume with the run's own flags: %v\n%s", err, stderr)
	}
	empty := filepath.Join(t.TempDir(), "none")
	if _, _, err := run(t, "train", "--out", empty, "--resume"); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
		t.Errorf("--resume of an empty directory: %v", err)
	}
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Errorf("--resume of a missing directory created it")
	}
}

// TestPruneResume checks that `prune --out DIR --resume` takes the run's
// settings from prune.json, accepts other --threads and --save-every, and
// refuses other settings by name without touching the directory (issue 10,
// defect 3).
func TestPruneResume(t *testing.T) {
	src := tinyRun(t, "lstm")
	out := filepath.Join(t.TempDir(), "p")
	base := []string{"prune", "--ckpt", src, "--schedule", "oneshot", "--levels", "0.5", "--epoch-tokens", "300", "--quiet",
		"--stats-bptt", "16", "--threads", "1", "--out", out}
	if _, stderr, err := run(t, base...); err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	_, stderr, err := run(t, "prune", "--out", out, "--resume", "--threads", "2", "--save-every", "1m", "--quiet")
	if err != nil || strings.Contains(stderr, "fine-tuning into") {
		t.Errorf("prune --out DIR --resume --threads 2: %v\n%s", err, stderr)
	}
	if _, stderr, err := run(t, append(base, "--resume")...); err != nil {
		t.Errorf("resume with the run's own flags: %v\n%s", err, stderr)
	}
	before := snapshot(t, out)
	_, _, err = run(t, "prune", "--out", out, "--resume", "--lr", "0.5", "--levels", "0.5,0.7", "--stats-bptt", "16")
	if err == nil {
		t.Fatal("conflicting flags accepted on resume")
	}
	msg := err.Error()
	for _, want := range []string{"--lr: stored 0.00075, given 0.5", "--levels: stored 0.5, given 0.5,0.7"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "{") || strings.Contains(msg, "stats") {
		t.Errorf("the refusal names more than the differing fields:\n%s", msg)
	}
	if after := snapshot(t, out); !sameSnapshot(before, after) {
		t.Errorf("the refused resume changed %s", out)
	}
	// The checkpoint pruned is compared by its directory, however it is named.
	if _, stderr, err := run(t, "prune", "--ckpt", filepath.Join(src, train.DirBest), "--out", out, "--resume", "--quiet"); err != nil {
		t.Errorf("resume naming the run's checkpoint directory: %v\n%s", err, stderr)
	}
	other := levelDir(out, 0.5)
	if _, _, err := run(t, "prune", "--ckpt", other, "--out", out, "--resume"); err == nil || !strings.Contains(err.Error(), "--ckpt: stored ") ||
		!strings.Contains(err.Error(), ", given "+filepath.Join(other, train.DirBest)) {
		t.Errorf("resume with another --ckpt: %v", err)
	}
	if _, _, err := run(t, "prune", "--out", filepath.Join(t.TempDir(), "none"), "--resume"); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
		t.Errorf("--resume of an empty directory: %v", err)
	}
}

// TestPruneResumeGradual checks that the gradual schedule's flags, which the
// run stores in steps, compare equal when given again and differ by name.
func TestPruneResumeGradual(t *testing.T) {
	src := tinyRun(t, "lstm")
	out := filepath.Join(t.TempDir(), "g")
	base := []string{"prune", "--ckpt", src, "--schedule", "gradual", "--target", "0.6", "--every", "2", "--start-frac", "0.1",
		"--end-frac", "0.9", "--finetune-epochs", "2", "--epoch-tokens", "300", "--quiet", "--stats-bptt", "16", "--threads", "1", "--out", out}
	if _, stderr, err := run(t, base...); err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	if _, stderr, err := run(t, append(base, "--resume")...); err != nil {
		t.Errorf("resume with the run's own flags: %v\n%s", err, stderr)
	}
	// Without them the stored steps are kept, not recomputed from the flags' defaults.
	if _, stderr, err := run(t, "prune", "--out", out, "--resume", "--quiet"); err != nil {
		t.Errorf("prune --out DIR --resume: %v\n%s", err, stderr)
	}
	_, _, err := run(t, "prune", "--out", out, "--resume", "--end-frac", "0.5", "--target", "0.7")
	if err == nil || !strings.Contains(err.Error(), "--end-frac") || !strings.Contains(err.Error(), "--target: stored 0.6, given 0.7") {
		t.Errorf("resume with another --end-frac and --target: %v", err)
	}
}
