package ckptdir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func sample() map[string][]byte {
	return map[string][]byte{
		"model.safetensors": []byte("pretend tensors \x00\x01\x02"),
		"optim.safetensors": []byte("adam state"),
		"config.json":       []byte(`{"hidden": 64}`),
		"empty":             {},
	}
}

func mustWrite(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := Write(dir, files); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func mustRead(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	got, err := Read(dir)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return got
}

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestRoundTrip(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "runs", "ckpt") // parent created by Write
	if Exists(dir) {
		t.Fatal("Exists before Write")
	}
	mustWrite(t, dir, sample())
	if !Exists(dir) {
		t.Fatal("!Exists after Write")
	}
	if got := mustRead(t, dir); !reflect.DeepEqual(got, sample()) {
		t.Errorf("Read = %q, want %q", got, sample())
	}

	// The manifest has the documented shape.
	var m struct {
		Format  string
		Version int
		Files   map[string]struct {
			Size   int64
			SHA256 string
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Format != "sparselm-checkpoint" || m.Version != 1 || len(m.Files) != 4 ||
		m.Files["optim.safetensors"].Size != 10 ||
		m.Files["empty"].SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("manifest = %s", b)
	}

	// Replacing leaves exactly the new checkpoint and no siblings behind,
	// as soon as Write returns (listed before Read, whose Recover would
	// clean up what Write left).
	next := map[string][]byte{"model.safetensors": []byte("v2")}
	mustWrite(t, dir, next)
	if got := listDir(t, filepath.Dir(dir)); !reflect.DeepEqual(got, []string{"ckpt"}) {
		t.Errorf("after replacing, parent holds %v, want only ckpt", got)
	}
	if got := listDir(t, dir); !reflect.DeepEqual(got, []string{ManifestName, "model.safetensors"}) {
		t.Errorf("checkpoint holds %v", got)
	}
	if got := mustRead(t, dir); !reflect.DeepEqual(got, next) {
		t.Errorf("Read after replace = %q", got)
	}

	// An empty checkpoint is fine too.
	mustWrite(t, dir, nil)
	if got := mustRead(t, dir); len(got) != 0 {
		t.Errorf("Read of empty checkpoint = %q", got)
	}
}

func TestTamperEachFile(t *testing.T) {
	for name, data := range sample() {
		if len(data) == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ckpt")
			mustWrite(t, dir, sample())
			path := filepath.Join(dir, name)
			b, _ := os.ReadFile(path)
			b[len(b)/2] ^= 0x01
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(dir)
			if err == nil {
				t.Fatal("tampered checkpoint read without error")
			}
			for _, want := range []string{`"` + name + `"`, "SHA-256", "truncated or was modified"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("error does not wrap ErrCorrupt")
			}
		})
	}
}

func TestTruncatedFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	mustWrite(t, dir, sample())
	if err := os.Truncate(filepath.Join(dir, "model.safetensors"), 3); err != nil {
		t.Fatal(err)
	}
	_, err := Read(dir)
	if err == nil || !errors.Is(err, ErrCorrupt) ||
		!strings.Contains(err.Error(), `file "model.safetensors" is 3 bytes, but MANIFEST.json says 19`) {
		t.Errorf("err = %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	mustWrite(t, dir, sample())
	if err := os.Remove(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	_, err := Read(dir)
	if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `file "config.json" listed in MANIFEST.json is missing`) {
		t.Errorf("err = %v", err)
	}
}

func TestExtraFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	mustWrite(t, dir, sample())

	// Hidden files are ignored.
	if err := os.WriteFile(filepath.Join(dir, ".DS_Store"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, dir); !reflect.DeepEqual(got, sample()) {
		t.Errorf("Read = %q", got)
	}

	// Anything else the manifest does not list is an error.
	if err := os.WriteFile(filepath.Join(dir, "stray.bin"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(dir)
	if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `unexpected file "stray.bin" is not listed`) {
		t.Errorf("extra file: err = %v", err)
	}
	os.Remove(filepath.Join(dir, "stray.bin"))
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `unexpected file "subdir"`) {
		t.Errorf("extra directory: err = %v", err)
	}
}

func TestNotACheckpoint(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "plain")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(dir)
	if err == nil || !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), "is not a sparselm checkpoint: it has no MANIFEST.json") {
		t.Errorf("no manifest: err = %v", err)
	}
	if Exists(dir) {
		t.Error("Exists without a manifest")
	}

	// Write refuses to clobber it.
	err = Write(dir, sample())
	if err == nil || !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), "refusing to replace "+dir) {
		t.Errorf("Write over a plain directory: err = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Error("Write damaged a non-checkpoint directory")
	}

	// ... and a regular file or a symlink.
	file := filepath.Join(root, "file")
	os.WriteFile(file, nil, 0o644)
	if err := Write(file, sample()); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Write over a file: err = %v", err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(dir, link); err == nil {
		if err := Write(link, sample()); err == nil || !strings.Contains(err.Error(), "symlink") {
			t.Errorf("Write over a symlink: err = %v", err)
		}
	}

	// An empty directory may be replaced.
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	mustWrite(t, empty, sample())

	// A missing directory.
	_, err = Read(filepath.Join(root, "nope"))
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing dir: err = %v", err)
	}

	// A manifest of some other format.
	mustWrite(t, dir+"2", sample())
	os.WriteFile(filepath.Join(dir+"2", ManifestName), []byte(`{"format":"other","version":1,"files":{}}`), 0o644)
	if _, err := Read(dir + "2"); err == nil || !errors.Is(err, ErrNotCheckpoint) {
		t.Errorf("foreign manifest: err = %v", err)
	}
}

