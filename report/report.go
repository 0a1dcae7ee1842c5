package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/provenance"
)

// SummaryFile is the file of a pruning sweep's directory that Read loads:
// a Summary, written by `sparselm prune` (WriteSummary); SummaryCSVFile
// holds its points as CSV.
const (
	SummaryFile    = "summary.json"
	SummaryCSVFile = "summary.csv"
)

// The kinds of Point: what a row of the tables is.
const (
	KindStart = "start" // the checkpoint the sweep started from, not pruned by it (Level 0)
	KindLevel = "level" // the best checkpoint of one pruning level, at target sparsity Level
)

// Point is one model of a sweep: the starting checkpoint or the best
// checkpoint of one pruning level, measured on the test split. It is the
// row of summary.json. A perplexity that was not measured is zero: the
// starting checkpoint is not fine-tuned and has no ValidPPL (the tables
// leave it empty).
type Point struct {
	// Kind is KindStart or KindLevel. Summaries written before it existed
	// have none: their first point is the start (see Read).
	Kind       string  `json:"kind,omitempty"`
	Level      float64 `json:"level"` // target sparsity of a KindLevel point; 0 for the start
	Checkpoint string  `json:"checkpoint"`
	// WeightSparsity is over the pruned matrices (the layers' W and R, and
	// the embedding when it was pruned too); Stats has the per-matrix counts.
	WeightSparsity   float64         `json:"weight_sparsity"`
	ValidPPL         float64         `json:"valid_ppl,omitempty"` // best validation perplexity of the fine-tuning
	TestPPL          float64         `json:"test_ppl"`
	ActivitySparsity float64         `json:"activity_sparsity"`
	Stats            *measure.Report `json:"stats"`
	// Bench is the timing of the checkpoint by `sparselm bench infer
	// --sweep` (the sweep's infer-bench.json, attached by AttachBench); nil
	// when it was not timed. summary.json never holds it.
	Bench *BenchRow `json:"bench,omitempty"`
}

// Setup is how a sweep was made: the dataset and preset of the model it
// pruned (train.Options.Dataset and Preset), the pruning criterion and
// schedule, and the checkpoint it started from. An empty field is unknown.
//
// Seed and Group make sweeps the seeds of one model: Seed is the training
// seed of the model the sweep pruned (0: unknown), Group the model's name
// in the report. Sweeps that share a Group are summarised over their seeds
// (SeedGroups); a sweep without a Group, or alone in its group, is reported
// on its own. Both are left out of JSON when unset, so summaries written
// before them read and write the same.
type Setup struct {
	Dataset   string `json:"dataset"`
	Preset    string `json:"preset"`
	Criterion string `json:"criterion"`
	Schedule  string `json:"schedule"`
	Source    string `json:"source"`
	Seed      uint64 `json:"seed,omitempty"`
	Group     string `json:"group,omitempty"`
}

// Summary is the content of a sweep's summary.json: its setup, where it
// came from (the session of `sparselm prune` that finished it) and one
// Point per model, the start first. [WriteSummary] writes it, [Read] reads it.
type Summary struct {
	Setup
	Provenance *provenance.Provenance `json:"provenance,omitempty"`
	Points     []Point                `json:"points"`
}

// Sweep is the points of one pruning sweep, in the order of the file
// (levels ascending), with the sweep's setup and provenance.
type Sweep struct {
	Name string `json:"name"` // the directory's base name, unless given
	Dir  string `json:"dir"`
	Cell string `json:"cell"` // lstm | egru
	Setup
	Provenance *provenance.Provenance `json:"provenance,omitempty"`
	// Bench is where and how the points' Bench timings were taken; nil
	// when no point has one.
	Bench  *BenchSetup `json:"infer_bench,omitempty"`
	Points []Point     `json:"points"`
}

