package report

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/provenance"
)

// TestSummaryRoundTrip: WriteSummary writes summary.json (setup,
// provenance, points) for Read and summary.csv in the columns of
// report.csv.
func TestSummaryRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "egru-pruned")
	setup := Setup{Dataset: "wikitext-2", Preset: "tiny", Criterion: "random", Schedule: "gradual", Source: "/runs/egru/best"}
	pts := []Point{point("egru", 0, 120, 3000, 3, 1, 1000), point("egru", 0.9, 140, 3000, 3, 10, 3000.0/27)}
	pts[0].Kind, pts[1].Kind = KindStart, KindLevel
	if err := WriteSummary(dir, Summary{Setup: setup, Provenance: testProvenance, Points: pts}); err != nil {
		t.Fatal(err)
	}
	s, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Sweep{Name: "egru-pruned", Dir: dir, Cell: "egru", Setup: setup, Provenance: testProvenance, Points: pts}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Read:\n got %+v\nwant %+v", s, want)
	}
	var m map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	json.Unmarshal(b, &m)
	for _, k := range []string{"dataset", "preset", "criterion", "schedule", "source", "provenance", "points"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary.json has no %q", k)
		}
	}
	var csv bytes.Buffer
	WriteCSV(&csv, Rows([]Sweep{want}))
	if b, err := os.ReadFile(filepath.Join(dir, SummaryCSVFile)); err != nil || string(b) != csv.String() {
		t.Errorf("summary.csv:\n%s(%v)\nwant\n%s", b, err, csv.String())
	}
	if err := WriteSummary(dir, Summary{}); err == nil {
		t.Error("WriteSummary without points succeeded")
	}
}

// TestWriteRefusesMixedDatasets: perplexities on different datasets cannot
// share a table or a plot, so Write refuses such sweeps and writes
// nothing. The dataset is the same when the data files are (SHA-256 in the
// provenance), whatever the name, and else when the names are, a directory
// path by its base name.
func TestWriteRefusesMixedDatasets(t *testing.T) {
	sweep := func(name, dataset string, sums ...string) Sweep {
		s := Sweep{Name: name, Cell: "egru", Setup: Setup{Dataset: dataset},
			Points: []Point{point("egru", 0, 120, 3000, 3, 1, 1000), point("egru", 0.9, 140, 3000, 3, 10, 3000.0/27)}}
		if sums != nil {
			s.Provenance = &provenance.Provenance{}
			for _, sum := range sums {
				s.Provenance.Data = append(s.Provenance.Data, provenance.File{SHA256: sum})
			}
		}
		return s
	}
	for _, c := range []struct {
		name   string
		sweeps []Sweep
		err    string
	}{
		{"names differ", []Sweep{sweep("a", "ptb"), sweep("b", "ptb"), sweep("c", "wikitext-2")}, "a on ptb, c on wikitext-2"},
		{"files differ", []Sweep{sweep("a", "ptb", "1", "2"), sweep("b", "ptb", "1", "3")}, "different datasets"},
		{"same files, other names", []Sweep{sweep("a", "ptb", "1", "2"), sweep("b", "/data/penn", "2", "1")}, ""},
		{"path and name", []Sweep{sweep("a", "ptb"), sweep("b", "/data/ptb", "1")}, ""},
		{"unknown", []Sweep{sweep("a", ""), sweep("b", "ptb"), sweep("c", "")}, ""},
	} {
		dir := filepath.Join(t.TempDir(), "report")
		_, err := Write(dir, c.sweeps, nil)
		if c.err == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: err = %v, want one saying %q", c.name, err, c.err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: the refused report created %s", c.name, dir)
		}
	}
}

// TestReportReplacedAtomically writes a report over another: a reader that
// opened the old report.json keeps reading it whole (the new one is
// installed by a rename), and no temporary file is left.
func TestReportReplacedAtomically(t *testing.T) {
	root := t.TempDir()
	sweeps := studySweeps(t, root)
	out := filepath.Join(root, "out")
	if _, err := Write(out, sweeps, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "report.json")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := Write(out, sweeps[:1], testProvenance); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(reader); err != nil || !bytes.Equal(b, old) {
		t.Errorf("a reader of the old report.json read %d bytes (%v), not the old file's %d", len(b), err, len(old))
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// The second report's sweep is not timed: the first's speed figure is gone.
	want := []string{"report.csv", "report.json", "report.md"}
	for _, pl := range Plots {
		want = append(want, pl.File+".png", pl.File+".svg")
	}
	sort.Strings(want)
	if !reflect.DeepEqual(names, want) {
		t.Errorf("report directory holds %v, want %v", names, want)
	}
}
