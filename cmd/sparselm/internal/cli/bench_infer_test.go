package cli

import (
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/infer"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/tensor"
	"github.com/sparselm/sparselm/train"
)

// TestBenchInfer runs bench infer on a tiny checkpoint and on a tiny sweep
// (start and two levels): a row per checkpoint with positive figures, JSON
// that parses, and the counted reduction equal to the dense MACs of the
// model's description over the executed MACs of the row. No timing is
// asserted beyond being positive.
func TestBenchInfer(t *testing.T) {
	src := tinyRun(t, "egru")
	sweep := filepath.Join(t.TempDir(), "pruned")
	if _, stderr, err := run(t, "prune", "--ckpt", src, "--levels", "0.5,0.8", "--finetune-epochs", "1", "--epoch-tokens", "300",
		"--quiet", "--stats-bptt", "16", "--threads", "1", "--out", sweep); err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	fast := []string{"--steps", "8", "--warmup", "2", "--repeats", "3", "--data", filepath.Dir(tinyData)}

	prof := filepath.Join(t.TempDir(), "cpu.prof")
	stdout, stderr, err := run(t, append([]string{"bench", "infer", "--ckpt", src, "--cpuprofile", prof}, fast...)...)
	if err != nil {
		t.Fatalf("bench infer --ckpt: %v\n%s", err, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 3 || !strings.Contains(lines[2], "test") {
		t.Errorf("bench infer --ckpt: want a title, a header and one row on the test split:\n%s", stdout)
	}
	// A profile is gzipped protocol buffers (runtime/pprof).
	if b, err := os.ReadFile(prof); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("bench infer --cpuprofile: %v, want a gzipped CPU profile in %s (%d bytes)", err, prof, len(b))
	}

	stdout, stderr, err = run(t, append([]string{"bench", "infer", "--sweep", sweep, "--json"}, fast...)...)
	if err != nil {
		t.Fatalf("bench infer --sweep: %v\n%s", err, stderr)
	}
	var out struct {
		Checkpoints []report.BenchRow `json:"checkpoints"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("bench infer --json: %v\n%s", err, stdout)
	}
	if len(out.Checkpoints) != 3 {
		t.Fatalf("bench infer --sweep: %d rows, want 3 (start, 0.5, 0.8)", len(out.Checkpoints))
	}
	for i, r := range out.Checkpoints {
		if !(r.Dense.TokensPerS > 0 && r.Event.TokensPerS > 0 && r.Speedup > 0 && r.Counts.LayerMACs > 0) || r.Tokens != "test" {
			t.Errorf("row %d: %+v", i, r)
		}
		c, err := train.LoadCheckpoint(r.Checkpoint)
		if err != nil {
			t.Fatal(err)
		}
		var dense int
		d := c.Model.Describe()
		for _, l := range d.Layers {
			dense += l.I*l.G + l.H*l.G
		}
		dense += d.Decoder.E * d.Decoder.V
		if want := float64(dense) / (r.Counts.LayerMACs + r.Counts.DecoderMACs); !closeTo(r.Reduction, want) {
			t.Errorf("row %d: counted reduction %v, want %v", i, r.Reduction, want)
		}
		// The row's executed count is the event engine's own over the first
		// --steps tokens of the test split, counted again here.
		corpus, err := loadCheckpointCorpus(&Env{Getenv: func(string) string { return "" }}, c, "")
		if err != nil {
			t.Fatal(err)
		}
		e, err := infer.NewEvent(c.Model, 1)
		if err != nil {
			t.Fatal(err)
		}
		e.SetCounting(true)
		logits := make([]float32, e.Vocab())
		for i := range 8 {
			e.Step(corpus.Test[i:i+1], logits)
		}
		m := e.MACs()
		executed := m.Decoder
		for _, n := range m.Layers {
			executed += n
		}
		if got := 8 * (r.Counts.LayerMACs + r.Counts.DecoderMACs); !closeTo(got, float64(executed)) {
			t.Errorf("row %d: %v executed MACs over 8 tokens, the engine counts %d", i, got, executed)
		}
	}
	if !(out.Checkpoints[2].WeightSparsity > out.Checkpoints[0].WeightSparsity) {
		t.Errorf("sweep weight sparsities %v, %v", out.Checkpoints[0].WeightSparsity, out.Checkpoints[2].WeightSparsity)
	}
	// A checkpoint whose dataset does not resolve is timed on random ids;
	// the tiny run names its dataset by path, which always resolves, so
	// that branch is not exercised here.

	for _, bad := range [][]string{
		{},                                               // no source
		{"--ckpt", src, "--paper"},                       // two sources
		{"--ckpt", src, "--steps", "0"},                  // no timed tokens
		{"--ckpt", src, "--threads", "2"},                // engines are single-threaded
		{"--shape", "tiny"},                              // unknown shape
		{"--paper", "--sparsities", "x"},                 // not numbers
		{"--paper", "--cell", "gru"},                     // unknown cell
		{"--ckpt", src, "--cell", "lstm"},                // a --paper flag with a checkpoint
		{"--paper", "--cell", "lstm", "--active", "0.2"}, // the LSTM always fires
		{"--sweep", src},                                 // not a sweep
		{"--ckpt", src, "extra"},                         // stray argument
	} {
		if _, _, err := run(t, append([]string{"bench", "infer"}, bad...)...); err == nil {
			t.Errorf("bench infer %v succeeded", bad)
		}
	}
}

func closeTo(a, b float64) bool { d := a - b; return d < 1e-9*b && -d < 1e-9*b }

// TestBenchInferSweepReport: `bench infer --sweep` stores its timings in
// the sweep's infer-bench.json (replaced by a rerun) with the session, the
// machine, the settings and a row per point keyed by what summary.json
// says of it; `report` then shows them beside the counted reduction in
// report.md, report.csv and the speed figure, also when run from another
// directory (summary.json's relative paths no longer resolve as written).
// A timing that no longer matches its point is left out with a warning.
func TestBenchInferSweepReport(t *testing.T) {
	src := tinyRun(t, "egru")
	root := t.TempDir()
	t.Chdir(root)
	rel, err := filepath.Rel(root, src)
	if err != nil {
		t.Fatal(err)
	}
	// Relative paths, as a user types them: summary.json names the
	// checkpoints relative to root.
	if _, stderr, err := run(t, "prune", "--ckpt", rel, "--levels", "0.5,0.8", "--finetune-epochs", "1", "--epoch-tokens", "300",
		"--quiet", "--stats-bptt", "16", "--threads", "1", "--out", "pruned"); err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	bench := func(steps string) {
		t.Helper()
		stdout, stderr, err := run(t, "bench", "infer", "--sweep", "pruned", "--steps", steps, "--repeats", "1", "--warmup", "0")
		if err != nil {
			t.Fatalf("bench infer --sweep: %v\n%s", err, stderr)
		}
		if !strings.Contains(stdout, "wrote "+filepath.Join("pruned", report.InferBenchFile)) {
			t.Errorf("bench infer --sweep does not say it wrote %s:\n%s", report.InferBenchFile, stdout)
		}
	}
	bench("4")
	bench("3") // a rerun replaces the file
	sweep, err := report.Read("pruned")
	if err != nil {
		t.Fatal(err)
	}
	b, err := report.ReadInferBench("pruned")
	if err != nil || b == nil {
		t.Fatalf("infer-bench.json: %v, %v", b, err)
	}
	if b.Steps != 3 || b.Warmup != 0 || b.Repeats != 1 || b.Threads != 1 || b.Batch != 1 || b.CPU == "" || b.Kernel != tensor.Features() {
		t.Errorf("infer-bench.json setup %+v, want steps 3, warmup 0, 1 repeat, 1 thread, batch 1, the CPU and kernel %s", b.BenchSetup, tensor.Features())
	}
	if p := b.Provenance; p == nil || !slices.Equal(p.Command[:3], []string{"sparselm", "bench", "infer"}) || len(p.Data) == 0 {
		t.Errorf("infer-bench.json provenance %+v, want the command and the data files", p)
	}
	if len(b.Checkpoints) != len(sweep.Points) {
		t.Fatalf("infer-bench.json: %d rows for %d points", len(b.Checkpoints), len(sweep.Points))
	}
	for i, r := range b.Checkpoints {
		if !reflect.DeepEqual(r.Point, report.KeyOf(sweep.Points[i])) || !filepath.IsAbs(r.Checkpoint) || r.Tokens != report.TokensTest ||
			len(r.Event.NsPerTokenAll) != 1 || !(r.LayerSpeedup > 0 && r.LayerReduction > 0) {
			t.Errorf("row %d: %+v, want point %+v timed once on the test split", i, r, report.KeyOf(sweep.Points[i]))
		}
	}

	// report from a subdirectory: the checkpoints resolve under the sweep.
	os.Mkdir("sub", 0o755)
	t.Chdir(filepath.Join(root, "sub"))
	stdout, stderr, err := run(t, "report", "--out", "out", filepath.Join("..", "pruned"))
	if err != nil || stderr != "" {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "## Measured speed of the event engine") || !strings.Contains(stdout, "| pruned | "+b.CPU+" | "+b.Kernel+" | median of 1 × 3 tokens after 0 warmup") {
		t.Errorf("report.md does not state where and how the sweep was timed:\n%s", stdout)
	}
	speedup := func(csvPath string) []string {
		t.Helper()
		f, err := os.Open(csvPath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := slices.Index(recs[0], "recurrent_measured_speedup")
		if col < 0 {
			t.Fatalf("report.csv has no column recurrent_measured_speedup: %v", recs[0])
		}
		var vs []string
		for _, rec := range recs[1:] {
			vs = append(vs, rec[col])
		}
		return vs
	}
	for i, v := range speedup(filepath.Join("out", "report.csv")) {
		if want := strconv.FormatFloat(b.Checkpoints[i].LayerSpeedup, 'g', 6, 64); v != want {
			t.Errorf("report.csv row %d: recurrent_measured_speedup %q, want %q (infer-bench.json)", i, v, want)
		}
	}
	if _, err := os.Stat(filepath.Join("out", report.SpeedPlotFile+".png")); err != nil {
		t.Errorf("no speed figure: %v", err)
	}

	// The last level was pruned again since it was timed (its test
	// perplexity changed): its timing is left out, with a warning (the
	// other mismatches are TestAttachBench's, in package report).
	changed := *b
	changed.Checkpoints = slices.Clone(b.Checkpoints)
	key := *changed.Checkpoints[2].Point
	key.TestPPL++
	changed.Checkpoints[2].Point = &key
	if err := report.WriteInferBench(filepath.Join("..", "pruned"), changed); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = run(t, "report", "--out", "out", filepath.Join("..", "pruned"))
	if err != nil || !strings.Contains(stderr, "warning: ") || !strings.Contains(stderr, "level 80%") || !strings.Contains(stderr, "test ppl") {
		t.Errorf("report of a changed level: %v, stderr:\n%s\nwant a warning naming level 80%% and its test perplexity", err, stderr)
	}
	if got := speedup(filepath.Join("out", "report.csv")); got[0] == "" || got[1] == "" || got[2] != "" {
		t.Errorf("report.csv recurrent_measured_speedup %q, want the first two and not the changed level", got)
	}
}

// TestRandomIDsBounded: the timing loops cycle through the ids, so a huge
// --steps must not allocate that many (it ran out of memory).
func TestRandomIDsBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	if n := len(randomIDs(rng, 10, 1<<62)); n != maxRandomIDs {
		t.Errorf("randomIDs(1<<62) holds %d ids, want %d", n, maxRandomIDs)
	}
	if n := len(randomIDs(rng, 10, 220)); n != 220 {
		t.Errorf("randomIDs(220) holds %d ids", n)
	}
	if n := len(randomIDs(rng, 10, 0)); n != 1 {
		t.Errorf("randomIDs(0) holds %d ids, want 1", n)
	}
}