// Read loads the sweep in dir (its summary.json). The name is the
// directory's base name. A point without a Kind gets the one its place says
// (the first is the start, the others are levels), so summaries written
// before Kind existed read the same. Summaries written before Summary
// existed hold only the list of points; their setup is then read from the
// prune.json beside them, as far as it says (see legacySetup). It returns
// an error naming the file when it is missing, unreadable, empty, of an
// unknown kind or lacks the accounting of a point.
func Read(dir string) (Sweep, error) {
	path := filepath.Join(dir, SummaryFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Sweep{}, fmt.Errorf("%s: no %s (is this the output directory of a pruning sweep, `sparselm prune`?)", dir, SummaryFile)
	}
	if err != nil {
		return Sweep{}, err
	}
	var sum Summary
	if trimmed := bytes.TrimSpace(b); len(trimmed) > 0 && trimmed[0] == '[' {
		err = json.Unmarshal(b, &sum.Points)
		sum.Setup = legacySetup(dir)
	} else {
		err = json.Unmarshal(b, &sum)
	}
	if err != nil {
		return Sweep{}, fmt.Errorf("%s: %w", path, err)
	}
	pts := sum.Points
	if len(pts) == 0 {
		return Sweep{}, fmt.Errorf("%s: no levels", path)
	}
	s := Sweep{Name: filepath.Base(filepath.Clean(dir)), Dir: dir, Points: pts}
	s.Setup, s.Provenance = sum.Setup, sum.Provenance
	for i, p := range pts {
		if p.Stats == nil || p.Stats.Recurrent.MACs.Effective <= 0 || !(p.TestPPL > 0) {
			return Sweep{}, fmt.Errorf("%s: level %d (%g) has no perplexity or MAC accounting", path, i, p.Level)
		}
		if p.Kind != "" && p.Kind != KindStart && p.Kind != KindLevel {
			return Sweep{}, fmt.Errorf("%s: level %d (%g) has kind %q, want %q or %q", path, i, p.Level, p.Kind, KindStart, KindLevel)
		}
		pts[i].Kind = kindOf(pts, i)
		if i == 0 {
			s.Cell = p.Stats.Cell
		} else if p.Stats.Cell != s.Cell {
			return Sweep{}, fmt.Errorf("%s: mixes %s and %s models", path, s.Cell, p.Stats.Cell)
		}
	}
	return s, nil
}

