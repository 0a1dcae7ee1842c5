package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// seedSweep is a sweep of group with its seed, its points' kinds set (the
// first is the start), as Read returns it from a summary.json.
func seedSweep(name, group string, seed uint64, pts []Point) Sweep {
	pts = slices.Clone(pts)
	for i := range pts {
		pts[i].Kind = kindOf(pts, i)
	}
	return Sweep{Name: name, Dir: name, Cell: pts[0].Stats.Cell, Points: pts,
		Setup: Setup{Dataset: "ptb", Preset: "small", Criterion: "magnitude", Schedule: "oneshot", Source: name + "/train/best", Seed: seed, Group: group}}
}

// seedStudy is an LSTM sweep on its own (no group) and three seeds of an
// EGRU (group "EGRU"), each pruned to 50% and 90%, with figures chosen so
// that the means and sample standard deviations are round (worked out in
// seedWant). The EGRU's seeds differ in activity (factor 2, 4, 4) and so in
// effective MACs; at 50% their weight sparsities over all pruned matrices
// differ too (0.46, 0.48, 0.50), the layers' do not (0.49).
func seedStudy() []Sweep {
	lstm := seedSweep("baseline", "", 0, []Point{point("lstm", 0, 100, 4000, 1, 1, 4000), point("lstm", 0.5, 105, 4000, 1, 2, 2000)})
	egru := func(seed uint64, ppl [3]float64, activity float64, eff [3]float64, weightSparsity float64) Sweep {
		pts := []Point{point("egru", 0, ppl[0], 3000, activity, 1, eff[0]), point("egru", 0.5, ppl[1], 3000, activity, 2, eff[1]),
			point("egru", 0.9, ppl[2], 3000, activity, 10, eff[2])}
		pts[1].WeightSparsity = weightSparsity
		return seedSweep("EGRU seed "+strconv.FormatUint(seed, 10), "EGRU", seed, pts)
	}
	return []Sweep{lstm,
		egru(1, [3]float64{100, 110, 130}, 2, [3]float64{1000, 500, 100}, 0.46),
		egru(2, [3]float64{102, 112, 136}, 4, [3]float64{1200, 600, 160}, 0.48),
		egru(3, [3]float64{104, 117, 133}, 4, [3]float64{1400, 700, 130}, 0.50)}
}

// timedSeedStudy is seedStudy with every point timed (benchRow), the
// event engine 0.9·r^0.8 times faster at a counted reduction r, as in
// studySweeps; for the figures, to be looked at (TestPlotFiles).
func timedSeedStudy() []Sweep {
	sweeps := seedStudy()
	for _, s := range sweeps {
		for j, p := range s.Points {
			r := benchRow(p, 1, 1)
			b := benchRow(p, 0.9*math.Pow(r.LayerReduction, 0.8), 0.9*math.Pow(r.Reduction, 0.8))
			s.Points[j].Bench = &b
		}
	}
	return sweeps
}

// seedWant is what SeedGroups must find in seedStudy, by hand: mean and
// sample standard deviation sqrt(Σ(x − mean)² / (n − 1)) of the three seeds.
//
//	start ppl 100, 102, 104: 102 ± sqrt((4+0+4)/2) = 2; eff. MACs 1000, 1200, 1400: 1200 ± 200
//	50%   ppl 110, 112, 117: 113 ± sqrt((9+1+16)/2) = sqrt(13); MACs 500, 600, 700: 600 ± 100
//	90%   ppl 130, 136, 133: 133 ± sqrt((9+9+0)/2) = 3; MACs 100, 160, 130: 130 ± 30
//	activity sparsity 1 − 1/2, 1 − 1/4, 1 − 1/4: 2/3 ± sqrt((1/36 + 2/144)/2) = sqrt(1/48)
//	weight sparsity at 50%: 0.46, 0.48, 0.50: 0.48 ± 0.02; the model's MACs are the layers' + 1000
var seedWant = []struct {
	kind                 string
	level                float64
	ppl, macs, weight    Stat
	activity, recWeights Stat
}{
	{KindStart, 0, Stat{3, 102, 2}, Stat{3, 1200, 200}, Stat{3, 0, 0}, Stat{3, 2.0 / 3, math.Sqrt(1.0 / 48)}, Stat{3, 0, 0}},
	{KindLevel, 0.5, Stat{3, 113, math.Sqrt(13)}, Stat{3, 600, 100}, Stat{3, 0.48, 0.02}, Stat{3, 2.0 / 3, math.Sqrt(1.0 / 48)}, Stat{3, 0.49, 0}},
	{KindLevel, 0.9, Stat{3, 133, 3}, Stat{3, 130, 30}, Stat{3, 0.864, 0}, Stat{3, 2.0 / 3, math.Sqrt(1.0 / 48)}, Stat{3, 0.882, 0}},
}