func TestBadManifest(t *testing.T) {
	const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	entry := func(name, size, sha string) string {
		return `{"format":"sparselm-checkpoint","version":1,"files":{"` + name + `":{"size":` + size + `,"sha256":"` + sha + `"}}}`
	}
	// Each case names the fault its error must report. Every fault but the
	// version is ErrCorrupt: a newer version is not damage, and its message
	// says which version this program reads instead.
	cases := []struct {
		name, manifest string
		corrupt        bool
		fragment       string
	}{
		{"not json", `{"format":`, true, "MANIFEST.json: invalid JSON"},
		{"trailing", `{"format":"sparselm-checkpoint","version":1,"files":{}} x`, true, "MANIFEST.json: trailing data after the manifest"},
		{"unknown field", `{"format":"sparselm-checkpoint","version":1,"files":{},"extra":1}`, true, `unknown field "extra"`},
		{"version 2", `{"format":"sparselm-checkpoint","version":2,"files":{}}`, false, "unsupported checkpoint version 2 (this program reads version 1)"},
		{"no files", `{"format":"sparselm-checkpoint","version":1}`, true, `MANIFEST.json: no "files" entry`},
		{"path in name", entry("../x", "0", emptySHA), true, `invalid file name "../x"`},
		{"negative size", entry("x", "-1", emptySHA), true, `file "x" has negative size -1`},
		{"short sha", entry("x", "0", "e3b0"), true, `file "x" has malformed sha256 "e3b0"`},
		{"uppercase sha", entry("x", "0", strings.ToUpper(emptySHA)), true, `file "x" has malformed sha256 "E3B0`},
		{"non-hex sha", entry("x", "0", strings.Repeat("g", 64)), true, `file "x" has malformed sha256 "gggg`},
		{"manifest listed", entry("MANIFEST.json", "0", emptySHA), true, `file name "MANIFEST.json" is reserved for the manifest`},
		{"truncated (size)", entry("x", "1", emptySHA), true, `file "x" is 0 bytes, but MANIFEST.json says 1`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ckpt")
			mustWrite(t, dir, map[string][]byte{"x": {}})
			if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(tc.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(dir)
			if err == nil {
				t.Fatal("read without error")
			}
			if !strings.Contains(err.Error(), tc.fragment) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name %s and the fault %q", err, dir, tc.fragment)
			}
			if errors.Is(err, ErrCorrupt) != tc.corrupt {
				t.Errorf("errors.Is(err, ErrCorrupt) = %v, want %v (err %q)", !tc.corrupt, tc.corrupt, err)
			}
			if errors.Is(err, ErrNotCheckpoint) {
				t.Errorf("error %q wraps ErrNotCheckpoint, but the manifest is a sparselm one", err)
			}
		})
	}
}

func TestInvalidNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	for _, tc := range []struct{ name, fragment string }{
		{"", "empty file name"},
		{".", `invalid file name "."`},
		{"..", `invalid file name ".."`},
		{"a/b", `invalid file name "a/b": must be a plain name without path separators`},
		{"../escape", `invalid file name "../escape": must be a plain name`},
		{"/abs", `invalid file name "/abs": must be a plain name`},
		{`a\b`, `invalid file name "a\\b": must be a plain name`},
		{"nul\x00", `invalid file name "nul\x00": must be a plain name`},
		{ManifestName, `file name "MANIFEST.json" is reserved for the manifest`},
	} {
		err := Write(dir, map[string][]byte{tc.name: []byte("x"), "ok": []byte("y")})
		if err == nil || !strings.Contains(err.Error(), tc.fragment) {
			t.Errorf("Write with file name %q: err = %v, want one containing %q", tc.name, err, tc.fragment)
		}
		if got := ValidName(tc.name); got == nil || got.Error() != err.Error() {
			t.Errorf("ValidName(%q) = %v, want the error Write gave", tc.name, got)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a rejected Write created %s", dir)
	}
	if err := Write(dir, map[string][]byte{".hidden": []byte("h"), "a.b-c_d": nil}); err != nil {
		t.Errorf("Write rejected plain names: %v", err)
	}
}

// TestCrashBetweenRenames simulates a crash after the old checkpoint was
// moved aside but before the new one was moved in: dir is missing, the old
// checkpoint is at dir.old-*, the complete new one at dir.tmp-*.
func TestCrashBetweenRenames(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ckpt")
	v1 := sample()
	mustWrite(t, dir, v1)

	tmp, err := writeTemp(dir, map[string][]byte{"model.safetensors": []byte("v2")})
	if err != nil {
		t.Fatal(err)
	}
	old, err := moveAside(dir)
	if err != nil || old == "" {
		t.Fatalf("moveAside = %q, %v", old, err)
	}
	// --- crash here ---
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("dir still exists after moveAside")
	}
	if !Exists(dir) {
		t.Error("Exists is false in the crash window")
	}
	if got := mustRead(t, dir); !reflect.DeepEqual(got, v1) {
		t.Errorf("Read after crash = %q, want the old checkpoint", got)
	}
	if got := listDir(t, root); !reflect.DeepEqual(got, []string{"ckpt"}) {
		t.Errorf("after recovery parent holds %v, want only ckpt (tmp %s and old %s gone)", got, tmp, old)
	}

	// Write also recovers first, then replaces.
	if _, err := writeTemp(dir, map[string][]byte{"junk": nil}); err != nil {
		t.Fatal(err)
	}
	if _, err := moveAside(dir); err != nil {
		t.Fatal(err)
	}
	v3 := map[string][]byte{"model.safetensors": []byte("v3")}
	mustWrite(t, dir, v3)
	if got := listDir(t, root); !reflect.DeepEqual(got, []string{"ckpt"}) {
		t.Errorf("after Write, parent holds %v, want only ckpt", got)
	}
	if got := mustRead(t, dir); !reflect.DeepEqual(got, v3) {
		t.Errorf("Read = %q, want v3", got)
	}
}

// TestCrashWithSeveralBackups: dir is missing and more than one complete
// dir.old-* exists (however that came about: a writer whose rename back
// failed, two writers, a backup copied back by hand). Recover restores the
// newest complete one, judged by its manifest's modification time, never an
// older one and never an incomplete one however new, and then removes every
// other backup, so that a later crash cannot bring an older one back.
func TestCrashWithSeveralBackups(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ckpt")
	staging := t.TempDir() // checkpoints are written here, then moved aside
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	version := func(step string) map[string][]byte {
		return map[string][]byte{"model.safetensors": []byte("weights at step " + step), "step": []byte(step)}
	}
	// The newest complete backup sorts neither first nor last by name, so
	// neither "first listed" nor "last listed" picks it by accident.
	backups := []struct {
		suffix string
		files  map[string][]byte
		age    time.Duration // how long before the newest complete one it was written
		broken bool
	}{
		{"0000000000000001", version("200"), 1 * time.Hour, false},
		{"0000000000000002", version("300"), 0, false}, // the newest complete one
		{"0000000000000003", version("100"), 2 * time.Hour, false},
		{"0000000000000004", version("400"), -1 * time.Hour, true}, // newer, but a file is missing
	}
	for i, b := range backups {
		src := filepath.Join(staging, fmt.Sprint("ckpt", i))
		mustWrite(t, src, b.files)
		if b.broken {
			if err := os.Remove(filepath.Join(src, "step")); err != nil {
				t.Fatal(err)
			}
		}
		when := base.Add(-b.age)
		if err := os.Chtimes(filepath.Join(src, ManifestName), when, when); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(src, dir+".old-"+b.suffix); err != nil {
			t.Fatal(err)
		}
	}
	// A complete temporary directory of a Write that never got to install it.
	if _, err := writeTemp(dir, version("500")); err != nil {
		t.Fatal(err)
	}

	if !Exists(dir) {
		t.Error("Exists is false with complete backups present")
	}
	if err := Recover(dir); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if got := listDir(t, root); !reflect.DeepEqual(got, []string{"ckpt"}) {
		t.Errorf("after Recover parent holds %v, want only ckpt (every other backup and the temp removed)", got)
	}
	if got, want := mustRead(t, dir), version("300"); !reflect.DeepEqual(got, want) {
		t.Errorf("recovered checkpoint = %q, want the newest complete backup %q", got, want)
	}
	// The next Write replaces the recovered checkpoint as usual.
	mustWrite(t, dir, version("600"))
	if got, want := mustRead(t, dir), version("600"); !reflect.DeepEqual(got, want) {
		t.Errorf("after the next Write, Read = %q, want %q", got, want)
	}
}

