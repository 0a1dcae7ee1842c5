package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/provenance"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// testProvenance is the provenance of a made-up session of `sparselm prune`.
var testProvenance = &provenance.Provenance{Version: "0.1.0-dev", ModuleVersion: "(devel)", Revision: "0123abcd", Modified: "false",
	VCSTime: "2026-11-30T12:00:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64", Command: []string{"sparselm", "prune"},
	Started: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
	Data:    []provenance.File{{Path: "/data/ptb/train.txt", Size: 5101618, SHA256: "aa", MD5: "f26c4b92c5fdc7b3f8c7cdcb991d8420"}}}

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
// and reads them back: an LSTM whose name does not say its cell, pruned
// with --levels 0,0.5 (the level 0 is fine-tuned, unlike the start, and
// must not look like it), and an EGRU whose recurrent layers save 3× by
// activity and, at 90% weight sparsity, 27× in all (0.9 of the product
// 30×), with counts in the millions (to show the CSV never uses exponent
// notation). The EGRU sweep is timed (infer-bench.json, see timeSweep):
// its event engine reaches 0.9·r^0.8 of a counted reduction r; the LSTM's
// is not.
func studySweeps(t *testing.T, root string) []Sweep {
	t.Helper()
	lstm := []Point{point("lstm", 0, 100, 4000, 1, 1, 4000), point("lstm", 0, 99, 4000, 1, 1, 4000), point("lstm", 0.5, 105, 4000, 1, 2, 2000)}
	lstm[0].ValidPPL = 0 // the starting checkpoint is not fine-tuned: no validation perplexity
	lstm[0].Checkpoint = "lstm/best"
	egru := []Point{point("egru", 0, 120, 3e6, 3, 1, 1e6), point("egru", 0.75, 128, 3e6, 3, 4, 3e6/11),
		point("egru", 0.9, 140, 3e6, 3, 10, 3e6/27)}
	// The LSTM's summary is of the old form (a list of points) with its
	// setup in prune.json; the EGRU's is a Summary.
	writeSweep(t, filepath.Join(root, "baseline"), lstm)
	os.WriteFile(filepath.Join(root, "baseline", "prune.json"), []byte(`{"source": "/runs/lstm/best", "criterion": "magnitude",
		"schedule": "oneshot", "levels": [0, 0.5], "finetune": {"preset": "small", "dataset": "ptb", "epochs": 1}}`), 0o644)
	egruSetup := Setup{Dataset: "ptb", Preset: "small", Criterion: "global", Schedule: "iterative", Source: "/runs/egru/best"}
	if err := WriteSummary(filepath.Join(root, "egru-sweep"), Summary{Setup: egruSetup, Provenance: testProvenance, Points: egru}); err != nil {
		t.Fatal(err)
	}
	setups := map[string]Setup{"baseline": {Dataset: "ptb", Preset: "small", Criterion: "magnitude", Schedule: "oneshot", Source: "/runs/lstm/best"},
		"egru-sweep": egruSetup}
	var sweeps []Sweep
	for _, sw := range []struct {
		dir string
		pts []Point
	}{{"baseline", lstm}, {"egru-sweep", egru}} {
		s, err := Read(filepath.Join(root, sw.dir))
		if err != nil {
			t.Fatal(err)
		}
		// The points are written without kinds, as summaries before Kind
		// were: Read gives the first the start's, the others a level's.
		want := append([]Point(nil), sw.pts...)
		for i := range want {
			want[i].Kind = KindLevel
		}
		want[0].Kind = KindStart
		if s.Name != sw.dir || s.Cell != sw.pts[0].Stats.Cell || !reflect.DeepEqual(s.Points, want) || s.Setup != setups[sw.dir] {
			t.Fatalf("Read(%s): %+v, want the points and setup written, named after the directory", sw.dir, s)
		}
		sweeps = append(sweeps, s)
	}
	timeSweep(t, &sweeps[1], func(r float64) float64 { return 0.9 * math.Pow(r, 0.8) })
	return sweeps
}

