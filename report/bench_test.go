package report

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/infer"
	"github.com/sparselm/sparselm/provenance"
	"gonum.org/v1/plot"
)

// testBenchSetup is the setup of a made-up session of `sparselm bench infer --sweep`.
var testBenchSetup = BenchSetup{
	Provenance: &provenance.Provenance{Version: "0.1.0-dev", ModuleVersion: "(devel)", Revision: "89abcdef01234567", Modified: "false",
		VCSTime: "2026-12-01T12:00:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64", Command: []string{"sparselm", "bench", "infer", "--sweep", "egru-sweep"},
		Started: time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)},
	CPU: "AMD EPYC 7B13 64-Core Processor", Kernel: "avx2", Steps: 200, Warmup: 20, Repeats: 5, Threads: 1, Batch: 1}

// benchRow makes the timing of point p, made up: the event engine
// executes 1.05 times the layers' effective MACs of the test split and 0.9
// times the decoder's on the timed tokens (so the counted reductions
// differ from the factors of the accounting), the dense engine takes 200 µs
// per token for the whole model and 140 µs for the layers, and the event
// engine is layerSpeedup and speedup times faster.
func benchRow(p Point, layerSpeedup, speedup float64) BenchRow {
	rec, m := p.Stats.Recurrent.MACs, p.Stats.Model.MACs
	res := func(ns float64) infer.BenchResult {
		return infer.BenchResult{NsPerToken: ns, TokensPerS: 1e9 / ns, NsPerTokenAll: []float64{ns, ns * 1.01, ns * 0.99}}
	}
	c := infer.Comparison{Dense: res(200e3), Event: res(200e3 / speedup), DenseLayers: res(140e3), EventLayers: res(140e3 / layerSpeedup),
		DenseLayerMACs: int64(rec.Dense), DenseDecoderMACs: int64(m.Dense - rec.Dense),
		Counts: infer.Counts{Tokens: 200, LayerMACs: 1.05 * rec.Effective, DecoderMACs: 0.9 * (m.Effective - rec.Effective), Active: []float64{0.31, 0.27}}}
	abs, _ := filepath.Abs(p.Checkpoint)
	r := NewBenchRow(abs, p.Stats.Cell, p.WeightSparsity, TokensTest, c)
	r.Point = KeyOf(p)
	return r
}

// timeSweep writes the infer-bench.json of s with a row per point, the
// event engine faster by speed(counted reduction) in the layers and by 0.85
// of that over the whole model (its decoder a little less efficient), and
// attaches it; it fails on any warning.
func timeSweep(t *testing.T, s *Sweep, speed func(reduction float64) float64) {
	t.Helper()
	b := InferBench{BenchSetup: testBenchSetup}
	for _, p := range s.Points {
		r := benchRow(p, 1, 1)
		b.Checkpoints = append(b.Checkpoints, benchRow(p, speed(r.LayerReduction), 0.85*speed(r.Reduction)))
	}
	if err := WriteInferBench(s.Dir, b); err != nil {
		t.Fatal(err)
	}
	if warnings, err := AttachBench(s); err != nil || len(warnings) > 0 {
		t.Fatalf("AttachBench(%s): %v %q", s.Name, err, warnings)
	}
}

