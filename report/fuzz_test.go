package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// FuzzRead: Read never panics on a sweep directory whose summary.json (and,
// for a summary in the older list form, the prune.json beside it) holds any
// bytes; its errors name the file. A sweep it accepts has points with
// accounting, a positive test perplexity and a kind, all of one cell; the
// sweep written again as WriteSummary writes it reads back equal; and its
// tables and figures are made without error or panic. Seeds are in
// testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "sweep") // one directory for all inputs (the execs of a process run one at a time)
	if err := os.Mkdir(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, summary, pruneJSON []byte) {
		write := func(name string, b []byte) {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(SummaryFile, summary)
		write("prune.json", pruneJSON)
		s, err := Read(dir)
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("error %q does not name the sweep", err)
			}
			return
		}
		if len(s.Points) == 0 {
			t.Fatal("accepted a sweep without points")
		}
		for i, p := range s.Points {
			if p.Stats == nil || !(p.Stats.Recurrent.MACs.Effective > 0) || !(p.TestPPL > 0) ||
				p.Kind != KindStart && p.Kind != KindLevel || p.Stats.Cell != s.Cell {
				t.Fatalf("accepted point %d: %+v (sweep of cell %q)", i, p, s.Cell)
			}
		}
		again, err := json.MarshalIndent(Summary{Setup: s.Setup, Provenance: s.Provenance, Points: s.Points}, "", "  ")
		if err != nil {
			t.Fatalf("an accepted sweep does not marshal: %v", err)
		}
		write(SummaryFile, append(again, '\n'))
		s2, err := Read(dir)
		if err != nil || !reflect.DeepEqual(s2, s) {
			t.Fatalf("the sweep of %s, written again, reads back as %+v, %v; want %+v", summary, s2, err, s)
		}
		sweeps := []Sweep{s}
		if err := WriteCSV(&bytes.Buffer{}, Rows(sweeps)); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		if err := WriteMarkdown(&bytes.Buffer{}, sweeps); err != nil {
			t.Fatalf("WriteMarkdown: %v", err)
		}
		for _, spec := range Plots {
			fig, err := NewFigure(spec, sweeps)
			if err != nil {
				continue // a point without a positive count for a log axis
			}
			fig.Draw(draw.NewCanvas(&recorder.Canvas{}, FigureWidth, FigureHeight))
		}
	})
}
