package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/measure"
)

// point makes a sweep point whose recurrent layers have the given dense
// count, activity and weight factors and effective count; the figures are
// made up, chosen so that every derived column has a known value.
func point(cell string, level, ppl, dense, activity, weight, effective float64) Point {
	rec := measure.Component{Name: "recurrent",
		MACs:    measure.MACs{Dense: dense, WeightSparse: dense / weight, ActivityOnly: dense / activity, Effective: effective},
		Factors: measure.Factors{Activity: activity, Weight: weight, Product: activity * weight, Effective: dense / effective}}
	model := rec
	model.Name, model.MACs.Dense, model.MACs.Effective = "model", dense+1000, effective+1000
	model.Factors.Effective = model.MACs.Dense / model.MACs.Effective
	return Point{Level: level, Checkpoint: "ckpt", WeightSparsity: level, TestPPL: ppl, ValidPPL: ppl + 5,
		ActivitySparsity: 1 - 1/activity,
		Stats: &measure.Report{Cell: cell, PPL: ppl, RecurrentWeightSparsity: level, Recurrent: rec, Model: model,
			VsDenseLSTM: measure.Pair{Recurrent: 4000 / effective, Model: 5000 / (effective + 1000)}}}
}

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

func TestWrite(t *testing.T) {
	root := t.TempDir()
	writeSweep(t, filepath.Join(root, "lstm-sweep"), []Point{
		point("lstm", 0, 100, 4000, 1, 1, 4000), point("lstm", 0.5, 105, 4000, 1, 2, 2000)})
	// EGRU: activity factor 3; at 90% the effective saving is 27×, 0.9 of
	// the product 30×.
	writeSweep(t, filepath.Join(root, "egru-sweep"), []Point{
		point("egru", 0, 120, 3000, 3, 1, 1000), point("egru", 0.9, 140, 3000, 3, 10, 3000.0/27)})
	var sweeps []Sweep
	for _, d := range []string{"lstm-sweep", "egru-sweep"} {
		s, err := Read(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		sweeps = append(sweeps, s)
	}
	if sweeps[0].Name != "lstm-sweep" || sweeps[1].Cell != "egru" || len(sweeps[1].Points) != 2 {
		t.Fatalf("Read: %+v", sweeps)
	}
	out := filepath.Join(root, "out")
	written, err := Write(out, sweeps)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 3+2*len(Plots) {
		t.Errorf("wrote %v", written)
	}

	b, err := os.ReadFile(filepath.Join(out, "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("report.csv: %v", recs)
	}
	col := func(name string) int {
		for i, h := range CSVHeader {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	last := recs[4]
	for name, want := range map[string]string{"sweep": "egru-sweep", "cell": "egru", "level": "0.9", "test_ppl": "140",
		"recurrent_effective_macs": "111.1", "recurrent_product_factor": "30", "recurrent_effective_factor": "27",
		"recurrent_vs_dense_lstm": "36"} {
		if got := last[col(name)]; got != want {
			t.Errorf("report.csv %s = %q, want %q", name, got, want)
		}
	}

	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| egru-sweep | egru | 90% | 90.0% | 66.7% | 145.00 | 140.00 | 111 |",
		"| egru-sweep | 90% | 3.00× | 10.00× | 30.00× | 27.00× | 0.900 |",
		"| lstm-sweep | 50% | 1.00× | 2.00× | 2.00× | 2.00× | 1.000 |",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
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
}

func TestReadErrors(t *testing.T) {
	root := t.TempDir()
	good := point("egru", 0, 120, 3000, 3, 1, 1000)
	noStats := good
	noStats.Stats = nil
	cases := map[string]struct {
		pts  any
		want string
	}{
		"empty":   {[]Point{}, "no levels"},
		"nostats": {[]Point{good, noStats}, "no perplexity or MAC accounting"},
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