// TestInferBenchRoundTrip: WriteInferBench writes what ReadInferBench
// reads back, replaces the file on a rewrite and leaves no temporary file;
// a directory without the file reads as nil, a broken file is an error
// naming it (AttachBench returns it too).
func TestInferBenchRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if b, err := ReadInferBench(dir); b != nil || err != nil {
		t.Fatalf("no file: %v, %v; want nil and no error", b, err)
	}
	p := point("egru", 0.9, 140, 3e6, 3, 10, 3e6/27)
	p.Kind = KindLevel
	want := InferBench{BenchSetup: testBenchSetup, Checkpoints: []BenchRow{benchRow(p, 9, 8)}}
	for _, b := range []InferBench{{BenchSetup: BenchSetup{CPU: "old"}}, want} {
		if err := WriteInferBench(dir, b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadInferBench(dir)
	if err != nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("read back\n%+v (%v)\nwant\n%+v", got, err, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d files, want infer-bench.json alone", len(entries))
	}
	// The row's ratios are the comparison's: 9× and 8× as timed.
	r := got.Checkpoints[0]
	if math.Abs(r.LayerSpeedup-9) > 1e-12 || math.Abs(r.Speedup-8) > 1e-12 || r.Reduction != r.Comparison.Reduction() || r.LayerReduction != r.Comparison.LayerReduction() {
		t.Errorf("row ratios %v %v %v %v, want 9, 8 and the comparison's reductions", r.LayerSpeedup, r.Speedup, r.LayerReduction, r.Reduction)
	}
	os.WriteFile(filepath.Join(dir, InferBenchFile), []byte("{not json"), 0o644)
	if _, err := ReadInferBench(dir); err == nil || !strings.Contains(err.Error(), InferBenchFile) {
		t.Errorf("broken file: err = %v, want one naming %s", err, InferBenchFile)
	}
	if _, err := AttachBench(&Sweep{Dir: dir}); err == nil {
		t.Error("AttachBench of a broken file succeeded")
	}
}

// TestCheckpointPath: a sweep's checkpoint is found as summary.json names
// it (relative to where prune ran, or absolute), else under the sweep's
// directory by the shortest tail that exists there.
func TestCheckpointPath(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	sweep := filepath.Join("runs", "egru-pruned")
	os.MkdirAll(filepath.Join(sweep, "level-0.90", "best"), 0o755)
	moved := filepath.Join(root, "moved")
	for _, c := range []struct {
		dir, ckpt, want string
		move            bool // runs/ moved to moved/ first
	}{
		{sweep, "runs/egru-pruned/level-0.90/best", "runs/egru-pruned/level-0.90/best", false},                     // as prune wrote it, from where it ran
		{sweep, "/elsewhere/egru/best", "/elsewhere/egru/best", false},                                             // absolute: as it is
		{sweep, "gone/level-0.5/best", "gone/level-0.5/best", false},                                               // nowhere: as it is
		{moved + "/egru-pruned", "runs/egru-pruned/level-0.90/best", moved + "/egru-pruned/level-0.90/best", true}, // the sweep moved: its tail under the sweep
		{moved + "/egru-pruned", "egru-pruned/level-0.90/best", moved + "/egru-pruned/level-0.90/best", true},      // relative to the sweep's parent
	} {
		if c.move {
			os.Rename(filepath.Join(root, "runs"), moved)
		}
		if got := CheckpointPath(c.dir, c.ckpt); filepath.Clean(got) != filepath.Clean(c.want) {
			t.Errorf("CheckpointPath(%s, %s) = %s, want %s", c.dir, c.ckpt, got, c.want)
		}
	}
}

// TestAttachBench: a timing goes to the point it timed, found by the name
// in summary.json or by the same directory under another name (relative
// against absolute), and only while summary.json says of the point what it
// said when it was timed; what does not match is left out with a warning
// that says what differs.
func TestAttachBench(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	pts := []Point{point("egru", 0, 120, 3e6, 3, 1, 1e6), point("egru", 0.75, 128, 3e6, 3, 4, 3e6/11), point("egru", 0.9, 140, 3e6, 3, 10, 3e6/27)}
	for i := range pts {
		pts[i].Kind = KindLevel
		pts[i].Checkpoint = filepath.Join("egru-pruned", fmt.Sprintf("level-%g", pts[i].Level), "best")
		os.MkdirAll(pts[i].Checkpoint, 0o755)
	}
	pts[0].Kind, pts[0].Checkpoint = KindStart, filepath.Join(root, "egru", "best")
	if err := WriteSummary("egru-pruned", Summary{Points: pts}); err != nil {
		t.Fatal(err)
	}
	rows := func() []BenchRow {
		var rs []BenchRow
		for i, p := range pts {
			rs = append(rs, benchRow(p, float64(2+i), float64(1+i)))
		}
		return rs
	}
	attach := func(rs []BenchRow) (Sweep, []string) {
		t.Helper()
		if err := WriteInferBench("egru-pruned", InferBench{BenchSetup: testBenchSetup, Checkpoints: rs}); err != nil {
			t.Fatal(err)
		}
		s, err := Read("egru-pruned")
		if err != nil {
			t.Fatal(err)
		}
		warnings, err := AttachBench(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s, warnings
	}
	// attachedTo lists which rows of rs each point got, -1 for none.
	attachedTo := func(s Sweep, rs []BenchRow) []int {
		var got []int
		for _, p := range s.Points {
			k := -1
			for j := range rs {
				if p.Bench != nil && reflect.DeepEqual(*p.Bench, rs[j]) {
					k = j
				}
			}
			got = append(got, k)
		}
		return got
	}

	renamed := rows()
	for i := range renamed {
		// summary.json named them otherwise when they were timed (prune ran
		// with an absolute --out, say): the same directories match.
		abs, _ := filepath.Abs(pts[i].Checkpoint)
		renamed[i].Point.Checkpoint, renamed[i].Checkpoint = "/old/name/"+pts[i].Checkpoint, abs
	}
	changed := rows()
	changed[2].Point.TestPPL = 141 // the level was fine-tuned again since
	otherCell := rows()
	otherCell[1].Cell = "lstm"
	otherShape := rows() // the same total, split otherwise between the layers and the decoder
	otherShape[1].DenseLayerMACs -= 500
	otherShape[1].DenseDecoderMACs += 500
	other := rows()
	for i := range other {
		other[i].Point.Checkpoint = strings.Replace(other[i].Point.Checkpoint, "egru-pruned", "lstm-pruned", 1)
		other[i].Checkpoint = strings.Replace(other[i].Checkpoint, "egru-pruned", "lstm-pruned", 1)
	}
	other[0].Point.Checkpoint, other[0].Checkpoint = "/runs/lstm/best", "/runs/lstm/best"
	missing := rows()[:2]
	extra := append(rows(), benchRow(point("egru", 0.95, 150, 3e6, 3, 20, 3e6/50), 12, 10))
	reordered := rows()
	reordered[0], reordered[2] = reordered[2], reordered[0]

	for _, c := range []struct {
		name     string
		rows     []BenchRow
		want     []int    // the row of each point
		warnings []string // each a part of one warning, in order
	}{
		{"same", rows(), []int{0, 1, 2}, nil},
		{"reordered", reordered, []int{2, 1, 0}, nil},
		{"renamed", renamed, []int{0, 1, 2}, nil},
		{"changed", changed, []int{0, 1, -1}, []string{"level 90% (egru-pruned/level-0.9/best): timed as level 90% with test ppl 141 and 111111.11111111111 effective MACs/token, summary.json now says level 90% with 140 and 111111.11111111111"}},
		{"other cell", otherCell, []int{0, -1, 2}, []string{"level 75% (egru-pruned/level-0.75/best): timed an lstm, the sweep is of egru"}},
		{"other shape", otherShape, []int{0, -1, 2}, []string{"timed a model of 3.001e+06 dense MACs/token (2.9995e+06 in the layers), summary.json counts 3.001e+06 (3e+06)"}},
		{"another sweep", other, []int{-1, -1, -1}, []string{"times other checkpoints (/runs/lstm/best, " + other[1].Checkpoint}},
		{"missing", missing, []int{0, 1, -1}, []string{"level 90% (egru-pruned/level-0.9/best): the file has no timing of it"}},
		{"extra", extra, []int{0, 1, 2}, []string{"times 1 checkpoint(s) that summary.json does not list (" + extra[3].Checkpoint + ")"}},
		{"empty", []BenchRow{}, []int{-1, -1, -1}, []string{"holds no timings"}},
	} {
		s, warnings := attach(c.rows)
		if got := attachedTo(s, c.rows); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: points got rows %v, want %v", c.name, got, c.want)
		}
		if len(warnings) != len(c.warnings) {
			t.Errorf("%s: warnings %q, want %d", c.name, warnings, len(c.warnings))
		} else {
			for i, w := range c.warnings {
				if !strings.Contains(warnings[i], w) || !strings.HasPrefix(warnings[i], filepath.Join("egru-pruned", InferBenchFile)+": ") {
					t.Errorf("%s: warning %q, want one naming the file and saying %q", c.name, warnings[i], w)
				}
			}
		}
		if timed := c.want[0] >= 0 || c.want[1] >= 0 || c.want[2] >= 0; (s.Bench != nil) != timed || (timed && !reflect.DeepEqual(*s.Bench, testBenchSetup)) {
			t.Errorf("%s: sweep setup %+v, want the file's when a row is attached and none otherwise", c.name, s.Bench)
		}
	}

	// summary.json keeps no timing, even when its points carry one.
	s, _ := attach(rows())
	if err := WriteSummary("again", Summary{Points: s.Points}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join("again", SummaryFile)); s.Points[0].Bench == nil || bytes.Contains(b, []byte(`"bench"`)) {
		t.Error("summary.json holds a timing")
	}
	// Without the file nothing is attached, and an attachment made before
	// goes.
	os.Remove(filepath.Join("egru-pruned", InferBenchFile))
	if warnings, err := AttachBench(&s); err != nil || warnings != nil || s.Bench != nil || s.Points[0].Bench != nil {
		t.Errorf("no file: %v %q, sweep setup %v, first point %v; want nothing", err, warnings, s.Bench, s.Points[0].Bench)
	}
}

// TestSpeedLines: the speed figure draws, for each timed sweep, the layers'
// line (counted reduction, measured speedup of the layers) and then the
// whole model's, dashed and unlabelled, with no legend entry of its own, in
// the colour and marker of the sweep's place among all sweeps, the layers'
// points labelled with their levels; an untimed sweep has no line, and a point that was not timed
// is left out of its sweep's lines.
func TestSpeedLines(t *testing.T) {
	sweeps := studySweeps(t, t.TempDir())
	sweeps[1].Points[1].Bench = nil // a level whose timing did not match
	lines, err := speedLines(sweeps)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 {
		t.Fatalf("%d lines, want the layers' and the whole model's of egru-sweep (baseline is not timed)", len(lines))
	}
	timedPts := []Point{sweeps[1].Points[0], sweeps[1].Points[2]}
	for i, c := range []struct {
		name   string
		dashed bool
		xy     func(*BenchRow) (float64, float64)
	}{
		{"egru-sweep", false, func(b *BenchRow) (float64, float64) { return b.LayerReduction, b.LayerSpeedup }},
		{"egru-sweep, whole model", true, func(b *BenchRow) (float64, float64) { return b.Reduction, b.Speedup }},
	} {
		ln := lines[i]
		if ln.name != c.name || ln.series != 1 || (len(ln.dashes) > 0) != c.dashed || ln.legend == c.dashed || len(ln.xys) != len(timedPts) {
			t.Errorf("line %d: %q series %d dashes %v legend %v with %d points; want %q series 1, dashed %v, legend %v, %d points",
				i, ln.name, ln.series, ln.dashes, ln.legend, len(ln.xys), c.name, c.dashed, !c.dashed, len(timedPts))
			continue
		}
		for j, p := range timedPts {
			x, y := c.xy(p.Bench)
			if ln.xys[j].X != x || ln.xys[j].Y != y {
				t.Errorf("%s point %d at (%v, %v), want (%v, %v)", c.name, j, ln.xys[j].X, ln.xys[j].Y, x, y)
			}
		}
		// The layers' points are labelled with their levels, the whole model's not.
		if want := []string{"0%", "90%"}; c.dashed && ln.labels != nil || !c.dashed && !reflect.DeepEqual(ln.labels, want) {
			t.Errorf("%s: labels %q, want %q on the layers' line and none on the whole model's", c.name, ln.labels, want)
		}
	}
	if _, err := NewSpeedFigure(sweeps[:1]); err == nil {
		t.Error("a speed figure of untimed sweeps was drawn")
	}
	sweeps[1].Points[2].Bench.Speedup = math.NaN()
	if _, err := speedLines(sweeps); err == nil || !strings.Contains(err.Error(), "egru-sweep: level 0.9") {
		t.Errorf("a NaN speedup: err = %v, want one naming egru-sweep level 0.9", err)
	}
}

// TestSpeedFigureRanges: both axes of the speed figure are logarithmic and
// share one range, fitted to every point's speedup and reduction with the
// margins of the other figures; the line y = x runs corner to corner of it;
// the axes carry four or more labels, plain numbers with ×.
func TestSpeedFigureRanges(t *testing.T) {
	factor := regexp.MustCompile(`^(0\.[0-9]*[1-9]|[1-9][0-9]*(\.[0-9]*[1-9])?)×$`)
	for _, study := range []func(*testing.T, string) []Sweep{studySweeps, fourSweeps} {
		sweeps := study(t, t.TempDir())
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range sweeps {
			for _, p := range s.Points {
				if b := p.Bench; b != nil {
					for _, v := range []float64{b.LayerReduction, b.LayerSpeedup, b.Reduction, b.Speedup} {
						lo, hi = math.Min(lo, v), math.Max(hi, v)
					}
				}
			}
		}
		f, err := NewSpeedFigure(sweeps)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%d sweeps", len(sweeps))
		span := math.Log10(hi / lo)
		for _, ax := range []struct {
			name string
			axis *plot.Axis
		}{{"x", &f.Plot.X}, {"y", &f.Plot.Y}} {
			a := ax.axis
			if _, ok := a.Scale.(plot.LogScale); !ok {
				t.Errorf("%s: %s axis scale %T, want a log scale", name, ax.name, a.Scale)
			}
			below, above := math.Log10(lo/a.Min), math.Log10(a.Max/hi)
			if !(below > 0 && above > 0 && below <= 0.1*span && above <= 0.1*span) {
				t.Errorf("%s: %s axis [%v, %v] for points in [%v, %v]: margins %.3f and %.3f decades, want (0, %.3f]", name, ax.name, a.Min, a.Max, lo, hi, below, above, 0.1*span)
			}
			var labels []string
			for _, tk := range a.Tick.Marker.Ticks(a.Min, a.Max) {
				if tk.Label != "" {
					labels = append(labels, tk.Label)
					if !factor.MatchString(tk.Label) {
						t.Errorf("%s: %s tick %q, want a plain number with ×", name, ax.name, tk.Label)
					}
				}
			}
			if len(labels) < minLogLabels {
				t.Errorf("%s: %s axis labels %q, want %d or more", name, ax.name, labels, minLogLabels)
			}
		}
		if f.Plot.X.Min != f.Plot.Y.Min || f.Plot.X.Max != f.Plot.Y.Max {
			t.Errorf("%s: x axis [%v, %v], y axis [%v, %v]: want one range", name, f.Plot.X.Min, f.Plot.X.Max, f.Plot.Y.Min, f.Plot.Y.Max)
		}
		if g := f.labels.guides; len(g) != 1 || len(g[0]) != 2 || g[0][0].X != f.Plot.X.Min || g[0][0].Y != f.Plot.X.Min || g[0][1].X != f.Plot.X.Max || g[0][1].Y != f.Plot.X.Max {
			t.Errorf("%s: guides %v, want y = x from corner to corner", name, g)
		}
		var keys []string
		for _, e := range f.legend {
			keys = append(keys, e.text)
		}
		if n := len(keys); n < 4 || keys[n-4] != layersKey || keys[n-3] != modelKey || keys[n-2] != diagonalKey || keys[n-1] != levelNote {
			t.Errorf("%s: legend %q, want it to end with the line styles, %q and the level note", name, keys, diagonalKey)
		}
	}
}

// TestMarkdownUntimed: a report of sweeps none of which was timed says so
// and how to time one, has no speed table, writes no speed figure and
// removes one that an earlier report left in its directory.
func TestMarkdownUntimed(t *testing.T) {
	root := t.TempDir()
	sweeps := studySweeps(t, root)
	out := filepath.Join(root, "out")
	os.MkdirAll(out, 0o755)
	for _, ext := range []string{".png", ".svg"} { // an earlier report's, of a timed sweep
		os.WriteFile(filepath.Join(out, SpeedPlotFile+ext), []byte("old"), 0o644)
	}
	untimed := []Sweep{sweeps[0]}
	written, err := Write(out, untimed, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !bytes.Contains(md, []byte("No sweep has been timed")) || !bytes.Contains(md, []byte("`sparselm bench infer --sweep DIR`")) ||
		bytes.Contains(md, []byte("dense tok/s")) {
		t.Errorf("report.md of an untimed sweep:\n%s", md)
	}
	for _, ext := range []string{".png", ".svg"} {
		if _, err := os.Stat(filepath.Join(out, SpeedPlotFile+ext)); !os.IsNotExist(err) {
			t.Errorf("%s%s is left from the earlier report (%v)", SpeedPlotFile, ext, err)
		}
	}
	for _, p := range written {
		if strings.Contains(p, SpeedPlotFile) {
			t.Errorf("wrote %s for an untimed sweep", p)
		}
	}
}
