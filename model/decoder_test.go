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

// TestDecoderEmbChanges runs the float32 decoder (the instantiation that
// packs Emb once per call for all its row chunks) on one embedding, changes
// the embedding in place as an optimizer step does, and checks that the next
// call gives the bits of a fresh decoder: the packed copy must follow Emb.
func TestDecoderEmbChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const V, E, N = 300, 24, decoderRows + 40
	rand32 := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	emb, bias, h := rand32(V*E), rand32(V), rand32(N*E)
	targets := make([]int32, N)
	for i := range targets {
		targets[i] = int32(rng.IntN(V))
	}
	run := func(d *decoder[float32]) (float64, []float32, []float32, []float32) {
		dh, dEmb, dBias := make([]float32, N*E), make([]float32, V*E), make([]float32, V)
		nll := d.forwardBackward(h, targets, emb, bias, dh, dEmb, dBias, 1.0/N)
		return nll, dh, dEmb, dBias
	}
	used := &decoder[float32]{V: V, E: E}
	run(used)
	for i := range emb {
		emb[i] = emb[i]*0.5 + 0.01
	}
	nll, dh, dEmb, dBias := run(used)
	wantNLL, wantDh, wantDEmb, wantDBias := run(&decoder[float32]{V: V, E: E})
	if nll != wantNLL {
		t.Fatalf("NLL after Emb changed: %v, a fresh decoder gives %v", nll, wantNLL)
	}
	for name, pair := range map[string][2][]float32{"dh": {dh, wantDh}, "dEmb": {dEmb, wantDEmb}, "dBias": {dBias, wantDBias}} {
		for i := range pair[0] {
			if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
				t.Fatalf("%s[%d] after Emb changed: %v, a fresh decoder gives %v", name, i, pair[0][i], pair[1][i])
			}
		}
	}
}
