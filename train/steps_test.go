package train

import "testing"

// TestStepsPerEpochHugeBPTT: a window longer than the stream is one window
// over it, as for a bptt of the stream's length (it divided by zero after
// an overflow).
func TestStepsPerEpochHugeBPTT(t *testing.T) {
	const tokens, batch = 1000, 8 // streams of 125 tokens
	for _, bptt := range []int{125, 200, 1 << 40, 1 << 62} {
		o := Options{Batch: batch, BPTT: bptt}
		if got := StepsPerEpoch(&o, tokens); got != 1 {
			t.Errorf("StepsPerEpoch(bptt %d) = %d, want 1", bptt, got)
		}
		o.EpochTokens = 500
		if got := StepsPerEpoch(&o, tokens); got != 1 {
			t.Errorf("StepsPerEpoch(bptt %d, epoch_tokens 500) = %d, want 1", bptt, got)
		}
	}
	if got := StepsPerEpoch(&Options{Batch: batch, BPTT: 35}, tokens); got != 4 {
		t.Errorf("StepsPerEpoch(bptt 35) = %d, want 4 (124 predictions per stream)", got)
	}
}
