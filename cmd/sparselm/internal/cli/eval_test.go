package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckpointErrors: every command that takes --ckpt says a directory
// that is not a checkpoint the same way: the command first, then the
// checkpoint's error, then what --ckpt takes.
func TestCheckpointErrors(t *testing.T) {
	notModel := t.TempDir()
	file := filepath.Join(tinyData, "valid.txt")
	const hint = "(--ckpt takes a checkpoint or run directory written by sparselm train or prune)"
	for _, args := range [][]string{
		{"eval", "--ckpt", notModel},
		{"eval", "--ckpt", notModel, "--file", file},
		{"stats", "--ckpt", notModel},
		{"score", "--ckpt", notModel, file},
		{"generate", "--ckpt", notModel},
		{"bench", "infer", "--ckpt", notModel},
	} {
		_, _, err := run(t, args...)
		cmd := args[0]
		if cmd == "bench" {
			cmd = "bench infer"
		}
		if err == nil || !strings.HasPrefix(err.Error(), cmd+": ") || !strings.Contains(err.Error(), "is not a sparselm checkpoint") ||
			!strings.HasSuffix(err.Error(), hint) {
			t.Errorf("%q: %v, want %q, the checkpoint's error and %q", args, err, cmd+": ", hint)
		}
	}
}

// TestEvalMessages: eval's warning and its --file errors begin with the
// command, as score's do.
func TestEvalMessages(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	unknown := filepath.Join(t.TempDir(), "unknown.txt")
	if err := os.WriteFile(unknown, []byte("zebra yak the\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := run(t, "eval", "--ckpt", ckpt, "--file", unknown, "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stderr, "sparselm eval: warning: ") {
		t.Errorf("eval's warning %q does not begin with \"sparselm eval: warning: \"", stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.txt")
	if _, _, err := run(t, "eval", "--ckpt", ckpt, "--file", missing); err == nil || !strings.HasPrefix(err.Error(), "eval: --file: ") {
		t.Errorf("eval --file %s: %v, want an error beginning with \"eval: --file: \"", missing, err)
	}
	// --file with --split or --data: one of them would be ignored.
	for _, flag := range []string{"--split", "--data"} {
		if _, _, err := run(t, "eval", "--ckpt", ckpt, "--file", unknown, flag, "valid"); err == nil || !strings.Contains(err.Error(), "drop "+flag) {
			t.Errorf("eval --file with %s: %v, want a refusal", flag, err)
		}
	}
}
