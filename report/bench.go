package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/sparselm/sparselm/infer"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/provenance"
)

// InferBenchFile is the file of a sweep's directory that holds the timings
// of `sparselm bench infer --sweep`: an InferBench, written by
// WriteInferBench, attached to the sweep's points by AttachBench.
const InferBenchFile = "infer-bench.json"

// BenchSetup is where and how a sweep's engines were timed: the session
// that timed them, the machine (CPU model and the tensor kernel in use,
// tensor.Features) and the settings of infer.Bench (Steps timed tokens per
// repeat after Warmup untimed ones, the median of Repeats), at batch 1 on
// one thread. Its JSON fields are those of `sparselm bench infer --json`.
type BenchSetup struct {
	Provenance *provenance.Provenance `json:"provenance,omitempty"`
	CPU        string                 `json:"cpu"`
	Kernel     string                 `json:"kernel"`
	Steps      int                    `json:"steps"`
	Warmup     int                    `json:"warmup"`
	Repeats    int                    `json:"repeats"`
	Threads    int                    `json:"threads"`
	Batch      int                    `json:"batch"`
}

// PointKey is what summary.json said of a point when its checkpoint was
// timed: AttachBench attaches a timing only to a point that still says the
// same, so a sweep pruned again after it was timed does not show the old
// speed.
type PointKey struct {
	Checkpoint string  `json:"checkpoint"` // as summary.json names it
	Kind       string  `json:"kind"`
	Level      float64 `json:"level"`
	TestPPL    float64 `json:"test_ppl"`
	// EffectiveMACs is the recurrent layers' effective MACs per token on
	// the test split (Stats.Recurrent.MACs.Effective).
	EffectiveMACs float64 `json:"recurrent_effective_macs"`
}

// KeyOf returns the key of p. It panics if p has no Stats (Read refuses such points).
func KeyOf(p Point) *PointKey {
	return &PointKey{Checkpoint: p.Checkpoint, Kind: p.Kind, Level: p.Level, TestPPL: p.TestPPL, EffectiveMACs: p.Stats.Recurrent.MACs.Effective}
}

// BenchRow is the timing of one checkpoint: the two engines at batch 1
// (infer.Comparison: ns per token and tokens/s, the dense MACs per token
// and the MACs the event engine executed on the first timed tokens, the
// fraction of each layer's outputs that were non-zero) and the ratios
// derived from it.
type BenchRow struct {
	Checkpoint     string    `json:"checkpoint"`      // the directory timed, absolute
	Point          *PointKey `json:"point,omitempty"` // the sweep's point, for a row of --sweep
	Cell           string    `json:"cell"`
	WeightSparsity float64   `json:"weight_sparsity"` // prune.Sparsity of the checkpoint
	Tokens         string    `json:"tokens"`          // TokensTest or TokensRandom
	infer.Comparison
	Speedup        float64 `json:"speedup"`         // event over dense tokens/s, whole model
	Reduction      float64 `json:"reduction"`       // counted: dense MACs / executed MACs, whole model
	LayerSpeedup   float64 `json:"layer_speedup"`   // recurrent layers alone
	LayerReduction float64 `json:"layer_reduction"` // recurrent layers alone
}

// The token sources of a BenchRow.
const (
	TokensTest   = "test"   // the test split of the checkpoint's dataset
	TokensRandom = "random" // uniform random ids: the dataset did not resolve
)

// NewBenchRow returns the row of a checkpoint timed as c, with its ratios.
func NewBenchRow(checkpoint, cell string, weightSparsity float64, tokens string, c infer.Comparison) BenchRow {
	return BenchRow{Checkpoint: checkpoint, Cell: cell, WeightSparsity: weightSparsity, Tokens: tokens, Comparison: c,
		Speedup: c.Speedup(), Reduction: c.Reduction(), LayerSpeedup: c.LayerSpeedup(), LayerReduction: c.LayerReduction()}
}

// InferBench is the content of infer-bench.json: the setup and a row per
// checkpoint, in the order of the sweep's points.
type InferBench struct {
	BenchSetup
	Checkpoints []BenchRow `json:"checkpoints"`
}

// WriteInferBench replaces dir/infer-bench.json with b atomically
// (ckptdir.WriteFile). The directory must exist (it is a sweep's).
func WriteInferBench(dir string, b InferBench) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return ckptdir.WriteFile(filepath.Join(dir, InferBenchFile), append(data, '\n'))
}

