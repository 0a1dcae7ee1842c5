package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	for _, mode := range []string{"train", "eval"} {
		for _, cell := range []string{"lstm", "egru"} {
			stdout, stderr, err := run(t, "bench", mode, "--preset", "tiny", "--model", cell, "--vocab", "50",
				"--threads", "1", "--steps", "2", "--repeats", "2", "--warmup", "1", "--json", "--print-config")
			if err != nil {
				t.Fatalf("bench %s %s: %v\n%s", mode, cell, err, stderr)
			}
			var r benchResult
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("bench %s %s: output is not JSON: %v\n%s", mode, cell, err, stdout)
			}
			if r.Mode != mode || r.Cell != cell || r.Vocab != 50 || r.Batch != 8 || r.BPTT != 16 || len(r.TokensPerSAll) != 2 ||
				!(r.TokensPerS > 0) || r.Model == nil || r.Optim == nil {
				t.Errorf("bench %s %s: unexpected result %+v", mode, cell, r)
			}
			// A step allocates nothing once warm; the timed loop itself makes
			// a few allocations in all (≈ 4, i.e. ≤ 1.2 per step over these
			// 4 steps, measured). A kernel that allocates shows up as tens
			// per step (a packing block that escaped to the heap: 786 per
			// step of the small preset).
			if r.AllocsPerStep > 3 {
				t.Errorf("bench %s %s: %.1f allocations per step, want ≤ 3", mode, cell, r.AllocsPerStep)
			}
		}
	}
	stdout, _, err := run(t, "bench", "train", "--preset", "tiny", "--vocab", "50", "--threads", "1", "--steps", "1",
		"--repeats", "1", "--warmup", "0", "--no-dropout", "--embed", "8")
	if err != nil || !strings.Contains(stdout, "tokens/s") || !strings.Contains(stdout, "E=8") {
		t.Errorf("bench line output: %v\n%s", err, stdout)
	}
	if _, _, err := run(t, "bench", "fast"); err == nil {
		t.Error("bench with an unknown mode succeeded")
	}
}
