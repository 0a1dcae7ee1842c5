package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/report"
)

// fakeSweep writes a two-point EGRU sweep on dataset into dir, as `sparselm
// prune` leaves it (its figures are made up).
func fakeSweep(t *testing.T, dir, dataset string) {
	t.Helper()
	pt := func(kind string, level, ppl, effective float64) report.Point {
		c := measure.Component{MACs: measure.MACs{Dense: 3000, WeightSparse: 3000 / (1 + 9*level), ActivityOnly: 1000, Effective: effective},
			Factors: measure.Factors{Activity: 3, Weight: 1 + 9*level, Product: 3 * (1 + 9*level), Effective: 3000 / effective}}
		return report.Point{Kind: kind, Level: level, Checkpoint: "ckpt", TestPPL: ppl,
			Stats: &measure.Report{Cell: "egru", PPL: ppl, Recurrent: c, Model: c, DenseLSTM: measure.Pair{Recurrent: 4000, Model: 4000},
				VsDenseLSTM: measure.Pair{Recurrent: 4000 / effective, Model: 4000 / effective}}}
	}
	s := report.Summary{Setup: report.Setup{Dataset: dataset, Preset: "tiny", Criterion: "magnitude", Schedule: "iterative"},
		Points: []report.Point{pt(report.KindStart, 0, 120, 1000), pt(report.KindLevel, 0.9, 140, 3000.0/27)}}
	if err := report.WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
}

// TestReportDefaultOut: without --out, report writes under runs/ (runs/report),
// not into ./report, which in a checkout is the report package's directory;
// the tables name each sweep's dataset, preset, criterion and schedule.
func TestReportDefaultOut(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	fakeSweep(t, filepath.Join(cwd, "egru-pruned"), "ptb")
	env, stdout, stderr := fakeEnv(nil)
	if err := Run(context.Background(), env, []string{"report", "egru-pruned"}); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(cwd, "runs", "report", "report.md")); err != nil {
		t.Error(err)
	}
	checkAbsent(t, filepath.Join(cwd, "report"))
	if !strings.Contains(stdout.String(), "| egru-pruned | egru | ptb | tiny | magnitude | iterative |") {
		t.Errorf("the tables do not show the sweep's setup:\n%s", stdout)
	}
}

// TestReportRefusesMixedDatasets: sweeps on PTB and WikiText-2 cannot share
// a table or a plot; report says which sweep is on which and writes nothing.
func TestReportRefusesMixedDatasets(t *testing.T) {
	root := t.TempDir()
	fakeSweep(t, filepath.Join(root, "lstm-ptb"), "ptb")
	fakeSweep(t, filepath.Join(root, "egru-wt2"), "wikitext-2")
	out := filepath.Join(root, "report")
	_, _, err := run(t, "report", "--out", out, filepath.Join(root, "lstm-ptb"), filepath.Join(root, "egru-wt2"))
	if err == nil || !strings.Contains(err.Error(), "lstm-ptb on ptb, egru-wt2 on wikitext-2") {
		t.Errorf("report of sweeps on two datasets: err = %v, want one naming each sweep's dataset", err)
	}
	checkAbsent(t, out)
}

// TestReportArguments: flags may follow the directories, and a directory
// that does not exist is said to be missing (not to lack a summary.json),
// by report and by bench infer --sweep alike.
func TestReportArguments(t *testing.T) {
	root := t.TempDir()
	sweep := filepath.Join(root, "egru-pruned")
	fakeSweep(t, sweep, "ptb")
	out := filepath.Join(root, "out")
	if _, stderr, err := run(t, "report", sweep, "--out", out, "--names", "EGRU"); err != nil {
		t.Fatalf("report DIR --out --names: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "report.md")); err != nil {
		t.Errorf("report DIR --out %s: %v", out, err)
	}
	missing, file := filepath.Join(root, "nope"), filepath.Join(sweep, report.SummaryFile)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", missing}, "report: " + missing + " does not exist (name a directory written by `sparselm prune --out`)"},
		{[]string{"report", file}, "report: " + file + " is not a directory"},
		{[]string{"report", root}, "report: " + root + ": no summary.json"},
		{[]string{"bench", "infer", "--sweep", missing}, "bench infer: " + missing + " does not exist"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}
}
