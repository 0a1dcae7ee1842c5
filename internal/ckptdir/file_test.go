package ckptdir

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriteFileReplacesAtomically replaces a file that a reader holds open:
// the reader keeps reading the old content whole (the new file is another
// inode, installed by a rename), the path holds the new content, and no
// temporary file is left.
func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.json")
	old := []byte(`{"old": "content, long enough to be read in two parts"}` + "\n")
	if err := WriteFile(path, old); err != nil {
		t.Fatal(err)
	}
	reader, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	head := make([]byte, 10)
	if _, err := io.ReadFull(reader, head); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte(`{"new": 1}`)); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(reader)
	if err != nil || string(head)+string(rest) != string(old) {
		t.Errorf("a reader of the old file read %q (%v), want the old file %q", string(head)+string(rest), err, old)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != `{"new": 1}` {
		t.Errorf("the path holds %q (%v), want the new content", b, err)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"summary.json"}) {
		t.Errorf("directory holds %v, want only summary.json", got)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644", st.Mode(), err)
	}
}

// TestWriteFileAfterCrash: killed after writing its temporary file, before
// the rename, a WriteFile leaves the old file at the path; the next
// WriteFile removes the stale temporary file, and nothing else.
func TestWriteFileAfterCrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prune.json")
	if err := WriteFile(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	stale := path + ".tmp-0123456789abcdef"
	unrelated := []string{path + ".tmp-notours", path + ".tmp-0123456789ABCDEF", filepath.Join(dir, "other.json.tmp-0123456789abcdef")}
	for _, p := range append([]string{stale}, unrelated...) {
		if err := os.WriteFile(p, []byte("half a fi"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Fatalf("after the crash the path holds %q (%v), want the old file", b, err)
	}
	if err := WriteFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	want := []string{"other.json.tmp-0123456789abcdef", "prune.json", "prune.json.tmp-0123456789ABCDEF", "prune.json.tmp-notours"}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}

// TestWriteFileErrors: a missing parent directory is an error and creates
// nothing; a path that names a directory is an error and leaves it as it was.
func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "missing", "x.json"), []byte("x")); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(sub, []byte("x")); err == nil {
		t.Error("WriteFile over a directory succeeded")
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"sub"}) {
		t.Errorf("directory holds %v, want only sub", got)
	}
}
