package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/infer"
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

	stdout, stderr, err := run(t, append([]string{"bench", "infer", "--ckpt", src}, fast...)...)
	if err != nil {
		t.Fatalf("bench infer --ckpt: %v\n%s", err, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 3 || !strings.Contains(lines[2], "test") {
		t.Errorf("bench infer --ckpt: want a title, a header and one row on the test split:\n%s", stdout)
	}

	stdout, stderr, err = run(t, append([]string{"bench", "infer", "--sweep", sweep, "--json"}, fast...)...)
	if err != nil {
		t.Fatalf("bench infer --sweep: %v\n%s", err, stderr)
	}
	var out struct {
		Checkpoints []benchInferRow `json:"checkpoints"`
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
		{},                                // no source
		{"--ckpt", src, "--paper"},        // two sources
		{"--ckpt", src, "--steps", "0"},   // no timed tokens
		{"--ckpt", src, "--threads", "2"}, // engines are single-threaded
		{"--shape", "tiny"},               // unknown shape
		{"--paper", "--sparsities", "x"},  // not numbers
		{"--sweep", src},                  // not a sweep
		{"--ckpt", src, "extra"},          // stray argument
	} {
		if _, _, err := run(t, append([]string{"bench", "infer"}, bad...)...); err == nil {
			t.Errorf("bench infer %v succeeded", bad)
		}
	}
}

func closeTo(a, b float64) bool { d := a - b; return d < 1e-9*b && -d < 1e-9*b }