// statNear reports whether a and b have the same N and agree to 12
// digits (or are both NaN): sums of three numbers of a few digits are off
// by a few ulps at most.
func statNear(a, b Stat) bool {
	near := func(x, y float64) bool {
		return math.IsNaN(x) && math.IsNaN(y) || math.Abs(x-y) <= 1e-12*math.Max(1, math.Abs(y))
	}
	return a.N == b.N && near(a.Mean, b.Mean) && near(a.Std, b.Std)
}

// TestNewStat: mean and sample standard deviation (n − 1) of values worked
// out by hand; one value has no standard deviation (NaN).
func TestNewStat(t *testing.T) {
	for _, c := range []struct {
		vs   []float64
		want Stat
	}{
		{[]float64{100, 104, 108}, Stat{3, 104, 4}}, // sqrt((16+0+16)/2)
		{[]float64{1, 2}, Stat{2, 1.5, math.Sqrt(0.5)}},
		{[]float64{5, 5, 5}, Stat{3, 5, 0}},
		{[]float64{7}, Stat{1, 7, math.NaN()}},
	} {
		if got := newStat(c.vs); !statNear(got, c.want) {
			t.Errorf("newStat(%v) = %+v, want %+v", c.vs, got, c.want)
		}
	}
}

// TestSeedGroups: the three EGRU seeds of seedStudy form one group, the
// LSTM on its own none; every figure of every point is the mean ± sample
// standard deviation worked out in seedWant.
func TestSeedGroups(t *testing.T) {
	groups, err := SeedGroups(seedStudy())
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 {
		t.Fatalf("%d groups, want the EGRU's alone", len(groups))
	}
	g := groups[0]
	if g.Name != "EGRU" || g.Cell != "egru" || !reflect.DeepEqual(g.Seeds, []uint64{1, 2, 3}) ||
		!reflect.DeepEqual(g.Sweeps, []string{"EGRU seed 1", "EGRU seed 2", "EGRU seed 3"}) || g.Missing != nil || len(g.Points) != len(seedWant) {
		t.Fatalf("group %+v, want EGRU of egru, seeds 1, 2, 3, nothing missing, %d points", g, len(seedWant))
	}
	for i, w := range seedWant {
		p := g.Points[i]
		model := Stat{w.macs.N, w.macs.Mean + 1000, w.macs.Std}
		for _, f := range []struct {
			name      string
			got, want Stat
		}{
			{"test ppl", p.TestPPL, w.ppl}, {"layers' MACs", p.RecurrentEffectiveMACs, w.macs}, {"model's MACs", p.ModelEffectiveMACs, model},
			{"weight sparsity", p.WeightSparsity, w.weight}, {"activity sparsity", p.ActivitySparsity, w.activity},
			{"layers' weight sparsity", p.RecurrentWeightSparsity, w.recWeights},
		} {
			if !statNear(f.got, f.want) {
				t.Errorf("%s %g: %s %+v, want %+v", w.kind, w.level, f.name, f.got, f.want)
			}
		}
		if p.Kind != w.kind || p.Level != w.level || !reflect.DeepEqual(p.Seeds, []uint64{1, 2, 3}) || p.Bench != nil {
			t.Errorf("point %d: %s %g of seeds %v (bench %v), want %s %g of 1, 2, 3, not timed", i, p.Kind, p.Level, p.Seeds, p.Bench, w.kind, w.level)
		}
	}
}

