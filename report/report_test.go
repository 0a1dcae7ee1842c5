package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/measure"
	"gonum.org/v1/plot"
)

// point makes a sweep point whose recurrent layers have the given dense
// count, activity and weight factors and effective count; the figures are
// made up, chosen so that every derived column has a known value and no two
// columns of a pruned point agree: the layers' achieved sparsity a little
// under the target level, that of all pruned matrices lower still, the
// decoder adding 1000 dense and effective MACs, and the dense LSTM of the
// same sizes 4/3 of an EGRU's dense count (4 gates against 3).
func point(cell string, level, ppl, dense, activity, weight, effective float64) Point {
	rec := measure.Component{Name: "recurrent",
		MACs:    measure.MACs{Dense: dense, WeightSparse: dense / weight, ActivityOnly: dense / activity, Effective: effective},
		Factors: measure.Factors{Activity: activity, Weight: weight, Product: activity * weight, Effective: dense / effective}}
	model := rec
	model.Name, model.MACs.Dense, model.MACs.Effective = "model", dense+1000, effective+1000
	model.Factors.Effective = model.MACs.Dense / model.MACs.Effective
	lstmDense := dense
	if cell == "egru" {
		lstmDense = dense * 4 / 3
	}
	return Point{Level: level, Checkpoint: fmt.Sprintf("%s-%g/best", cell, level), WeightSparsity: 0.96 * level,
		TestPPL: ppl, ValidPPL: ppl + 5, ActivitySparsity: 1 - 1/activity,
		Stats: &measure.Report{Cell: cell, PPL: ppl, RecurrentWeightSparsity: 0.98 * level, Recurrent: rec, Model: model,
			DenseLSTM:   measure.Pair{Recurrent: lstmDense, Model: lstmDense + 1000},
			VsDenseLSTM: measure.Pair{Recurrent: lstmDense / effective, Model: (lstmDense + 1000) / (effective + 1000)}}}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func writeSweep(t *testing.T, dir string, pts []Point) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(pts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// studySweeps writes two sweeps under root as `sparselm prune` leaves them
// and reads them back: an LSTM whose name does not say its cell, and an
// EGRU whose recurrent layers save 3× by activity and, at 90% weight
// sparsity, 27× in all (0.9 of the product 30×), with counts in the
// millions (to show the CSV never uses exponent notation).
func studySweeps(t *testing.T, root string) []Sweep {
	t.Helper()
	lstm := []Point{point("lstm", 0, 100, 4000, 1, 1, 4000), point("lstm", 0.5, 105, 4000, 1, 2, 2000)}
	lstm[0].ValidPPL = 0 // the starting checkpoint is not fine-tuned: no validation perplexity
	egru := []Point{point("egru", 0, 120, 3e6, 3, 1, 1e6), point("egru", 0.75, 128, 3e6, 3, 4, 3e6/11),
		point("egru", 0.9, 140, 3e6, 3, 10, 3e6/27)}
	var sweeps []Sweep
	for _, sw := range []struct {
		dir string
		pts []Point
	}{{"baseline", lstm}, {"egru-sweep", egru}} {
		writeSweep(t, filepath.Join(root, sw.dir), sw.pts)
		s, err := Read(filepath.Join(root, sw.dir))
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != sw.dir || s.Cell != sw.pts[0].Stats.Cell || !reflect.DeepEqual(s.Points, sw.pts) {
			t.Fatalf("Read(%s): %+v, want the points written, named after the directory", sw.dir, s)
		}
		sweeps = append(sweeps, s)
	}
	return sweeps
}

func TestWrite(t *testing.T) {
	root := t.TempDir()
	sweeps := studySweeps(t, root)
	out := filepath.Join(root, "out")
	written, err := Write(out, sweeps)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"report.md", "report.csv", "report.json"}
	for _, pl := range Plots {
		want = append(want, pl.File+".png", pl.File+".svg")
	}
	if len(written) != len(want) {
		t.Fatalf("wrote %v, want %v", written, want)
	}
	for i, path := range written {
		if path != filepath.Join(out, want[i]) {
			t.Errorf("wrote %s, want %s", path, filepath.Join(out, want[i]))
		}
	}
	for _, pl := range Plots {
		png, err := os.ReadFile(filepath.Join(out, pl.File+".png"))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s.png is not a PNG (%v)", pl.File, err)
		}
		svg, err := os.ReadFile(filepath.Join(out, pl.File+".svg"))
		if err != nil || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("egru-sweep")) {
			t.Errorf("%s.svg is not an SVG naming the sweeps (%v)", pl.File, err)
		}
	}

	// report.json holds the sweeps with every point's accounting.
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back []Sweep
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if !reflect.DeepEqual(back, sweeps) {
		t.Errorf("report.json holds\n%+v\nwant the sweeps\n%+v", back, sweeps)
	}
}

