package train

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// TestProgressResumed checks that tokens done before a resume count towards
// the fraction but not towards the throughput or the ETA.
func TestProgressResumed(t *testing.T) {
	var out strings.Builder
	clock := time.Unix(0, 0)
	p := NewProgress(&out, "epoch 1/1", 1000)
	p.now = func() time.Time { return clock }
	p.start = clock
	p.Resume(500)
	clock = clock.Add(10 * time.Second)
	p.Add(100, "loss 1")
	if r := p.Rate(); r != 10 {
		t.Fatalf("rate %v tok/s, want 10 (100 new tokens in 10 s)", r)
	}
	line := strings.TrimSpace(out.String())
	for _, want := range []string{" 60%", "10 tok/s", "ETA 0m40s", "loss 1"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d lines printed, want 1 (the 50%% decile was done before the resume)", n)
	}
}

// TestProgressDeciles checks the bar written to a log (not a terminal): one
// line at each tenth of the work, each with the fraction done, the
// throughput, the ETA and the latest status, and nothing more at Finish.
func TestProgressDeciles(t *testing.T) {
	var out strings.Builder
	clock := time.Unix(0, 0)
	p := NewProgress(&out, "  valid", 1000)
	p.now = func() time.Time { return clock }
	p.start = clock
	for i := range 100 {
		clock = clock.Add(10 * time.Millisecond)
		p.Add(10, fmt.Sprintf("ppl %d", i+1))
	}
	p.Finish()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want one per tenth:\n%s", len(lines), out.String())
	}
	for k, line := range lines {
		// 100 tokens a tenth, 1000 tokens/s: the kth line at (k+1)/10 s.
		eta := fmt.Sprintf("ETA 0m%02ds", int(math.Round(float64(9-k)/10)))
		for _, want := range []string{"  valid [", fmt.Sprintf("%3d%%", 10*(k+1)), "1.0k tok/s", eta, fmt.Sprintf("ppl %d", 10*(k+1))} {
			if !strings.Contains(line, want) {
				t.Errorf("line %d %q lacks %q", k+1, line, want)
			}
		}
	}
	var silent *Progress
	silent.Resume(5) // a nil bar is allowed and does nothing
	NewProgress(nil, "quiet", 10).Add(10, "")
}