// TestSeedGroupsMissing: a seed that lacks a level is not an error (a
// study with a failed job still reports): the level is over the seeds that
// have it, n says how many, and the group names what is missing, as does
// report.md; one seed has no standard deviation, which report.md leaves
// out, report-seeds.csv leaves empty and report.json writes as null.
func TestSeedGroupsMissing(t *testing.T) {
	sweeps := seedStudy()
	sweeps[3].Points = sweeps[3].Points[:2] // seed 3: no 90%
	groups, err := SeedGroups(sweeps)
	if err != nil {
		t.Fatal(err)
	}
	p := groups[0].Points[2]
	// ppl 130, 136: 133 ± sqrt((9+9)/1).
	if !reflect.DeepEqual(p.Seeds, []uint64{1, 2}) || !statNear(p.TestPPL, Stat{2, 133, math.Sqrt(18)}) {
		t.Errorf("90%%: seeds %v, ppl %+v; want seeds 1, 2 and 133 ± sqrt(18)", p.Seeds, p.TestPPL)
	}
	missing := "EGRU seed 3 (seed 3) has no point at 90%"
	if !reflect.DeepEqual(groups[0].Missing, []string{missing}) {
		t.Errorf("missing %q, want %q", groups[0].Missing, missing)
	}

	sweeps[2].Points = sweeps[2].Points[:2] // seed 2 neither: 90% of seed 1 alone
	out := t.TempDir()
	if _, err := Write(out, sweeps, nil); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	for _, want := range []string{"Missing: EGRU seed 2 (seed 2) has no point at 90%; EGRU seed 3 (seed 3) has no point at 90%",
		"| 90% | 1 | 88.2% | 50.0% | 130.00 | 100 | 1100 |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	recs := readCSV(t, filepath.Join(out, SeedsCSVFile))
	last := recs[len(recs)-1]
	if col := slices.Index(SeedsCSVHeader, "test_ppl_std"); last[col] != "" || last[slices.Index(SeedsCSVHeader, "n")] != "1" {
		t.Errorf("report-seeds.csv row %q: want n 1 and an empty test_ppl_std", last)
	}
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	var raw struct {
		SeedGroups []struct {
			Points []struct {
				TestPPL map[string]any `json:"test_ppl"`
			} `json:"points"`
		} `json:"seed_groups"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if got := raw.SeedGroups[0].Points[2].TestPPL; got["std"] != nil || got["mean"] != 130.0 || got["n"] != 1.0 {
		t.Errorf("report.json 90%% test_ppl %v, want n 1, mean 130, std null", got)
	}
}

// TestSeedGroupsErrors: sweeps of one group that are not the seeds of one
// model are refused, naming the group and the sweeps, and Write writes
// nothing.
func TestSeedGroupsErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func([]Sweep)
		want   string
	}{
		{"no seed", func(s []Sweep) { s[2].Seed = 0 }, "seed group EGRU: sweep EGRU seed 2 has no seed"},
		{"seed twice", func(s []Sweep) { s[3].Seed = 1 }, "sweeps EGRU seed 1 and EGRU seed 3 both have seed 1"},
		{"cells", func(s []Sweep) { s[0].Group, s[0].Seed = "EGRU", 9 }, "sweep EGRU seed 1 is of egru models, baseline of lstm"},
		{"criteria", func(s []Sweep) { s[2].Criterion = "random" }, "sweeps EGRU seed 1 and EGRU seed 2 differ in criterion (magnitude, random)"},
		{"level twice", func(s []Sweep) { s[1].Points = append(s[1].Points, s[1].Points[2]) }, "sweep EGRU seed 1 has two points at 90%"},
	} {
		sweeps := seedStudy()
		c.change(sweeps)
		_, err := SeedGroups(sweeps)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
		out := filepath.Join(t.TempDir(), "out")
		if _, err := Write(out, sweeps, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Write: err = %v, want %q", c.name, err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: Write made %s (%v), want nothing written", c.name, out, err)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// TestWriteSeeds: with seeds of one model, Write adds report-seeds.csv
// (the group's points, each figure's mean and std), report.csv has every
// seed's rows with its seed in the last column, report.json holds the
// group, and report.md a table of the group instead of its seeds' rows in
// the table of perplexity (testdata/report-seeds.md). A report of the same
// directory without groups removes report-seeds.csv.
func TestWriteSeeds(t *testing.T) {
	sweeps := seedStudy()
	out := t.TempDir()
	written, err := Write(out, sweeps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) < 4 || filepath.Base(written[2]) != SeedsCSVFile || filepath.Base(written[3]) != "report.json" {
		t.Fatalf("wrote %v, want report.md, report.csv, %s, report.json, ...", written, SeedsCSVFile)
	}

	// report.csv: a row per sweep and point, the seed last.
	if n := len(CSVHeader); CSVHeader[n-1] != "seed" || CSVHeader[n-2] != "checkpoint" {
		t.Fatalf("CSVHeader ends %q, want checkpoint, seed", CSVHeader[n-2:])
	}
	var seeds []string
	for _, r := range readCSV(t, filepath.Join(out, "report.csv"))[1:] {
		seeds = append(seeds, r[0]+":"+r[len(r)-1])
	}
	want := []string{"baseline:", "baseline:", "EGRU seed 1:1", "EGRU seed 1:1", "EGRU seed 1:1", "EGRU seed 2:2", "EGRU seed 2:2", "EGRU seed 2:2",
		"EGRU seed 3:3", "EGRU seed 3:3", "EGRU seed 3:3"}
	if !reflect.DeepEqual(seeds, want) {
		t.Errorf("report.csv sweep:seed of the rows %q, want %q", seeds, want)
	}

	// report-seeds.csv: the figures of seedWant, six digits.
	recs := readCSV(t, filepath.Join(out, SeedsCSVFile))
	if !reflect.DeepEqual(recs[0], SeedsCSVHeader) || len(recs) != 1+len(seedWant) {
		t.Fatalf("%s: header %q and %d rows, want SeedsCSVHeader and %d", SeedsCSVFile, recs[0], len(recs)-1, len(seedWant))
	}
	col := func(rec []string, name string) string { return rec[slices.Index(SeedsCSVHeader, name)] }
	for i, w := range seedWant {
		rec := recs[1+i]
		level := strconv.FormatFloat(w.level, 'g', -1, 64)
		if w.kind == KindStart {
			level = ""
		}
		if col(rec, "group") != "EGRU" || col(rec, "kind") != w.kind || col(rec, "level") != level || col(rec, "n") != "3" ||
			col(rec, "seeds") != "1 2 3" || col(rec, "bench_n") != "0" || col(rec, "recurrent_measured_speedup_mean") != "" {
			t.Errorf("%s row %d: %q, want EGRU %s %s over seeds 1 2 3, not timed", SeedsCSVFile, i, rec, w.kind, level)
		}
		for _, f := range []struct {
			name string
			want float64
			tol  float64 // six significant digits; MACs one decimal
		}{
			{"test_ppl_mean", w.ppl.Mean, 5e-6 * w.ppl.Mean}, {"test_ppl_std", w.ppl.Std, 5e-6 * w.ppl.Std},
			{"activity_sparsity_std", w.activity.Std, 5e-6 * w.activity.Std},
			{"recurrent_effective_macs_mean", w.macs.Mean, 0.05}, {"recurrent_effective_macs_std", w.macs.Std, 0.05},
			{"model_effective_macs_mean", w.macs.Mean + 1000, 0.05},
		} {
			if got, err := strconv.ParseFloat(col(rec, f.name), 64); err != nil || math.Abs(got-f.want) > f.tol {
				t.Errorf("%s row %d: %s = %q, want %v", SeedsCSVFile, i, f.name, col(rec, f.name), f.want)
			}
		}
	}

	// report.json: the group, read back as written.
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	var back Study
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	groups, _ := SeedGroups(sweeps)
	if len(back.SeedGroups) != 1 || !statNear(back.SeedGroups[0].Points[1].TestPPL, Stat{3, 113, math.Sqrt(13)}) ||
		back.SeedGroups[0].Name != "EGRU" || !reflect.DeepEqual(back.SeedGroups[0].Seeds, groups[0].Seeds) {
		t.Errorf("report.json seed groups %+v, want the EGRU's", back.SeedGroups)
	}
	if back.Sweeps[1].Seed != 1 || back.Sweeps[1].Group != "EGRU" {
		t.Errorf("report.json sweep %s: seed %d, group %q; want 1, EGRU", back.Sweeps[1].Name, back.Sweeps[1].Seed, back.Sweeps[1].Group)
	}

	// report.md, against its golden file.
	got, _ := os.ReadFile(filepath.Join(out, "report.md"))
	golden := filepath.Join("testdata", "report-seeds.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantMD, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with go test ./report -run TestWriteSeeds -update)", err)
	}
	if !bytes.Equal(got, wantMD) {
		t.Errorf("report.md differs from %s (go test ./report -run TestWriteSeeds -update rewrites it):\n%s", golden, got)
	}
	for _, line := range []string{"n − 1 in the denominator",
		"| 50% | 3 | 49.0% ± 0.0% | 66.7% ± 14.4% | 113.00 ± 3.61 | 600 ± 100 | 1600 ± 100 |"} {
		if !strings.Contains(string(got), line) {
			t.Errorf("report.md lacks %q", line)
		}
	}
	if strings.Contains(string(got), "| EGRU seed 1 | egru | start |") {
		t.Error("report.md lists the seeds' rows in the table of perplexity; want the group's table instead")
	}

	for i := range sweeps {
		sweeps[i].Group = ""
	}
	if _, err := Write(out, sweeps, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, SeedsCSVFile)); !os.IsNotExist(err) {
		t.Errorf("%s of the earlier report is still there (%v)", SeedsCSVFile, err)
	}
}

// TestSingleSeedUnchanged: a sweep alone in its group, with a seed, is
// reported as a sweep without either: report.md equals the golden file of
// studySweeps, report.json has no seed groups, and the figures' lines are
// the same.
func TestSingleSeedUnchanged(t *testing.T) {
	root := t.TempDir()
	plain := studySweeps(t, root)
	seeded := slices.Clone(plain)
	for i := range seeded {
		seeded[i].Seed, seeded[i].Group = uint64(i+1), seeded[i].Name
	}
	out := filepath.Join(root, "out")
	if _, err := Write(out, seeded, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(out, "report.md"))
	want, _ := os.ReadFile(filepath.Join("testdata", "report.md"))
	if !bytes.Equal(got, want) {
		t.Errorf("report.md of single-seed groups differs from testdata/report.md:\n%s", got)
	}
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if bytes.Contains(b, []byte("seed_groups")) {
		t.Error("report.json has seed_groups without a group of two seeds")
	}
	if _, err := os.Stat(filepath.Join(out, SeedsCSVFile)); !os.IsNotExist(err) {
		t.Errorf("wrote %s without a group of two seeds", SeedsCSVFile)
	}
	for _, spec := range Plots {
		a, errA := plotLines(spec, plain)
		b, errB := plotLines(spec, seeded)
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("%s: lines of single-seed groups %+v (%v), want those without groups %+v (%v)", spec.File, b, errB, a, errA)
		}
	}
}

// TestSeedPlotErrorBars: in each plot the group is one line, in the second
// series (after the LSTM's), through the means over the seeds with error
// bars of ± one standard deviation of perplexity and MACs (seedWant); the
// figure draws each bar as a stroke from mean − std to mean + std at the
// mean, and the level labels keep off the bars.
func TestSeedPlotErrorBars(t *testing.T) {
	sweeps := seedStudy()
	spec := Plots[0] // the layers' MACs
	lines, err := plotLines(spec, sweeps)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].name != "baseline (lstm)" || lines[0].yerr != nil || lines[1].name != "EGRU, mean ± std of 3 seeds" ||
		lines[1].series != 1 || !reflect.DeepEqual(lines[1].labels, []string{"0%", "50%", "90%"}) {
		t.Fatalf("lines %+v, want the LSTM's without bars and the EGRU group's", lines)
	}
	g := lines[1]
	for i, w := range seedWant {
		if got := (Stat{3, g.xys[i].X, g.xerr[i]}); !statNear(got, w.macs) {
			t.Errorf("point %d: x %v ± %v, want %+v", i, g.xys[i].X, g.xerr[i], w.macs)
		}
		if got := (Stat{3, g.xys[i].Y, g.yerr[i]}); !statNear(got, w.ppl) {
			t.Errorf("point %d: y %v ± %v, want %+v", i, g.xys[i].Y, g.yerr[i], w.ppl)
		}
	}

	f, err := NewFigure(spec, sweeps)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder.Canvas{}
	c := draw.NewCanvas(rec, FigureWidth, FigureHeight)
	f.Draw(c)
	l := f.layout(c)
	at := func(x, y float64) vg.Point {
		return vg.Point{X: l.data.X(f.Plot.X.Norm(x)), Y: l.data.Y(f.Plot.Y.Norm(y))}
	}
	stroked := func(a, b vg.Point) bool {
		close := func(p, q vg.Point) bool {
			return math.Abs(float64(p.X-q.X)) < 0.01 && math.Abs(float64(p.Y-q.Y)) < 0.01
		}
		for _, act := range rec.Actions {
			if s, ok := act.(*recorder.Stroke); ok && len(s.Path) == 2 && close(s.Path[0].Pos, a) && close(s.Path[1].Pos, b) {
				return true
			}
		}
		return false
	}
	for i, xy := range g.xys {
		if !stroked(at(xy.X, xy.Y-g.yerr[i]), at(xy.X, xy.Y+g.yerr[i])) {
			t.Errorf("no vertical error bar at %v from %v to %v", xy, xy.Y-g.yerr[i], xy.Y+g.yerr[i])
		}
		if !stroked(at(xy.X-g.xerr[i], xy.Y), at(xy.X+g.xerr[i], xy.Y)) {
			t.Errorf("no horizontal error bar at %v from %v to %v", xy, xy.X-g.xerr[i], xy.X+g.xerr[i])
		}
		bar := plotter.XYs{{X: xy.X, Y: xy.Y - g.yerr[i]}, {X: xy.X, Y: xy.Y + g.yerr[i]}}
		if !slices.ContainsFunc(f.labels.guides, func(gd plotter.XYs) bool { return reflect.DeepEqual(gd, bar) }) {
			t.Errorf("the level labels do not keep off the bar %v", bar)
		}
	}
	// The y axis holds the bars: 102 − 2 at the bottom, 133 + 3 at the top.
	if f.Plot.Y.Min >= 100 || f.Plot.Y.Max <= 136 {
		t.Errorf("y axis [%v, %v], want it to hold the bars [100, 136]", f.Plot.Y.Min, f.Plot.Y.Max)
	}
}

// TestSeedSpeedLines: in the speed figure a timed group is one pair of
// lines through the means over its timed seeds, ± one standard deviation
// of speedup (y) and counted reduction (x).
func TestSeedSpeedLines(t *testing.T) {
	sweeps := seedStudy()[1:]
	// Layers: speedups 2, 3, 4 (3 ± 1), reductions 4, 4, 7 (5 ± sqrt(3)); model: half of each.
	for k, v := range [][2]float64{{2, 4}, {3, 4}, {4, 7}} {
		for j := range sweeps[k].Points {
			sweeps[k].Points[j].Bench = &BenchRow{LayerSpeedup: v[0], LayerReduction: v[1], Speedup: v[0] / 2, Reduction: v[1] / 2}
		}
	}
	sweeps[2].Points[2].Bench = nil // seed 3's 90% not timed: over seeds 1 and 2
	lines, err := speedLines(sweeps)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || !lines[0].legend || lines[1].legend || lines[1].dashes == nil {
		t.Fatalf("lines %+v, want the group's layers and whole model", lines)
	}
	layers, model := lines[0], lines[1]
	want := []struct{ x, y Stat }{{Stat{3, 5, math.Sqrt(3)}, Stat{3, 3, 1}}, {Stat{3, 5, math.Sqrt(3)}, Stat{3, 3, 1}},
		{Stat{2, 4, 0}, Stat{2, 2.5, math.Sqrt(0.5)}}}
	for i, w := range want {
		if !statNear(Stat{w.x.N, layers.xys[i].X, layers.xerr[i]}, w.x) || !statNear(Stat{w.y.N, layers.xys[i].Y, layers.yerr[i]}, w.y) {
			t.Errorf("layers point %d: (%v ± %v, %v ± %v), want (%+v, %+v)", i, layers.xys[i].X, layers.xerr[i], layers.xys[i].Y, layers.yerr[i], w.x, w.y)
		}
		if !statNear(Stat{w.y.N, model.xys[i].Y, model.yerr[i]}, Stat{w.y.N, w.y.Mean / 2, w.y.Std / 2}) {
			t.Errorf("model point %d: speedup %v ± %v, want half the layers'", i, model.xys[i].Y, model.yerr[i])
		}
	}
	if _, err := NewSpeedFigure(sweeps); err != nil {
		t.Error(err)
	}
}