// ReadInferBench reads dir/infer-bench.json. It returns nil and no error
// when the file does not exist, and an error naming the file when it
// cannot be read or parsed.
func ReadInferBench(dir string) (*InferBench, error) {
	path := filepath.Join(dir, InferBenchFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var b InferBench
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &b, nil
}

// CheckpointPath is where the checkpoint that summary.json of the sweep in
// dir names is: the path itself when it exists or is absolute (`sparselm
// prune` writes it as it was given, relative to the directory prune ran
// in); else the path under dir, or the shortest tail of it that exists
// under dir (level-0.90/best of runs/egru-pruned/level-0.90/best, when the
// sweep is read from another directory); else the path as it is.
func CheckpointPath(dir, checkpoint string) string {
	if _, err := os.Stat(checkpoint); err == nil || filepath.IsAbs(checkpoint) {
		return checkpoint
	}
	parts := strings.Split(filepath.ToSlash(filepath.Clean(checkpoint)), "/")
	for i := range parts {
		p := filepath.Join(dir, filepath.Join(parts[i:]...))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return checkpoint
}

// AttachBench reads the infer-bench.json of s (in s.Dir) when there is one
// and attaches each row to the point it timed: the row whose key names the
// point's checkpoint (as summary.json names it, or the same directory once
// resolved by CheckpointPath) and still says what the point says (the same
// kind, level, test perplexity and effective MACs), of the sweep's cell and
// with the dense MACs per token of the point's accounting. Every point and
// row that does not match is left out with a warning saying what differs:
// a file of another sweep, or one timed before the sweep was pruned again,
// attaches nothing wrong. s.Bench is set when a row was attached. It
// returns an error only for a file that cannot be read or parsed.
func AttachBench(s *Sweep) (warnings []string, err error) {
	s.Bench = nil
	for i := range s.Points {
		s.Points[i].Bench = nil
	}
	b, err := ReadInferBench(s.Dir)
	if err != nil || b == nil {
		return nil, err
	}
	file := filepath.Join(s.Dir, InferBenchFile)
	warn := func(format string, args ...any) {
		warnings = append(warnings, fmt.Sprintf("%s: ", file)+fmt.Sprintf(format, args...))
	}
	if len(b.Checkpoints) == 0 {
		warn("holds no timings")
		return warnings, nil
	}
	used := make([]bool, len(b.Checkpoints))
	attached := 0
	type miss struct {
		p    Point
		what string
	}
	var misses []miss
	for i := range s.Points {
		p := &s.Points[i]
		abs, _ := filepath.Abs(CheckpointPath(s.Dir, p.Checkpoint))
		j := -1
		for k, r := range b.Checkpoints {
			if !used[k] && r.Point != nil && (r.Point.Checkpoint == p.Checkpoint || r.Checkpoint == abs) {
				j = k
				break
			}
		}
		if j < 0 {
			misses = append(misses, miss{*p, "the file has no timing of it"})
			continue
		}
		used[j] = true
		if diff := benchDiff(s.Cell, *p, b.Checkpoints[j]); diff != "" {
			misses = append(misses, miss{*p, diff})
			continue
		}
		row := b.Checkpoints[j]
		p.Bench = &row
		attached++
	}
	var extra []string
	for k, r := range b.Checkpoints {
		if !used[k] {
			extra = append(extra, r.Checkpoint)
		}
	}
	if len(extra) == len(b.Checkpoints) {
		// No row names a checkpoint of this sweep.
		var listed []string
		for _, p := range s.Points {
			listed = append(listed, p.Checkpoint)
		}
		warn("times other checkpoints (%s) than summary.json lists (%s): another sweep's timings? none is shown",
			strings.Join(extra, ", "), strings.Join(listed, ", "))
		return warnings, nil
	}
	for _, m := range misses {
		warn("%s (%s): %s; its timing is left out", pointText(m.p.Kind, m.p.Level), m.p.Checkpoint, m.what)
	}
	if len(extra) > 0 {
		warn("times %d checkpoint(s) that summary.json does not list (%s); left out", len(extra), strings.Join(extra, ", "))
	}
	if attached > 0 {
		setup := b.BenchSetup
		s.Bench = &setup
	}
	return warnings, nil
}

// benchDiff says how row r differs from point p of a sweep of cell cell,
// or "" when it is p's timing.
func benchDiff(cell string, p Point, r BenchRow) string {
	var d []string
	if k := r.Point; k.Kind != p.Kind || k.Level != p.Level || k.TestPPL != p.TestPPL || k.EffectiveMACs != p.Stats.Recurrent.MACs.Effective {
		d = append(d, fmt.Sprintf("timed as %s with test ppl %g and %g effective MACs/token, summary.json now says %s with %g and %g",
			pointText(k.Kind, k.Level), k.TestPPL, k.EffectiveMACs, pointText(p.Kind, p.Level), p.TestPPL, p.Stats.Recurrent.MACs.Effective))
	}
	if r.Cell != cell {
		d = append(d, fmt.Sprintf("timed an %s, the sweep is of %s", r.Cell, cell))
	}
	layers, model := float64(r.DenseLayerMACs), float64(r.DenseLayerMACs+r.DenseDecoderMACs)
	// Both are integer counts per token, exact in float64 (measure divides
	// n·dense by n tokens); the tolerance only absorbs a last-bit rounding.
	if !near(layers, p.Stats.Recurrent.MACs.Dense) || !near(model, p.Stats.Model.MACs.Dense) {
		d = append(d, fmt.Sprintf("timed a model of %g dense MACs/token (%g in the layers), summary.json counts %g (%g)",
			model, layers, p.Stats.Model.MACs.Dense, p.Stats.Recurrent.MACs.Dense))
	}
	return strings.Join(d, "; ")
}

// pointText names a point in a warning: the start, or its level.
func pointText(kind string, level float64) string {
	if kind == KindStart {
		return "the start"
	}
	return "level " + levelLabel(level)
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }

// writeSpeedMarkdown writes the section of report.md on measured speed:
// where each sweep was timed, and per point the engines' tokens/s and the
// measured speedup beside the counted reduction, "–" where a point was not
// timed; without any timing, only a paragraph saying how to get one.
func writeSpeedMarkdown(b *strings.Builder, sweeps []Sweep, rows []Row) {
	b.WriteString("\n## Measured speed of the event engine\n\n")
	var untimed []string
	for _, s := range sweeps {
		if s.Bench == nil {
			untimed = append(untimed, s.Name)
		}
	}
	if len(untimed) == len(sweeps) {
		fmt.Fprintf(b, "No sweep has been timed (no %s with timings of its checkpoints), so this report has no measured speed "+
			"and no %s.png figure. `sparselm bench infer --sweep DIR` times the dense and the event engine on every checkpoint "+
			"of a sweep and stores the timings in DIR/%s.\n", InferBenchFile, SpeedPlotFile, InferBenchFile)
		return
	}
	fmt.Fprintf(b, "Timed by `sparselm bench infer --sweep` (each sweep's %s): the dense and the event engine on every checkpoint, "+
		"streaming at batch 1 on one thread, the median ns per token of the repeats (tok/s: the whole model). Speedup is the event engine's tokens/s over "+
		"the dense engine's, for the recurrent layers (the embedding lookup and the layers, no decoder) and for the whole model; "+
		"the counted reduction is the dense MACs per token over the MACs the event engine executed on the timed tokens; "+
		"speed / counted is the share of the counted reduction that the engine turned into speed.", InferBenchFile)
	if len(untimed) > 0 {
		fmt.Fprintf(b, " Not timed (no %s, or none of its timings matches the sweep): %s; their rows read – and they have no line in %s.png.",
			InferBenchFile, strings.Join(untimed, ", "), SpeedPlotFile)
	}
	b.WriteString("\n\n| sweep | CPU | kernel | timing | timed by |\n|---|---|---|---|---|\n")
	for _, s := range sweeps {
		t := s.Bench
		if t == nil {
			fmt.Fprintf(b, "| %s | – | – | not timed | – |\n", s.Name)
			continue
		}
		threads := "threads"
		if t.Threads == 1 {
			threads = "thread"
		}
		fmt.Fprintf(b, "| %s | %s | %s | median of %d × %d tokens after %d warmup; batch %d, %d %s | %s |\n",
			s.Name, orUnknown(t.CPU), orUnknown(t.Kernel), t.Repeats, t.Steps, t.Warmup, t.Batch, t.Threads, threads, sessionText(t.Provenance))
	}
	b.WriteString("\n| sweep | level | tokens | dense tok/s | event tok/s | speedup, layers | counted red., layers | speed / counted, layers | " +
		"speedup, model | counted red., model | speed / counted, model |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		t := r.Point.Bench
		if t == nil {
			fmt.Fprintf(b, "| %s | %s | – | – | – | – | – | – | – | – | – |\n", r.Sweep, levelText(r))
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %.0f | %.0f | %.2f× | %.2f× | %.2f | %.2f× | %.2f× | %.2f |\n", r.Sweep, levelText(r), tokensText(t.Tokens),
			t.Dense.TokensPerS, t.Event.TokensPerS, t.LayerSpeedup, t.LayerReduction, t.LayerSpeedup/t.LayerReduction,
			t.Speedup, t.Reduction, t.Speedup/t.Reduction)
	}
}

// sessionText names the session that timed a sweep: when, with which
// sparselm and revision.
func sessionText(p *provenance.Provenance) string {
	if p == nil {
		return "?"
	}
	rev := p.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return fmt.Sprintf("sparselm %s (%s), %s", p.Version, rev, p.Started.UTC().Format("2006-01-02 15:04 UTC"))
}

// tokensText is the token source of a timing for the tables.
func tokensText(tokens string) string {
	switch tokens {
	case TokensTest:
		return "test split"
	case TokensRandom:
		return "random ids"
	}
	return orUnknown(tokens)
}