// legacySetup reads the setup of a sweep whose summary.json predates
// Summary from the prune.json that `sparselm prune` wrote beside it (the
// fields source, criterion, schedule and finetune.dataset/preset); what it
// cannot read stays unknown.
func legacySetup(dir string) Setup {
	var spec struct {
		Setup
		FineTune struct {
			Dataset string `json:"dataset"`
			Preset  string `json:"preset"`
		} `json:"finetune"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "prune.json")); err == nil && json.Unmarshal(b, &spec) == nil {
		spec.Setup.Dataset, spec.Setup.Preset = spec.FineTune.Dataset, spec.FineTune.Preset
	}
	return spec.Setup
}

// kindOf is the kind of pts[i]: its Kind, or else the start when it is the
// first point (a sweep's file lists the starting checkpoint first) and a
// level otherwise.
func kindOf(pts []Point, i int) string {
	switch {
	case pts[i].Kind != "":
		return pts[i].Kind
	case i == 0:
		return KindStart
	}
	return KindLevel
}

// Row is one line of the study's table: a point, its kind and the sweep it
// belongs to, with the sweep's seed (Setup.Seed, 0 when unknown). The
// figures are in Point.Stats (measure.Report).
type Row struct {
	Sweep, Cell string
	Kind        string // KindStart or KindLevel, never empty
	Seed        uint64
	Point       Point
}

// Rows flattens sweeps into table rows, sweep by sweep. A point without a
// Kind gets the one its place says, as in Read.
func Rows(sweeps []Sweep) []Row {
	var rows []Row
	for _, s := range sweeps {
		for i, p := range s.Points {
			rows = append(rows, Row{Sweep: s.Name, Cell: s.Cell, Kind: kindOf(s.Points, i), Seed: s.Seed, Point: p})
		}
	}
	return rows
}

// CSVHeader names the columns of WriteCSV. Column kind says what a row is
// (KindStart or KindLevel); level is the target sparsity of a level row and
// empty for the start, which was not pruned to a target. The columns from
// bench_tokens to model_counted_reduction are the point's timing (Point.Bench,
// see the package doc). A field is empty when its value was not measured:
// valid_ppl of the start (it is not fine-tuned) or of a level whose
// fine-tuning result is missing, the timing of a point that was not timed,
// and any figure that is NaN (a ratio 0/0). Column seed, the last, is the
// sweep's training seed (Setup.Seed), empty when unknown; it comes after
// checkpoint so that readers of the columns before it keep working.
var CSVHeader = []string{"sweep", "cell", "kind", "level", "weight_sparsity", "recurrent_weight_sparsity", "activity_sparsity",
	"valid_ppl", "test_ppl",
	"recurrent_dense_macs", "recurrent_effective_macs", "model_dense_macs", "model_effective_macs",
	"recurrent_activity_factor", "recurrent_weight_factor", "recurrent_product_factor", "recurrent_effective_factor",
	"model_effective_factor", "recurrent_vs_dense_lstm", "model_vs_dense_lstm",
	"bench_tokens", "dense_tokens_per_s", "event_tokens_per_s",
	"recurrent_measured_speedup", "recurrent_counted_reduction", "model_measured_speedup", "model_counted_reduction",
	"checkpoint", "seed"}

// WriteCSV writes rows with CSVHeader. MACs per token are averages over
// the test split: one decimal, never exponent notation.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	g := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	macs := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	ppl := func(v float64) string { // zero is "not measured": no model has perplexity 0
		if !(v > 0) {
			return ""
		}
		return g(v)
	}
	for _, r := range rows {
		p := r.Point
		rec, m, vs := p.Stats.Recurrent, p.Stats.Model, p.Stats.VsDenseLSTM
		level := g(p.Level)
		if r.Kind == KindStart {
			level = ""
		}
		fields := []string{r.Sweep, r.Cell, r.Kind, level, g(p.WeightSparsity), g(p.Stats.RecurrentWeightSparsity), g(p.ActivitySparsity),
			ppl(p.ValidPPL), ppl(p.TestPPL),
			macs(rec.MACs.Dense), macs(rec.MACs.Effective), macs(m.MACs.Dense), macs(m.MACs.Effective),
			g(rec.Factors.Activity), g(rec.Factors.Weight), g(rec.Factors.Product), g(rec.Factors.Effective),
			g(m.Factors.Effective), g(vs.Recurrent), g(vs.Model)}
		if b := p.Bench; b != nil {
			fields = append(fields, b.Tokens, g(b.Dense.TokensPerS), g(b.Event.TokensPerS),
				g(b.LayerSpeedup), g(b.LayerReduction), g(b.Speedup), g(b.Reduction))
		} else {
			fields = append(fields, "", "", "", "", "", "", "")
		}
		seed := ""
		if r.Seed != 0 {
			seed = strconv.FormatUint(r.Seed, 10)
		}
		cw.Write(append(fields, p.Checkpoint, seed))
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes the study's tables: the sweeps (cell, dataset,
// preset, pruning criterion and schedule), per model perplexity against
// effective MACs per token, and the composition of the two sparsities in
// the recurrent layers (activity factor × weight factor against the
// effective factor that an event-driven engine would get), and the speed
// the event engine measured against the dense engine beside the counted
// reduction (writeSpeedMarkdown).
//
// Sweeps that are seeds of one model (SeedGroups) have, instead of their
// rows in the table of perplexity, a table of the group: per level the mean
// ± sample standard deviation over the seeds (writeSeedMarkdown). The other
// tables list every sweep. It returns an error when a group is not the
// seeds of one model (SeedGroups).
func WriteMarkdown(w io.Writer, sweeps []Sweep) error {
	groups, err := SeedGroups(sweeps)
	if err != nil {
		return err
	}
	rows := Rows(sweeps)
	var b strings.Builder
	b.WriteString("## Sweeps\n\n")
	b.WriteString("| sweep | cell | dataset | preset | criterion | schedule |\n|---|---|---|---|---|---|\n")
	for _, s := range sweeps {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", s.Name, s.Cell, orUnknown(s.Dataset), orUnknown(s.Preset),
			orUnknown(s.Criterion), orUnknown(s.Schedule))
	}
	b.WriteString("\n## Perplexity against multiply-accumulates per token\n\n")
	b.WriteString("Test split, batch 1. MACs per token are effective counts (non-zero inputs × non-zero weights in their rows); " +
		"\"× dense LSTM\" is the dense LSTM of the same sizes over this model's effective count.\n\n")
	single := Rows(singleSeed(sweeps, groups))
	if len(single) > 0 {
		b.WriteString("| sweep | cell | level | weight sparsity (layers) | activity sparsity | valid ppl | test ppl | " +
			"eff. MACs/token, layers | eff. MACs/token, model | × dense LSTM, layers | × dense LSTM, model |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	}
	for _, r := range single {
		p, st := r.Point, r.Point.Stats
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f%% | %.1f%% | %s | %s | %.0f | %.0f | %.2f× | %.2f× |\n",
			r.Sweep, r.Cell, levelText(r), 100*st.RecurrentWeightSparsity, 100*p.ActivitySparsity, pplText(p.ValidPPL),
			pplText(p.TestPPL), st.Recurrent.MACs.Effective, st.Model.MACs.Effective, st.VsDenseLSTM.Recurrent, st.VsDenseLSTM.Model)
	}
	writeSeedMarkdown(&b, groups, len(single) > 0)
	b.WriteString("\n## How the two sparsities compose (recurrent layers)\n\n")
	b.WriteString("Reduction factors against each model's own dense count: activity = dense / activity-only, " +
		"weight = dense / weight-sparse; they compose multiplicatively when effective ≈ activity × weight.\n\n")
	b.WriteString("| sweep | level | activity factor | weight factor | activity × weight | effective | effective / (activity × weight) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		f := r.Point.Stats.Recurrent.Factors
		fmt.Fprintf(&b, "| %s | %s | %.2f× | %.2f× | %.2f× | %.2f× | %.3f |\n",
			r.Sweep, levelText(r), f.Activity, f.Weight, f.Product, f.Effective, f.Effective/f.Product)
	}
	writeSpeedMarkdown(&b, sweeps, rows)
	_, err = io.WriteString(w, b.String())
	return err
}

// orUnknown is a setup field for the tables, "?" when it is not known.
func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// levelText is the level column of the tables: "start" for the starting
// checkpoint, else the target sparsity in percent (0% for a level 0, which
// was fine-tuned, unlike the start).
func levelText(r Row) string {
	if r.Kind == KindStart {
		return KindStart
	}
	return levelLabel(r.Point.Level)
}

// pplText is a perplexity for the tables, "–" when it was not measured.
func pplText(v float64) string {
	if v <= 0 || math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

// Study is the content of report.json: where the report came from (the
// session of `sparselm report` that wrote it), the sweeps with every
// point's accounting, and the groups of sweeps that are seeds of one model
// with their figures over the seeds (SeedGroups; none without such
// groups, and then no "seed_groups").
type Study struct {
	Provenance *provenance.Provenance `json:"provenance,omitempty"`
	Sweeps     []Sweep                `json:"sweeps"`
	SeedGroups []SeedGroup            `json:"seed_groups,omitempty"`
}

// CheckDatasets returns an error unless all sweeps were measured on the
// same dataset, as one table or plot of perplexities requires: the same
// data files (by SHA-256) where the sweeps' provenance records them, else
// the same dataset name (the base name of a directory path). A sweep whose
// dataset is unknown is not compared.
func CheckDatasets(sweeps []Sweep) error {
	var first *Sweep
	for i := range sweeps {
		s := &sweeps[i]
		if dataKey(s) == "" {
			continue
		}
		if first == nil {
			first = s
			continue
		}
		a, b := dataKey(first), dataKey(s)
		if checksums(first) == "" || checksums(s) == "" {
			a, b = filepath.Base(first.Dataset), filepath.Base(s.Dataset)
		}
		if a != b {
			return fmt.Errorf("the sweeps were measured on different datasets: %s on %s, %s on %s; "+
				"their perplexities cannot share a table or a plot, report each dataset on its own",
				first.Name, datasetText(first), s.Name, datasetText(s))
		}
	}
	return nil
}

// dataKey is what identifies a sweep's dataset: the checksums of its data
// files if recorded, else the dataset's base name; "" when unknown.
func dataKey(s *Sweep) string {
	if c := checksums(s); c != "" {
		return c
	}
	if s.Dataset == "" {
		return ""
	}
	return filepath.Base(s.Dataset)
}

// checksums joins the SHA-256 sums of the data files in s's provenance, sorted.
func checksums(s *Sweep) string {
	if s.Provenance == nil || len(s.Provenance.Data) == 0 {
		return ""
	}
	var sums []string
	for _, f := range s.Provenance.Data {
		sums = append(sums, f.SHA256)
	}
	slices.Sort(sums)
	return strings.Join(sums, ",")
}

// datasetText names a sweep's dataset in an error.
func datasetText(s *Sweep) string {
	name := s.Dataset
	if name == "" {
		name = "?"
	}
	if checksums(s) == "" {
		return name
	}
	sum := s.Provenance.Data[0].SHA256
	return fmt.Sprintf("%s (%s: SHA-256 %s…)", name, filepath.Base(s.Provenance.Data[0].Path), sum[:min(12, len(sum))])
}

// WriteSummary writes the summary of a sweep into dir: summary.json (s, as
// Read reads it back) and summary.csv (its points in the columns of
// report.csv, as one sweep named after dir). Both are replaced atomically
// (ckptdir.WriteFile); dir is created if needed.
func WriteSummary(dir string, s Summary) error {
	if len(s.Points) == 0 || s.Points[0].Stats == nil {
		return errors.New("report: a summary needs points with their accounting")
	}
	s.Points = slices.Clone(s.Points)
	for i := range s.Points {
		s.Points[i].Bench = nil // the timings live in infer-bench.json
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := ckptdir.WriteFile(filepath.Join(dir, SummaryFile), append(b, '\n')); err != nil {
		return err
	}
	sweep := Sweep{Name: filepath.Base(filepath.Clean(dir)), Dir: dir, Cell: s.Points[0].Stats.Cell, Setup: s.Setup, Points: s.Points}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, Rows([]Sweep{sweep})); err != nil {
		return err
	}
	return ckptdir.WriteFile(filepath.Join(dir, SummaryCSVFile), csv.Bytes())
}

// checkNames refuses sweeps whose rows could not be told apart: an empty
// name, or two sweeps of the same name (two directories of the same base
// name, or one directory given twice).
func checkNames(sweeps []Sweep) error {
	seen := map[string]string{}
	for _, s := range sweeps {
		if strings.TrimSpace(s.Name) == "" {
			return fmt.Errorf("the sweep in %s has an empty name", s.Dir)
		}
		if d, ok := seen[s.Name]; ok {
			return fmt.Errorf("two sweeps are named %q (%s and %s): their rows could not be told apart; name them apart (sparselm report --names)", s.Name, d, s.Dir)
		}
		seen[s.Name] = s.Dir
	}
	return nil
}

// Write writes the tables and plots of sweeps into dir (created if
// needed): report.md, report.csv, report.json (a Study: prov and the sweeps
// with every point's accounting and timing) and the plots of Plots, each as
// PNG and SVG, then, when a point has a timing (AttachBench), the speed
// figure (NewSpeedFigure, SpeedPlotFile) as PNG and SVG; without timings it
// removes a speed figure that an earlier report left in dir. When sweeps
// are seeds of one model (SeedGroups), it also writes report-seeds.csv
// (SeedsCSVFile, WriteSeedsCSV), report.json holds the groups, and the
// figures draw each group as one line through its means with error bars;
// without such groups it removes a report-seeds.csv that an earlier report
// left. The tables and report.json are replaced atomically
// (ckptdir.WriteFile). It refuses sweeps of different datasets
// (CheckDatasets), and groups that are not the seeds of one model
// (SeedGroups), before writing anything. It returns the paths written.
func Write(dir string, sweeps []Sweep, prov *provenance.Provenance) ([]string, error) {
	if len(sweeps) == 0 {
		return nil, errors.New("no sweeps to report")
	}
	if err := CheckDatasets(sweeps); err != nil {
		return nil, err
	}
	if err := checkNames(sweeps); err != nil {
		return nil, err
	}
	groups, err := SeedGroups(sweeps)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rows := Rows(sweeps)
	var written []string
	write := func(name string, fill func(io.Writer) error) error {
		path := filepath.Join(dir, name)
		var buf bytes.Buffer
		if err := fill(&buf); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := ckptdir.WriteFile(path, buf.Bytes()); err != nil {
			return err
		}
		written = append(written, path)
		return nil
	}
	if err := write("report.md", func(w io.Writer) error { return WriteMarkdown(w, sweeps) }); err != nil {
		return written, err
	}
	if err := write("report.csv", func(w io.Writer) error { return WriteCSV(w, rows) }); err != nil {
		return written, err
	}
	if len(groups) > 0 {
		if err := write(SeedsCSVFile, func(w io.Writer) error { return WriteSeedsCSV(w, groups) }); err != nil {
			return written, err
		}
	} else if err := os.Remove(filepath.Join(dir, SeedsCSVFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return written, err // an earlier report's groups would not be this one's
	}
	if err := write("report.json", func(w io.Writer) error {
		b, err := json.MarshalIndent(Study{Provenance: prov, Sweeps: sweeps, SeedGroups: groups}, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return written, err
	}
	// One figure (lines, ranges, label placement) drawn in both formats.
	save := func(f *Figure, err error, base string) error {
		if err != nil {
			return err
		}
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(dir, base+ext)
			if err := f.Save(path); err != nil {
				return err
			}
			written = append(written, path)
		}
		return nil
	}
	for _, pl := range Plots {
		f, err := NewFigure(pl, sweeps)
		if err := save(f, err, pl.File); err != nil {
			return written, err
		}
	}
	if timed(sweeps) {
		f, err := NewSpeedFigure(sweeps)
		if err := save(f, err, SpeedPlotFile); err != nil {
			return written, err
		}
		return written, nil
	}
	// A speed figure of an earlier report in dir would not be this one's.
	for _, ext := range []string{".png", ".svg"} {
		if err := os.Remove(filepath.Join(dir, SpeedPlotFile+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return written, err
		}
	}
	return written, nil
}

// timed reports whether a point of sweeps has a timing (Point.Bench).
func timed(sweeps []Sweep) bool {
	for _, s := range sweeps {
		for _, p := range s.Points {
			if p.Bench != nil {
				return true
			}
		}
	}
	return false
}
