package train

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
)

// TestEvaluateWindows checks Evaluate against the model scoring the whole
// validation split in one window, for 1 and 3 streams and several window
// lengths: the state is carried from window to window, so the windows change
// only the rounding; every token but the first of each stream is predicted
// once; the NLL is the mean over those predictions (not over windows) and the
// perplexity its exponential; the per-layer sparsity is the fraction of
// exactly-zero outputs, and the activity the same fraction over all layers
// together.
//
// Tolerance: the per-window NLLs are summed in float64 in other groupings
// (the kernels, though fed other matrix shapes, gave the same float32 bits
// here): measured within 1.4e-11 relative with AVX2 and pure Go, so 1e-9;
// counting the first token too moves it by 1/L ≈ 7e-4, a mean over windows
// (the last one is shorter) by ~5e-4, a state reset per window by far more. The event counts are compared exactly: no unit
// of this untrained EGRU flips with the rounding (if one did, the test would
// say so and the tolerance would need a comment on threshold crossings).
func TestEvaluateWindows(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellEGRU, corpus.Vocab.Len())
	m, err := model.New[float32](o.Model, rand.New(rand.NewPCG(21, 22)))
	if err != nil {
		t.Fatal(err)
	}
	ids := corpus.Valid
	for _, B := range []int{1, 3} {
		s, err := data.Batchify(ids, B)
		if err != nil {
			t.Fatal(err)
		}
		n := s.L - 1 // predictions per stream
		x, y := make([]int32, n*B), make([]int32, n*B)
		T := s.Window(0, n, x, y)
		whole := m.Evaluate(x, y, T, B, m.NewState(B))
		wantNLL := whole.NLL / float64(whole.Tokens)
		var nz, outs int
		var wantSparsity []float64
		for l := range whole.NonZero {
			nz, outs = nz+whole.NonZero[l], outs+whole.Outputs[l]
			wantSparsity = append(wantSparsity, 1-float64(whole.NonZero[l])/float64(whole.Outputs[l]))
		}
		wantActivity := 1 - float64(nz)/float64(outs)
		if !(wantActivity > 0.05 && wantActivity < 0.95) || wantSparsity[0] == wantSparsity[1] {
			t.Fatalf("activity %v, sparsity %v: the model should have layers of different, partial activity", wantActivity, wantSparsity)
		}
		for _, bptt := range []int{1, 7, 16, n, n + 5} {
			res, err := Evaluate(context.Background(), m, ids, B, bptt, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Tokens != n*B {
				t.Errorf("B %d, bptt %d: %d tokens scored, want %d", B, bptt, res.Tokens, n*B)
			}
			if rel := math.Abs(res.NLL-wantNLL) / wantNLL; rel > 1e-9 {
				t.Errorf("B %d, bptt %d: mean NLL %.10f, one window gives %.10f (relative %.2g)", B, bptt, res.NLL, wantNLL, rel)
			}
			if res.PPL != math.Exp(res.NLL) {
				t.Errorf("B %d, bptt %d: perplexity %v, exp(NLL) %v", B, bptt, res.PPL, math.Exp(res.NLL))
			}
			for l := range wantSparsity {
				if res.Sparsity[l] != wantSparsity[l] {
					t.Errorf("B %d, bptt %d: layer %d sparsity %v, one window gives %v", B, bptt, l, res.Sparsity[l], wantSparsity[l])
				}
			}
			if math.Abs(res.Activity-wantActivity) > 1e-15 {
				t.Errorf("B %d, bptt %d: activity %v, want %v (all layers' zero outputs over all outputs)", B, bptt, res.Activity, wantActivity)
			}
		}
	}
	if _, err := Evaluate(context.Background(), m, ids, 1, 0, nil, "valid"); err == nil {
		t.Errorf("bptt 0 accepted")
	}
	if _, err := Evaluate(context.Background(), m, ids[:3], 4, 8, nil, "valid"); err == nil {
		t.Errorf("3 tokens in 4 streams accepted")
	}
}

// TestEvaluateHugeBPTT: a window longer than the text, up to math.MaxInt
// steps (whose bptt·B buffers could not be allocated, or overflowed int),
// scores exactly what one window as long as the text does, bit for bit.
func TestEvaluateHugeBPTT(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellEGRU, corpus.Vocab.Len())
	m, err := model.New[float32](o.Model, rand.New(rand.NewPCG(21, 22)))
	if err != nil {
		t.Fatal(err)
	}
	ids := corpus.Valid[:200]
	for _, B := range []int{1, 3} {
		n := len(ids)/B - 1 // the stream length: one window over the whole text
		want, err := Evaluate(context.Background(), m, ids, B, n, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, bptt := range []int{n + 1, math.MaxInt, 1 << 62, 10_000_000_000} {
			got, err := Evaluate(context.Background(), m, ids, B, bptt, nil, "")
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("B %d, bptt %d: %+v, %v; bptt %d gives %+v", B, bptt, got, err, n, want)
			}
		}
	}
}
