package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
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
