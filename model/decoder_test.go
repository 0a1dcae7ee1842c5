package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDecoderLongWindow runs the decoder on a window of more rows than it
// holds logits for at once (decoderRows = 512; the small and paper presets
// have 1,120 and 4,480 rows): 1,100 rows make two full chunks and a partial
// one. The NLL and all three gradients must equal an unchunked reference
// that forms the whole [N×V] logit matrix, and the parameter gradients must
// be added to what the buffers held before (the model adds the embedding's
// input gradient to the same buffer).
func TestDecoderLongWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const V, E, N = 5, 3, 2*decoderRows + 76
	d := decoder[float64]{V: V, E: E}
	emb := randomSlice(rng, V*E, 1)
	bias := randomSlice(rng, V, 1)
	h := randomSlice(rng, N*E, 1)
	targets := make([]int32, N)
	for i := range targets {
		targets[i] = int32(rng.IntN(V))
	}
	const scale = 1.0 / N
	before := randomSlice(rng, V*E+V, 1) // what the gradient buffers hold on entry
	dh := make([]float64, N*E)
	dEmb := append([]float64(nil), before[:V*E]...)
	dBias := append([]float64(nil), before[V*E:]...)
	nll := d.forwardBackward(h, targets, emb, bias, dh, dEmb, dBias, scale)

	// The reference: softmax cross-entropy row by row over the whole window.
	var wantNLL float64
	wantDh := make([]float64, N*E)
	wantDEmb := append([]float64(nil), before[:V*E]...)
	wantDBias := append([]float64(nil), before[V*E:]...)
	logit := make([]float64, V)
	for n := range N {
		maxv := math.Inf(-1)
		for v := range V {
			logit[v] = bias[v]
			for e := range E {
				logit[v] += h[n*E+e] * emb[v*E+e]
			}
			maxv = math.Max(maxv, logit[v])
		}
		var sum float64
		for v := range V {
			sum += math.Exp(logit[v] - maxv)
		}
		wantNLL += maxv + math.Log(sum) - logit[targets[n]]
		for v := range V {
			g := math.Exp(logit[v]-maxv) / sum
			if v == int(targets[n]) {
				g--
			}
			g *= scale
			wantDBias[v] += g
			for e := range E {
				wantDh[n*E+e] += g * emb[v*E+e]
				wantDEmb[v*E+e] += g * h[n*E+e]
			}
		}
	}
	// 1e-9 relative: both sides are float64 sums of ~1,000 terms of order 1
	// in different orders (rounding ~1e-13); a lost chunk changes the sums by
	// a fraction of their size.
	close := func(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want)) }
	if !close(nll, wantNLL) {
		t.Errorf("NLL %v, unchunked reference %v", nll, wantNLL)
	}
	for _, c := range []struct {
		name      string
		got, want []float64
	}{{"dh", dh, wantDh}, {"dEmb", dEmb, wantDEmb}, {"dBias", dBias, wantDBias}} {
		for i := range c.want {
			if !close(c.got[i], c.want[i]) {
				t.Errorf("%s[%d] = %v, unchunked reference %v", c.name, i, c.got[i], c.want[i])
				break
			}
		}
	}
}