// TestMarkdownGolden compares report.md with testdata/report.md; rerun with
// -update after an intended change of the tables and review the diff.
func TestMarkdownGolden(t *testing.T) {
	root := t.TempDir()
	if _, err := Write(filepath.Join(root, "out"), studySweeps(t, root)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "out", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with go test ./report -run TestMarkdownGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report.md differs from %s (go test ./report -run TestMarkdownGolden -update rewrites it):\n%s", golden, got)
	}
}

// TestCSVColumns checks every column of report.csv, by header name, against
// the point of its row.
func TestCSVColumns(t *testing.T) {
	root := t.TempDir()
	sweeps := studySweeps(t, root)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, Rows(sweeps)); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var points []Point
	for _, s := range sweeps {
		points = append(points, s.Points...)
	}
	if len(recs) != 1+len(points) {
		t.Fatalf("report.csv has %d records, want a header and %d rows", len(recs), len(points))
	}
	text := map[string]func(s Sweep, p Point) string{
		"sweep":      func(s Sweep, p Point) string { return s.Name },
		"cell":       func(s Sweep, p Point) string { return s.Cell },
		"checkpoint": func(s Sweep, p Point) string { return p.Checkpoint },
	}
	ratios := map[string]func(p Point) float64{
		"level":                      func(p Point) float64 { return p.Level },
		"weight_sparsity":            func(p Point) float64 { return p.WeightSparsity },
		"recurrent_weight_sparsity":  func(p Point) float64 { return p.Stats.RecurrentWeightSparsity },
		"activity_sparsity":          func(p Point) float64 { return p.ActivitySparsity },
		"valid_ppl":                  func(p Point) float64 { return p.ValidPPL },
		"test_ppl":                   func(p Point) float64 { return p.TestPPL },
		"recurrent_activity_factor":  func(p Point) float64 { return p.Stats.Recurrent.Factors.Activity },
		"recurrent_weight_factor":    func(p Point) float64 { return p.Stats.Recurrent.Factors.Weight },
		"recurrent_product_factor":   func(p Point) float64 { return p.Stats.Recurrent.Factors.Product },
		"recurrent_effective_factor": func(p Point) float64 { return p.Stats.Recurrent.Factors.Effective },
		"model_effective_factor":     func(p Point) float64 { return p.Stats.Model.Factors.Effective },
		"recurrent_vs_dense_lstm":    func(p Point) float64 { return p.Stats.VsDenseLSTM.Recurrent },
		"model_vs_dense_lstm":        func(p Point) float64 { return p.Stats.VsDenseLSTM.Model },
	}
	macs := map[string]func(p Point) float64{
		"recurrent_dense_macs":     func(p Point) float64 { return p.Stats.Recurrent.MACs.Dense },
		"recurrent_effective_macs": func(p Point) float64 { return p.Stats.Recurrent.MACs.Effective },
		"model_dense_macs":         func(p Point) float64 { return p.Stats.Model.MACs.Dense },
		"model_effective_macs":     func(p Point) float64 { return p.Stats.Model.MACs.Effective },
	}
	header := recs[0]
	if len(header) != len(text)+len(ratios)+len(macs) {
		t.Fatalf("header %v: %d columns, the test knows %d", header, len(header), len(text)+len(ratios)+len(macs))
	}
	oneDecimal := regexp.MustCompile(`^[0-9]+\.[0-9]$`)
	row := 1
	for _, s := range sweeps {
		for _, p := range s.Points {
			rec := recs[row]
			row++
			for i, name := range header {
				cell := rec[i]
				switch {
				case text[name] != nil:
					if want := text[name](s, p); cell != want {
						t.Errorf("%s %g: %s = %q, want %q", s.Name, p.Level, name, cell, want)
					}
				case ratios[name] != nil:
					// Six significant digits: within 5e-6 relative.
					want := ratios[name](p)
					if got, err := strconv.ParseFloat(cell, 64); err != nil || math.Abs(got-want) > 5e-6*math.Abs(want) {
						t.Errorf("%s %g: %s = %q, want %v", s.Name, p.Level, name, cell, want)
					}
				case macs[name] != nil:
					// One decimal, never exponent notation: within 0.05.
					want := macs[name](p)
					if got, err := strconv.ParseFloat(cell, 64); err != nil || !oneDecimal.MatchString(cell) || math.Abs(got-want) > 0.05 {
						t.Errorf("%s %g: %s = %q, want %.1f", s.Name, p.Level, name, cell, want)
					}
				default:
					t.Errorf("report.csv has a column %q the test does not know", name)
				}
			}
		}
	}
}

