package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestScoreFlagsAfterFile: `sparselm score my.txt --ckpt DIR` scores the
// file as `sparselm score --ckpt DIR my.txt` does; more than one file is
// refused with the arguments named.
func TestScoreFlagsAfterFile(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	file := filepath.Join(tinyData, "valid.txt")
	before, _, err := run(t, "score", "--ckpt", ckpt, "--json", file)
	if err != nil {
		t.Fatalf("score --ckpt --json FILE: %v", err)
	}
	after, _, err := run(t, "score", file, "--ckpt", ckpt, "--json")
	if err != nil {
		t.Fatalf("score FILE --ckpt --json: %v", err)
	}
	if before != after {
		t.Errorf("score FILE --ckpt differs from score --ckpt FILE:\n%s\n%s", after, before)
	}
	_, _, err = run(t, "score", file, "--ckpt", ckpt, "other.txt")
	if want := "score: want one text file (or - for standard input), got 2: " + file + " other.txt"; err == nil || err.Error() != want {
		t.Errorf("score with two files: %v, want %q", err, want)
	}
	if _, _, err = run(t, "score", "--ckpt", ckpt); err == nil || strings.Contains(err.Error(), "got") {
		t.Errorf("score without a file: %v, want an error without a count", err)
	}
}
