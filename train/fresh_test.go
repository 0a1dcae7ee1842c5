package train

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckFresh: a directory holds a run when it has last/ or the
// result.json of a finished run; best/ alone (a run killed while writing
// its first checkpoints) is not one, and a file is not a directory.
func TestCheckFresh(t *testing.T) {
	dir := t.TempDir()
	if err := CheckFresh(filepath.Join(dir, "new")); err != nil {
		t.Errorf("a new directory: %v", err)
	}
	best := filepath.Join(dir, "killed")
	if err := os.MkdirAll(filepath.Join(best, DirBest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckFresh(best); err != nil {
		t.Errorf("a directory with best/ alone: %v, want none (it starts again)", err)
	}
	done := filepath.Join(dir, "done")
	os.MkdirAll(done, 0o755)
	if err := os.WriteFile(filepath.Join(done, FileResult), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckFresh(done); !errors.Is(err, ErrRunExists) {
		t.Errorf("a finished run without last/: %v, want ErrRunExists", err)
	}
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	if err := CheckFresh(file); err == nil {
		t.Error("a file: accepted as an output directory")
	}
}
