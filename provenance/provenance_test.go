package provenance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

var started = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// TestFromBuild: the build fields come from the binary's build settings,
// and read Unknown where the build recorded none.
func TestFromBuild(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/sparselm/sparselm", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"},
			{Key: "vcs.time", Value: "2026-11-30T12:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	cmd := []string{"sparselm", "train", "--preset", "tiny"}
	p := fromBuild("0.1.0-dev", cmd, started, bi, true)
	want := &Provenance{Version: "0.1.0-dev", ModuleVersion: "(devel)", Revision: "0123abcd", Modified: "true",
		VCSTime: "2026-11-30T12:00:00Z", GoVersion: "go1.26.8", Platform: p.Platform, Command: cmd, Started: started}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("fromBuild:\n got %+v\nwant %+v", p, want)
	}
	cmd[0] = "changed"
	if p.Command[0] != "sparselm" {
		t.Error("the provenance shares the caller's command slice")
	}
	for _, bi := range []*debug.BuildInfo{nil, {Main: debug.Module{Path: "x"}}} {
		p := fromBuild("v", nil, started, bi, bi != nil)
		if p.Revision != Unknown || p.Modified != Unknown || p.VCSTime != Unknown || p.ModuleVersion != Unknown || p.GoVersion == "" {
			t.Errorf("without build settings: %+v, want the build fields %q", p, Unknown)
		}
	}
}

// TestNewUnderGoTest: a test binary has no VCS stamp, so New says Unknown
// instead of leaving the revision empty.
func TestNewUnderGoTest(t *testing.T) {
	p := New("0.1.0-dev", []string{"sparselm", "version"}, started)
	if p.Revision != Unknown || p.Modified != Unknown || p.Version != "0.1.0-dev" || !p.Started.Equal(started) {
		t.Errorf("New: %+v", p)
	}
}

// TestHashFile checks the checksums against the published test vectors of
// SHA-256 and MD5 for "abc" (FIPS 180-2 appendix B.1, RFC 1321 appendix A.5).
func TestHashFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "train.txt")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	var p Provenance
	if err := p.AddData(path); err != nil {
		t.Fatal(err)
	}
	want := []File{{Path: path, Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		MD5: "900150983cd24fb0d6963f7d28e17f72"}}
	if !reflect.DeepEqual(p.Data, want) {
		t.Errorf("AddData: %+v, want %+v", p.Data, want)
	}
	if err := p.AddData(filepath.Join(dir, "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("AddData of a missing file: %v, want an error naming it", err)
	}
	if len(p.Data) != 1 {
		t.Errorf("a failed AddData appended %d files", len(p.Data)-1)
	}
}

// TestJSONNames pins the field names, which the summaries' readers use.
func TestJSONNames(t *testing.T) {
	p := fromBuild("v", []string{"sparselm"}, started, nil, false)
	p.Data = []File{{Path: "/d/train.txt", Size: 1, SHA256: "s", MD5: "m"}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"version", "module_version", "vcs_revision", "vcs_modified", "vcs_time", "go_version", "platform", "command", "started", "data"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	if m["started"] != "2026-12-01T09:30:00Z" {
		t.Errorf("started = %v, want RFC 3339", m["started"])
	}
	var back Provenance
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(&back, p) {
		t.Errorf("round trip: %+v (%v), want %+v", back, err, p)
	}
}