func TestWrite(t *testing.T) {
	root := t.TempDir()
	sweeps := studySweeps(t, root)
	out := filepath.Join(root, "out")
	written, err := Write(out, sweeps, testProvenance)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"report.md", "report.csv", "report.json"}
	files := []string{SpeedPlotFile} // the EGRU sweep is timed
	for _, pl := range Plots {
		want = append(want, pl.File+".png", pl.File+".svg")
		files = append(files, pl.File)
	}
	want = append(want, SpeedPlotFile+".png", SpeedPlotFile+".svg")
	if len(written) != len(want) {
		t.Fatalf("wrote %v, want %v", written, want)
	}
	for i, path := range written {
		if path != filepath.Join(out, want[i]) {
			t.Errorf("wrote %s, want %s", path, filepath.Join(out, want[i]))
		}
	}
	for _, file := range files {
		// FigureWidth × FigureHeight (6.5 × 4.5 inches) at PNGDPI (300).
		b, err := os.ReadFile(filepath.Join(out, file+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 1950 || cfg.Height != 1350 {
			t.Errorf("%s.png: %d×%d pixels (%v), want 1950×1350", file, cfg.Width, cfg.Height, err)
		}
		svg, err := os.ReadFile(filepath.Join(out, file+".svg"))
		if err != nil || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("egru-sweep")) {
			t.Errorf("%s.svg is not an SVG naming the sweeps (%v)", file, err)
		}
	}

	// report.json holds the sweeps with every point's accounting.
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Study
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	// The EGRU sweep's points carry their timings, the sweep its setup.
	if !reflect.DeepEqual(back.Sweeps, sweeps) || !reflect.DeepEqual(back.Provenance, testProvenance) ||
		!reflect.DeepEqual(back.Sweeps[1].Bench, &testBenchSetup) || back.Sweeps[1].Points[2].Bench == nil {
		t.Errorf("report.json holds\n%+v\nwant the sweeps\n%+v\nand the provenance", back, sweeps)
	}
}

