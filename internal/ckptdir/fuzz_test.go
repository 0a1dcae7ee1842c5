package ckptdir

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzManifest: the manifest parser never panics on any MANIFEST.json, and
// its errors say what is wrong (ErrCorrupt, ErrNotCheckpoint or the
// version). A manifest it accepts lists only valid names, sizes that are
// not negative and well-formed SHA-256 sums; written again as Write writes
// it, it parses to the same manifest; and Read of a directory holding only
// that manifest fails, naming a missing file as ErrCorrupt, unless the
// manifest lists no file. Seeds are in testdata/fuzz/FuzzManifest.
func FuzzManifest(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotCheckpoint) && !strings.Contains(err.Error(), "version") {
				t.Fatalf("error %q says neither corrupt, not a checkpoint nor version", err)
			}
			return
		}
		if m.Format != Format || m.Version != Version || m.Files == nil {
			t.Fatalf("accepted a manifest of format %q, version %d, files %v", m.Format, m.Version, m.Files)
		}
		for name, e := range m.Files {
			if ValidName(name) != nil || e.Size < 0 || len(e.SHA256) != 64 {
				t.Fatalf("accepted file %q %+v", name, e)
			}
			if _, err := hex.DecodeString(e.SHA256); err != nil || strings.ToLower(e.SHA256) != e.SHA256 {
				t.Fatalf("accepted sha256 %q", e.SHA256)
			}
		}
		again, err := json.MarshalIndent(m, "", "  ") // as writeTemp writes it
		if err != nil {
			t.Fatal(err)
		}
		m2, err := parseManifest(append(again, '\n'))
		if err != nil || !reflect.DeepEqual(m2, m) {
			t.Fatalf("manifest %s, written again, parses as %+v, %v; want %+v", b, m2, err, m)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ManifestName), b, 0o644); err != nil {
			t.Fatal(err)
		}
		files, err := Read(dir)
		switch {
		case len(m.Files) == 0 && (err != nil || len(files) != 0):
			t.Fatalf("Read of an empty checkpoint: %v, %v", files, err)
		case len(m.Files) > 0 && !errors.Is(err, ErrCorrupt):
			t.Fatalf("Read of a checkpoint without its files: %v, want ErrCorrupt", err)
		}
	})
}