func TestReadErrors(t *testing.T) {
	root := t.TempDir()
	good := point("egru", 0, 120, 3000, 3, 1, 1000)
	noStats := good
	noStats.Stats = nil
	noPPL := point("egru", 0.5, 0, 3000, 3, 2, 500) // a level whose test evaluation did not run
	cases := map[string]struct {
		pts  any
		want string
	}{
		"empty":   {[]Point{}, "no levels"},
		"nostats": {[]Point{good, noStats}, "no perplexity or MAC accounting"},
		"noppl":   {[]Point{good, noPPL}, "level 1 (0.5) has no perplexity"},
		"mixed":   {[]Point{good, point("lstm", 0.5, 100, 4000, 1, 2, 2000)}, "mixes egru and lstm"},
		"notjson": {"not a list", "cannot unmarshal"},
	}
	for name, c := range cases {
		dir := filepath.Join(root, name)
		os.MkdirAll(dir, 0o755)
		b, _ := json.Marshal(c.pts)
		os.WriteFile(filepath.Join(dir, SummaryFile), b, 0o644)
		if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", name, err, c.want)
		}
	}
	if _, err := Read(filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "no summary.json") {
		t.Errorf("missing directory: err = %v", err)
	}
	if _, err := Write(filepath.Join(root, "out"), nil); err == nil {
		t.Error("Write with no sweeps succeeded")
	}
}

func TestDecadeTicks(t *testing.T) {
	labels := func(min, max float64) []string {
		var l []string
		for _, tk := range (decadeTicks{}).Ticks(min, max) {
			if tk.Label != "" {
				l = append(l, tk.Label)
			}
		}
		return l
	}
	for _, c := range []struct {
		min, max float64
		want     string
	}{
		{34e3, 1.1e6, "50k 100k 200k 500k 1M"}, // 1, 2, 5; the first tick (40k) is too near 50k
		{559e3, 3.7e6, "600k 1M 2M"},
		{1.5e3, 9.5e3, "2k 5k"},
		{6e3, 9.9e3, "6k 7k 8k 9k"}, // no 1, 2 or 5 inside: every tick
	} {
		if got := strings.Join(labels(c.min, c.max), " "); got != c.want {
			t.Errorf("Ticks(%g, %g) labels %q, want %q", c.min, c.max, got, c.want)
		}
	}
}