// TestMarkdownGolden compares report.md with testdata/report.md; rerun with
// -update after an intended change of the tables and review the diff.
func TestMarkdownGolden(t *testing.T) {
	root := t.TempDir()
	if _, err := Write(filepath.Join(root, "out"), studySweeps(t, root), nil); err != nil {
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
// the point of its row; the levels and perplexities used here are exact in
// six digits. The EGRU sweep has a training seed, the LSTM's is unknown
// (an empty seed).
func TestCSVColumns(t *testing.T) {
	root := t.TempDir()
	sweeps := studySweeps(t, root)
	sweeps[1].Seed = 7
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
	// The first point of a sweep is its start: its kind says so, and it has
	// no level and no validation perplexity (empty fields, not 0).
	start := func(s Sweep, p Point) bool { return p.Checkpoint == s.Points[0].Checkpoint }
	text := map[string]func(s Sweep, p Point) string{
		"sweep":      func(s Sweep, p Point) string { return s.Name },
		"cell":       func(s Sweep, p Point) string { return s.Cell },
		"checkpoint": func(s Sweep, p Point) string { return p.Checkpoint },
		"seed": func(s Sweep, p Point) string {
			if s.Name == "egru-sweep" {
				return "7"
			}
			return ""
		},
		"kind": func(s Sweep, p Point) string {
			if start(s, p) {
				return "start"
			}
			return "level"
		},
		"level": func(s Sweep, p Point) string {
			if start(s, p) {
				return ""
			}
			return strconv.FormatFloat(p.Level, 'g', -1, 64)
		},
		"valid_ppl": func(s Sweep, p Point) string {
			if p.ValidPPL == 0 {
				return ""
			}
			return strconv.FormatFloat(p.ValidPPL, 'g', -1, 64)
		},
	}
	ratios := map[string]func(p Point) float64{
		"weight_sparsity":            func(p Point) float64 { return p.WeightSparsity },
		"recurrent_weight_sparsity":  func(p Point) float64 { return p.Stats.RecurrentWeightSparsity },
		"activity_sparsity":          func(p Point) float64 { return p.ActivitySparsity },
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
	// The timing of a point (Point.Bench), empty when it was not timed: the
	// baseline's points.
	timing := map[string]func(b *BenchRow) float64{
		"dense_tokens_per_s":          func(b *BenchRow) float64 { return b.Dense.TokensPerS },
		"event_tokens_per_s":          func(b *BenchRow) float64 { return b.Event.TokensPerS },
		"recurrent_measured_speedup":  func(b *BenchRow) float64 { return b.LayerSpeedup },
		"recurrent_counted_reduction": func(b *BenchRow) float64 { return b.LayerReduction },
		"model_measured_speedup":      func(b *BenchRow) float64 { return b.Speedup },
		"model_counted_reduction":     func(b *BenchRow) float64 { return b.Reduction },
	}
	text["bench_tokens"] = func(s Sweep, p Point) string {
		if p.Bench == nil {
			return ""
		}
		return p.Bench.Tokens
	}
	header := recs[0]
	if len(header) != len(text)+len(ratios)+len(macs)+len(timing) {
		t.Fatalf("header %v: %d columns, the test knows %d", header, len(header), len(text)+len(ratios)+len(macs)+len(timing))
	}
	timedRows := 0
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
				case timing[name] != nil && p.Bench == nil:
					if cell != "" {
						t.Errorf("%s %g: %s = %q for a point that was not timed, want it empty", s.Name, p.Level, name, cell)
					}
				case timing[name] != nil:
					// Six significant digits: within 5e-6 relative.
					want := timing[name](p.Bench)
					if got, err := strconv.ParseFloat(cell, 64); err != nil || math.Abs(got-want) > 5e-6*math.Abs(want) {
						t.Errorf("%s %g: %s = %q, want %v", s.Name, p.Level, name, cell, want)
					}
					timedRows++
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
	if timedRows != 3*len(timing) {
		t.Errorf("%d timing fields checked, want those of the EGRU sweep's 3 points", timedRows)
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
	if _, err := Write(filepath.Join(root, "out"), nil, nil); err == nil {
		t.Error("Write with no sweeps succeeded")
	}
}

// TestLogTicks: the labels of a log axis are decades, then 1-2-5, then
// denser nice values, the sparsest that gives four or more; plain numbers
// ("2500", never "2500.00") with k and M for counts.
func TestLogTicks(t *testing.T) {
	labels := func(tk logTicks, min, max float64) (labels []string, minor int) {
		for _, tick := range tk.Ticks(min, max) {
			if tick.Label != "" {
				labels = append(labels, tick.Label)
			} else {
				minor++
			}
		}
		return labels, minor
	}
	for _, c := range []struct {
		min, max float64
		format   func(float64) string
		want     string
		minor    int
	}{
		{1e3, 9e6, siLabel, "1k 10k 100k 1M", 3*8 + 8},         // four decades: 2..9 between the decades
		{34e3, 1.1e6, siLabel, "50k 100k 200k 500k 1M", 5 + 6}, // minor: 40k, 60k..90k, 300k, 400k, 600k..900k
		{450e3, 3.8e6, siLabel, "500k 1M 2M 3M", 6},            // 1-2-5 gives two; minor 600k..900k, 1.5M, 2.5M
		{559e3, 3.7e6, siLabel, "700k 1M 1.5M 2M 3M", 4},       // minor 600k, 800k, 1.2M, 2.5M
		{105, 315, plainLabel, "120 150 200 250 300", 7},       // perplexities; minor 110, 130, ..., 280
		{1500, 5500, plainLabel, "1500 2000 3000 5000", 2},     // minor 2500, 4000
		{101, 131, plainLabel, "110 120 130", 0},               // too narrow for four: the densest row
		{100.5, 108, plainLabel, "102 105 108", 5},             // too narrow for two: linear ticks
	} {
		got, minor := labels(logTicks{format: c.format}, c.min, c.max)
		if strings.Join(got, " ") != c.want || minor != c.minor {
			t.Errorf("Ticks(%g, %g) labels %q and %d minor ticks, want %q and %d", c.min, c.max, got, minor, c.want, c.minor)
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

// TestPlotRanges: both axes are logarithmic and fitted to the points, with
// a margin beyond the extreme points of more than nothing and at most a
// tenth of the span on each side, and carry four or more labelled ticks
// that are plain numbers (no "5000.00"), for two sweeps and for four.
func TestPlotRanges(t *testing.T) {
	plain := regexp.MustCompile(`^[1-9][0-9]*(\.[0-9]*[1-9])?[kMG]?$`)
	for _, study := range []func(*testing.T, string) []Sweep{studySweeps, fourSweeps} {
		sweeps := study(t, t.TempDir())
		for _, spec := range Plots {
			minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
			for _, s := range sweeps {
				for _, p := range s.Points {
					minX, maxX = math.Min(minX, spec.X(p)), math.Max(maxX, spec.X(p))
					minY, maxY = math.Min(minY, p.TestPPL), math.Max(maxY, p.TestPPL)
				}
			}
			f, err := NewFigure(spec, sweeps)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s, %d sweeps", spec.File, len(sweeps))
			for _, ax := range []struct {
				name     string
				axis     *plot.Axis
				min, max float64
			}{{"x", &f.Plot.X, minX, maxX}, {"y", &f.Plot.Y, minY, maxY}} {
				a := ax.axis
				if _, ok := a.Scale.(plot.LogScale); !ok {
					t.Errorf("%s: %s axis scale %T, want a log scale", name, ax.name, a.Scale)
				}
				span := math.Log10(ax.max / ax.min)
				below, above := math.Log10(ax.min/a.Min), math.Log10(a.Max/ax.max)
				if !(below > 0 && above > 0 && below <= 0.1*span && above <= 0.1*span) {
					t.Errorf("%s: %s axis [%v, %v] for points in [%v, %v]: margins %.3f and %.3f decades, want (0, %.3f]",
						name, ax.name, a.Min, a.Max, ax.min, ax.max, below, above, 0.1*span)
				}
				var labels []string
				for _, tk := range a.Tick.Marker.Ticks(a.Min, a.Max) {
					if tk.Label == "" {
						continue
					}
					labels = append(labels, tk.Label)
					if !plain.MatchString(tk.Label) || tk.Value < a.Min || tk.Value > a.Max {
						t.Errorf("%s: %s tick %q at %v, want a plain number inside the axis", name, ax.name, tk.Label, tk.Value)
					}
				}
				if len(labels) < minLogLabels {
					t.Errorf("%s: %s axis labels %q, want %d or more", name, ax.name, labels, minLogLabels)
				}
			}
		}
	}
}

// TestPlotRejectsNoMACs: a point without a positive MAC count cannot go on
// a log axis; NewPlot says which sweep and level.
func TestPlotRejectsNoMACs(t *testing.T) {
	sweeps := studySweeps(t, t.TempDir())
	sweeps[1].Points[2].Stats.Model.MACs.Effective = 0
	for _, spec := range Plots {
		_, err := NewFigure(spec, sweeps)
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

var plotDir = flag.String("plots", "", "write the figures of the 2- and 4-sweep studies into this directory, to look at")

// fourSweeps writes four sweeps under root with figures of the size the
// study meets, and reads them back: magnitude and random pruning of an
// LSTM and of an EGRU, each pair from one starting checkpoint (their first
// points coincide), perplexities 112 to 300, the recurrent layers' MACs per
// token from 800k (the dense LSTM) down to 5k, the whole model's from 3.6M
// down to 0.5M (the decoder, 2.8M dense, shrinks by the EGRU's activity);
// all four timed, the random ones' event engines slower at equal counts.
func fourSweeps(t *testing.T, root string) []Sweep {
	t.Helper()
	levels := []float64{0, 0.5, 0.75, 0.9, 0.95, 0.98}
	type series struct {
		name, cell            string
		ppl, layers, decoder  []float64
		dense, activityFactor float64
		speed                 float64 // the event engine's speedup at a counted reduction r is speed·r^0.85
	}
	lstmPPL := []float64{112, 113, 116, 124, 138, 171}
	lstmLayers := []float64{800e3, 400e3, 200e3, 80e3, 40e3, 16e3}
	lstmDecoder := []float64{2.8e6, 2.8e6, 2.8e6, 2.8e6, 2.8e6, 2.8e6}
	egruDecoder := []float64{620e3, 610e3, 590e3, 560e3, 530e3, 495e3}
	var sweeps []Sweep
	for _, s := range []series{
		{"lstm", "lstm", lstmPPL, lstmLayers, lstmDecoder, 800e3, 1, 0.8},
		{"lstm-random", "lstm", []float64{112, 121, 139, 178, 226, 298}, lstmLayers, lstmDecoder, 800e3, 1, 0.6},
		{"egru", "egru", []float64{118, 119, 122, 130, 145, 180}, []float64{150e3, 76e3, 39e3, 16e3, 8.2e3, 5.2e3}, egruDecoder, 600e3, 4, 0.7},
		{"egru-random", "egru", []float64{118, 127, 146, 188, 240, 300}, []float64{150e3, 77e3, 40e3, 17e3, 8.8e3, 5.6e3}, egruDecoder, 600e3, 4, 0.5},
	} {
		pts := make([]Point, len(levels))
		for i, level := range levels {
			weight := 1 / (1 - 0.98*level)
			pts[i] = point(s.cell, level, s.ppl[i], s.dense, s.activityFactor, weight, s.layers[i])
			m := &pts[i].Stats.Model
			m.MACs.Dense, m.MACs.Effective = s.dense+2.8e6, s.layers[i]+s.decoder[i]
			m.Factors.Effective = m.MACs.Dense / m.MACs.Effective
		}
		writeSweep(t, filepath.Join(root, s.name), pts)
		sw, err := Read(filepath.Join(root, s.name))
		if err != nil {
			t.Fatal(err)
		}
		timeSweep(t, &sw, func(r float64) float64 { return s.speed * math.Pow(r, 0.85) })
		sweeps = append(sweeps, sw)
	}
	return sweeps
}

// TestPlotFiles draws the figures of the studies (two and four sweeps, and
// seedStudy's seed group); with -plots DIR it keeps them in DIR (DIR/two,
// DIR/four, DIR/seeds) to be looked at.
func TestPlotFiles(t *testing.T) {
	for _, study := range []struct {
		name   string
		sweeps func(*testing.T, string) []Sweep
	}{{"two", studySweeps}, {"four", fourSweeps}, {"seeds", func(*testing.T, string) []Sweep { return timedSeedStudy() }}} {
		dir := t.TempDir()
		if *plotDir != "" {
			dir = filepath.Join(*plotDir, study.name)
		}
		if _, err := Write(dir, study.sweeps(t, t.TempDir()), nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadKinds: a summary written before Kind existed (no kinds, an
// explicit "valid_ppl": 0 for the start) reads with the start first and
// levels after; kinds in the file are kept; an unknown kind is an error.
func TestReadKinds(t *testing.T) {
	root := t.TempDir()
	pts := []Point{point("lstm", 0, 100, 4000, 1, 1, 4000), point("lstm", 0, 99, 4000, 1, 1, 4000)}
	stats, _ := json.Marshal(pts[0].Stats)
	old := fmt.Sprintf(`[{"level": 0, "checkpoint": "a", "weight_sparsity": 0, "valid_ppl": 0, "test_ppl": 100, "activity_sparsity": 0, "stats": %s},
		{"level": 0, "checkpoint": "b", "weight_sparsity": 0, "valid_ppl": 104, "test_ppl": 99, "activity_sparsity": 0, "stats": %s}]`, stats, stats)
	for _, c := range []struct {
		name, summary string
		want          []string
	}{
		{"old", old, []string{KindStart, KindLevel}},
		{"kinds", strings.Replace(old, `"level": 0, "checkpoint": "b"`, `"kind": "start", "level": 0, "checkpoint": "b"`, 1), []string{KindStart, KindStart}},
		{"badkind", strings.Replace(old, `"level": 0, "checkpoint": "b"`, `"kind": "pruned", "level": 0, "checkpoint": "b"`, 1), nil},
	} {
		dir := filepath.Join(root, c.name)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, SummaryFile), []byte(c.summary), 0o644)
		s, err := Read(dir)
		if c.want == nil {
			if err == nil || !strings.Contains(err.Error(), `level 1 (0) has kind "pruned"`) {
				t.Errorf("%s: err = %v, want one naming the unknown kind", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var kinds []string
		for _, p := range s.Points {
			kinds = append(kinds, p.Kind)
		}
		if !reflect.DeepEqual(kinds, c.want) || s.Points[0].ValidPPL != 0 || s.Points[1].ValidPPL != 104 {
			t.Errorf("%s: kinds %v, valid ppl %v and %v; want %v, 0 and 104", c.name, kinds, s.Points[0].ValidPPL, s.Points[1].ValidPPL, c.want)
		}
	}
}

// TestFigureLayout checks, on the canvas of Save, what makes a figure
// readable, for two sweeps and for four: the data area takes most of the
// canvas; the legend (an entry per sweep and the note) lies below the x
// axis title, which lies below everything the plot draws, and the y axis
// title left of it; tick labels do not touch; and the level labels sit
// inside the data area, on no other label, marker or line, nearer their own
// point than any other, one for nearly every point.
func TestFigureLayout(t *testing.T) {
	inside := func(in, r vg.Rectangle) bool {
		return r.Min.X >= in.Min.X && r.Min.Y >= in.Min.Y && r.Max.X <= in.Max.X && r.Max.Y <= in.Max.Y
	}
	disjoint := func(a, b vg.Rectangle) bool {
		return a.Max.X <= b.Min.X || b.Max.X <= a.Min.X || a.Max.Y <= b.Min.Y || b.Max.Y <= a.Min.Y
	}
	for _, study := range []func(*testing.T, string) []Sweep{studySweeps, fourSweeps} {
		sweeps := study(t, t.TempDir())
		figures := map[string]*Figure{}
		for _, spec := range Plots {
			f, err := NewFigure(spec, sweeps)
			if err != nil {
				t.Fatal(err)
			}
			figures[spec.File] = f
		}
		f, err := NewSpeedFigure(sweeps)
		if err != nil {
			t.Fatal(err)
		}
		figures[SpeedPlotFile] = f
		for file, f := range figures {
			name := fmt.Sprintf("%s, %d sweeps", file, len(sweeps))
			c := draw.New(vgimg.NewWith(vgimg.UseWH(FigureWidth, FigureHeight), vgimg.UseDPI(72)))
			l := f.layout(c)
			data := l.data.Rectangle
			if w, h := data.Size().X/c.Size().X, data.Size().Y/c.Size().Y; w < 0.8 || h < 0.6 {
				t.Errorf("%s: the data area is %.2f of the width and %.2f of the height, want 0.8 and 0.6 or more", name, w, h)
			}

			// The legend, the axis titles and the plot's area do not meet.
			var named []string // an entry per sweep (in the speed figure, per timed sweep)
			for _, s := range sweeps {
				if file != SpeedPlotFile || s.Bench != nil {
					named = append(named, lineName(s))
				}
			}
			if len(l.legend) <= len(named) || l.legend[len(l.legend)-1].entry.text != levelNote {
				t.Fatalf("%s: legend %+v, want an entry per sweep %q, then keys ending with the note", name, l.legend, named)
			}
			for i, cell := range l.legend {
				if i < len(named) && cell.entry.text != named[i] {
					t.Errorf("%s: legend entry %d is %q, want %q", name, i, cell.entry.text, named[i])
				}
				if !inside(c.Rectangle, cell.box) || cell.box.Max.Y > l.xLabel.Min.Y {
					t.Errorf("%s: legend entry %q at %v, want it inside the canvas %v and below the x axis title %v", name, cell.entry.text, cell.box, c.Rectangle, l.xLabel)
				}
				for _, other := range l.legend[:i] {
					if !disjoint(cell.box, other.box) {
						t.Errorf("%s: legend entries %q and %q overlap", name, cell.entry.text, other.entry.text)
					}
				}
			}
			if l.xLabel.Max.Y > l.plot.Min.Y || l.yLabel.Max.X > l.plot.Min.X || !inside(c.Rectangle, l.yLabel) || !inside(l.plot.Rectangle, data) {
				t.Errorf("%s: x title %v, y title %v, plot %v, data %v: want the titles below and left of the plot, the data inside it", name, l.xLabel, l.yLabel, l.plot.Rectangle, data)
			}

			// Adjacent tick labels keep apart.
			for _, ax := range []struct {
				name string
				axis *plot.Axis
				pos  func(float64) vg.Length // of a value along the axis
				size func(vg.Point) vg.Length
			}{
				{"x", &f.Plot.X, func(v float64) vg.Length { return l.data.X(f.Plot.X.Norm(v)) }, func(p vg.Point) vg.Length { return p.X }},
				{"y", &f.Plot.Y, func(v float64) vg.Length { return l.data.Y(f.Plot.Y.Norm(v)) }, func(p vg.Point) vg.Length { return p.Y }},
			} {
				var prev *plot.Tick
				for _, tk := range ax.axis.Tick.Marker.Ticks(ax.axis.Min, ax.axis.Max) {
					if tk.Label == "" {
						continue
					}
					if prev != nil {
						gap := ax.pos(tk.Value) - ax.pos(prev.Value)
						room := (ax.size(ax.axis.Tick.Label.Rectangle(tk.Label).Size()) + ax.size(ax.axis.Tick.Label.Rectangle(prev.Label).Size())) / 2
						if gap < room+vg.Points(2) {
							t.Errorf("%s: %s tick labels %q and %q %.1f pt apart, need %.1f", name, ax.name, prev.Label, tk.Label, gap, room+2)
						}
					}
					tk := tk
					prev = &tk
				}
			}

			// The level labels.
			var points []vg.Point
			var segments [][2]vg.Point
			needLabel := 0 // points but those at the place of an earlier one with the same label
			seen := map[string]bool{}
			for _, ln := range f.labels.lines {
				for j, xy := range ln.xys {
					p := vg.Point{X: l.data.X(f.Plot.X.Norm(xy.X)), Y: l.data.Y(f.Plot.Y.Norm(xy.Y))}
					points = append(points, p)
					if j > 0 {
						segments = append(segments, [2]vg.Point{points[len(points)-2], p})
					}
					if j >= len(ln.labels) {
						continue // an unlabelled line: the speed figure's whole model
					}
					if key := fmt.Sprint(p, ln.labels[j]); !seen[key] {
						seen[key] = true
						needLabel++
					}
				}
			}
			for _, g := range f.labels.guides { // y = x of the speed figure: no markers, but a line all the same
				for j := 1; j < len(g); j++ {
					at := func(xy plotter.XY) vg.Point {
						return vg.Point{X: l.data.X(f.Plot.X.Norm(xy.X)), Y: l.data.Y(f.Plot.Y.Norm(xy.Y))}
					}
					segments = append(segments, [2]vg.Point{at(g[j-1]), at(g[j])})
				}
			}
			labels := f.labels.place(l.data, f.Plot)
			for i, lb := range labels {
				if !inside(data, lb.box) {
					t.Errorf("%s: label %q at %v leaves the data area %v", name, lb.text, lb.box, data)
				}
				for _, other := range labels[:i] {
					if !disjoint(lb.box, other.box) {
						t.Errorf("%s: labels %q at %v and %q at %v overlap", name, lb.text, lb.box, other.text, other.box)
					}
				}
				mine := boxPointDistance(lb.box, lb.at)
				for _, p := range points {
					marker := vg.Rectangle{Min: p.Sub(vg.Point{X: markerRadius, Y: markerRadius}), Max: p.Add(vg.Point{X: markerRadius, Y: markerRadius})}
					if !disjoint(lb.box, marker) {
						t.Errorf("%s: label %q at %v covers the marker at %v", name, lb.text, lb.box, p)
					}
					if p != lb.at && boxPointDistance(lb.box, p) < mine {
						t.Errorf("%s: label %q at %v is nearer the point at %v than its own at %v", name, lb.text, lb.box, p, lb.at)
					}
				}
				for _, s := range segments {
					// Sampled every half point along the segment.
					n := int(math.Hypot(float64(s[1].X-s[0].X), float64(s[1].Y-s[0].Y))*2) + 1
					for k := 0; k <= n; k++ {
						q := s[0].Add(s[1].Sub(s[0]).Scale(vg.Length(k) / vg.Length(n)))
						if q.X > lb.box.Min.X && q.X < lb.box.Max.X && q.Y > lb.box.Min.Y && q.Y < lb.box.Max.Y {
							t.Errorf("%s: label %q at %v covers the line from %v to %v", name, lb.text, lb.box, s[0], s[1])
							break
						}
					}
				}
			}
			// Labels sit next to their points: three in four or more
			// within 3 pt of the marker's edge, none farther than a label
			// height beyond that.
			near := 0
			for _, lb := range labels {
				d := boxPointDistance(lb.box, lb.at) - markerRadius
				if d <= 3 {
					near++
				}
				if d > 3+float64(lb.box.Size().Y) {
					t.Errorf("%s: label %q %.1f pt from its marker", name, lb.text, d)
				}
			}
			// Every point that needs a label has one, but one in ten at most
			// that finds no room. The speed figure's lines run side by side
			// along the diagonal, with the whole model's unlabelled points
			// among them, so its labels find less room: there, half.
			nearShare, labelShare := 0.75, 0.9
			if file == SpeedPlotFile {
				nearShare, labelShare = 0.5, 0.5
			}
			if float64(near) < nearShare*float64(len(labels)) {
				t.Errorf("%s: %d of %d labels within 3 pt of their markers, want %.0f%%", name, near, len(labels), 100*nearShare)
			}
			if float64(len(labels)) < labelShare*float64(needLabel) || len(labels) > needLabel {
				t.Errorf("%s: %d level labels for %d points that need one, want %.0f%% of them", name, len(labels), needLabel, 100*labelShare)
			}
		}
	}
}

func boxPointDistance(r vg.Rectangle, p vg.Point) float64 {
	dx := math.Max(0, math.Max(float64(r.Min.X-p.X), float64(p.X-r.Max.X)))
	dy := math.Max(0, math.Max(float64(r.Min.Y-p.Y), float64(p.Y-r.Max.Y)))
	return math.Hypot(dx, dy)
}

// TestLevelLabelsStayInside: on a plot whose axes end exactly at the
// extreme points, the labels that would go right of the top-right point or
// left of the bottom-left one go inside the data area instead.
func TestLevelLabelsStayInside(t *testing.T) {
	p := plot.New()
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 1e3, 1e6, 100, 300
	ln := plotLine{xys: plotter.XYs{{X: 1e3, Y: 100}, {X: 1e6, Y: 300}}, labels: []string{"98%", "0%"}}
	l := &levelLabels{lines: []plotLine{ln}, style: levelLabelStyle(), radius: markerRadius}
	c := draw.New(vgimg.NewWith(vgimg.UseWH(4*vg.Inch, 3*vg.Inch), vgimg.UseDPI(72)))
	data := draw.Crop(c, vg.Points(40), -vg.Points(10), vg.Points(40), -vg.Points(10))
	placed := l.place(data, p)
	if len(placed) != 2 {
		t.Fatalf("placed %+v, want both labels", placed)
	}
	for _, pl := range placed {
		b := pl.box
		if b.Min.X < data.Min.X || b.Min.Y < data.Min.Y || b.Max.X > data.Max.X || b.Max.Y > data.Max.Y {
			t.Errorf("label %q at %v leaves the data area %v", pl.text, b, data.Rectangle)
		}
	}
}