// TestCrashBeforeFirstRename: the new checkpoint was fully written to a temp
// dir but nothing was renamed. The old checkpoint stays; the temp goes.
func TestCrashBeforeFirstRename(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ckpt")
	mustWrite(t, dir, sample())
	if _, err := writeTemp(dir, map[string][]byte{"x": []byte("new")}); err != nil {
		t.Fatal(err)
	}
	// A half-written temp dir without a manifest, as left by a crash
	// mid-write.
	half := dir + ".tmp-0123456789abcdef"
	os.Mkdir(half, 0o755)
	os.WriteFile(filepath.Join(half, "model.safetensors"), []byte("par"), 0o644)

	if got := mustRead(t, dir); !reflect.DeepEqual(got, sample()) {
		t.Errorf("Read = %q", got)
	}
	if got := listDir(t, root); !reflect.DeepEqual(got, []string{"ckpt"}) {
		t.Errorf("stale temp dirs not cleaned: %v", got)
	}
}

// TestCrashAfterSecondRename: the new checkpoint is in place but removing
// the old one was interrupted.
func TestCrashAfterSecondRename(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ckpt")
	mustWrite(t, dir, sample())
	tmp, err := writeTemp(dir, map[string][]byte{"x": []byte("new")})
	if err != nil {
		t.Fatal(err)
	}
	old, err := moveAside(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(old, "config.json")) // partly removed
	// --- crash here ---
	if got := mustRead(t, dir); !reflect.DeepEqual(got, map[string][]byte{"x": []byte("new")}) {
		t.Errorf("Read = %q, want the new checkpoint", got)
	}
	if got := listDir(t, root); !reflect.DeepEqual(got, []string{"ckpt"}) {
		t.Errorf("stale old dir not cleaned: %v", got)
	}
}

// TestRecoverLeavesUnrelatedSiblings checks that only names of the exact
// temp/old form are touched, and that an incomplete old dir is not restored.
func TestRecoverLeavesUnrelatedSiblings(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ckpt")
	keep := []string{"ckpt.tmp-mine", "ckpt.old-backup", "ckpt.tmp-0123456789ABCDEF", "ckpt2.tmp-0123456789abcdef", "other",
		"ckpt.old-deadbeef", "ckpt.tmp-0123456789abcde", "ckpt.old-0123456789abcdef0"} // 8, 15 and 17 hex digits
	for _, name := range keep {
		os.Mkdir(filepath.Join(root, name), 0o755)
	}
	// An incomplete old checkpoint (manifest present, file missing) while
	// dir is missing: not restored, not deleted.
	mustWrite(t, dir, sample())
	broken := dir + ".old-00000000000000aa"
	if err := os.Rename(dir, broken); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(broken, "config.json"))

	if err := Recover(dir); err != nil {
		t.Fatal(err)
	}
	want := append([]string{filepath.Base(broken)}, keep...)
	sort.Strings(want)
	if got := listDir(t, root); !reflect.DeepEqual(got, want) {
		t.Errorf("after Recover parent holds %v, want %v", got, want)
	}
	if _, err := Read(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read = %v, want not-exist", err)
	}
	// Recover of a dir whose parent does not exist is a no-op.
	if err := Recover(filepath.Join(root, "no", "such")); err != nil {
		t.Errorf("Recover(missing parent) = %v", err)
	}
}