// TestPlotLines: each plot draws one line per sweep, named after it (with
// its cell when the name does not say it), through (effective MACs per
// token of the plot's part of the model, test perplexity) of every point in
// file order, each point labelled with its level.
func TestPlotLines(t *testing.T) {
	sweeps := studySweeps(t, t.TempDir())
	x := map[string]func(Point) float64{ // the figure on each plot's x axis (the Plots doc)
		"ppl-vs-macs-layers": func(p Point) float64 { return p.Stats.Recurrent.MACs.Effective },
		"ppl-vs-macs-model":  func(p Point) float64 { return p.Stats.Model.MACs.Effective },
	}
	names := []string{"baseline (lstm)", "egru-sweep"}
	if len(Plots) != len(x) {
		t.Fatalf("%d plots, the test knows %d", len(Plots), len(x))
	}
	for _, spec := range Plots {
		if x[spec.File] == nil {
			t.Fatalf("plot %s unknown to the test", spec.File)
		}
		lines, err := plotLines(spec, sweeps)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != len(sweeps) {
			t.Fatalf("%s: %d lines for %d sweeps", spec.File, len(lines), len(sweeps))
		}
		for i, ln := range lines {
			s := sweeps[i]
			if ln.name != names[i] || len(ln.xys) != len(s.Points) || len(ln.labels) != len(s.Points) {
				t.Fatalf("%s: line %q with %d points and %d labels, want %q with %d", spec.File, ln.name, len(ln.xys), len(ln.labels), names[i], len(s.Points))
			}
			for j, p := range s.Points {
				if ln.xys[j].X != x[spec.File](p) || ln.xys[j].Y != p.TestPPL {
					t.Errorf("%s %s point %d at (%v, %v), want (%v, %v)", spec.File, s.Name, j, ln.xys[j].X, ln.xys[j].Y, x[spec.File](p), p.TestPPL)
				}
				if want := fmt.Sprintf("%g%%", 100*p.Level); strings.TrimSpace(ln.labels[j]) != want {
					t.Errorf("%s %s point %d labelled %q, want %q", spec.File, s.Name, j, ln.labels[j], want)
				}
			}
		}
	}
}

// TestPlotRanges: the axes start at the lowest point and end past the
// highest, with room for the labels drawn right of the points and above
// them, and every plot is drawn (PNG and SVG).
func TestPlotRanges(t *testing.T) {
	root := t.TempDir()
	sweeps := studySweeps(t, root)
	for _, spec := range Plots {
		minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, s := range sweeps {
			for _, p := range s.Points {
				minX, maxX = math.Min(minX, spec.X(p)), math.Max(maxX, spec.X(p))
				minY, maxY = math.Min(minY, p.TestPPL), math.Max(maxY, p.TestPPL)
			}
		}
		p, err := NewPlot(spec, sweeps)
		if err != nil {
			t.Fatal(err)
		}
		// Room for a label " 90%" at 8 pt takes some of the 7-inch width:
		// between 1.2× and 2× the largest x on the log axis; the room above
		// the top point is a few percent of the perplexity span, under 10%.
		if p.X.Min != minX || p.X.Max < 1.2*maxX || p.X.Max > 2*maxX {
			t.Errorf("%s: x axis [%v, %v], points in [%v, %v]", spec.File, p.X.Min, p.X.Max, minX, maxX)
		}
		if p.Y.Min != minY || p.Y.Max <= maxY || p.Y.Max > maxY+0.1*(maxY-minY) {
			t.Errorf("%s: y axis [%v, %v], points in [%v, %v]", spec.File, p.Y.Min, p.Y.Max, minY, maxY)
		}
		if _, ok := p.X.Scale.(plot.LogScale); !ok {
			t.Errorf("%s: x axis scale %T, want a log scale", spec.File, p.X.Scale)
		}
	}
}

// TestPlotRejectsNoMACs: a point without a positive MAC count cannot go on
// a log axis; NewPlot says which sweep and level.
func TestPlotRejectsNoMACs(t *testing.T) {
	sweeps := studySweeps(t, t.TempDir())
	sweeps[1].Points[2].Stats.Model.MACs.Effective = 0
	for _, spec := range Plots {
		_, err := NewPlot(spec, sweeps)
		switch spec.File {
		case "ppl-vs-macs-model":
			if err == nil || !strings.Contains(err.Error(), "egru-sweep: level 0.9") {
				t.Errorf("%s: err = %v, want one naming egru-sweep level 0.9", spec.File, err)
			}
		default: // the layers' counts are all positive
			if err != nil {
				t.Errorf("%s: %v", spec.File, err)
			}
		}
	}
}
