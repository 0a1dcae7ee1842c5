package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/train"
)

// TestCancelledContextStopsPasses runs eval, stats and prune with a context
// cancelled before they start: each must stop in its first evaluation or
// accounting window with an error that wraps the cancellation, and prune
// must write no accounting of the start checkpoint (a later --resume
// measures it again). Before the fix all three ran their passes to the end.
func TestCancelledContextStopsPasses(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run")
	if _, stderr, err := run(t, tinyTrain("egru", ckpt, "--skip-test")...); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	prunedOut := filepath.Join(dir, "pruned")
	for _, args := range [][]string{
		{"eval", "--ckpt", ckpt, "--quiet"},
		{"stats", "--ckpt", ckpt, "--quiet"},
		{"prune", "--ckpt", ckpt, "--levels", "0.5", "--threads", "1", "--quiet", "--out", prunedOut},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr bytes.Buffer
		err := Run(ctx, &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}, args)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped after 0 of") {
			t.Errorf("%s with a cancelled context: %v, want a stop in the first window that wraps context.Canceled\n%s", args[0], err, stderr.String())
		}
	}
	filepath.WalkDir(prunedOut, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, "stats.json") {
			t.Errorf("the interrupted prune wrote %s", path)
		}
		return nil
	})
}

// TestRunHints checks that the library's run errors reach the user with the
// command to type next: the library names no flags, the CLI adds them.
func TestRunHints(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := run(t, tinyTrain("lstm", out, "--skip-test", "--epochs", "1")...); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	_, again, err := run(t, tinyTrain("lstm", out, "--skip-test", "--epochs", "1")...)
	if !errors.Is(err, train.ErrRunExists) || !strings.Contains(err.Error(), "pass --resume") {
		t.Errorf("a second train into %s: %v, want ErrRunExists with a hint to --resume", out, err)
	}
	if again != "" {
		// Refused before the corpus is read: no header line for a run
		// that does not start.
		t.Errorf("a second train into %s printed before refusing:\n%s", out, again)
	}
	// A finished run whose last/ was deleted (to save space) is still a
	// run: a fresh train would overwrite its best/ and result.json.
	if err := os.RemoveAll(filepath.Join(out, train.DirLast)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, tinyTrain("lstm", out, "--skip-test", "--epochs", "1")...); !errors.Is(err, train.ErrRunExists) {
		t.Errorf("train into a finished run without last/: %v, want ErrRunExists", err)
	}
	// Nor is a pruning sweep's or a study's directory a place to train, nor a file.
	for _, f := range []string{"prune.json", "study.json"} {
		d := filepath.Join(t.TempDir(), "d")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := run(t, tinyTrain("lstm", d, "--epochs", "1")...); err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("train into a directory holding %s: %v, want a refusal naming it", f, err)
		}
	}
	file := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, tinyTrain("lstm", file, "--epochs", "1")...); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("train --out FILE: %v, want a refusal", err)
	}

	fresh := filepath.Join(t.TempDir(), "fresh")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err = Run(ctx, &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}, tinyTrain("lstm", fresh))
	want := "continue it with `sparselm train --out " + fresh + " --resume`"
	if !errors.Is(err, train.ErrInterrupted) || !strings.Contains(err.Error(), want) {
		t.Errorf("an interrupted train: %v, want ErrInterrupted and %q", err, want)
	}
}
