package train

import (
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
