package measure_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/train"
)

// randomModel returns a small model with random masks on every matrix,
// the embedding included. The EGRU's thresholds (mean 0.05) leave many units
// silent at every step.
func randomModel(t *testing.T, cell string, sparsity float64, pruneEmbedding bool) *model.LM[float32] {
	t.Helper()
	c := model.Config{Cell: cell, Vocab: 13, Embed: 6, Hidden: []int{9, 6},
		ThresholdMean: 0.05, PseudoHeight: 3.6, PseudoWidth: 3.6, InitScale: 1}
	m, err := model.New[float32](c, rand.New(rand.NewPCG(11, 12)))
	if err != nil {
		t.Fatal(err)
	}
	if pruneEmbedding {
		if err := prune.MarkEmbedding(&m.Params); err != nil {
			t.Fatal(err)
		}
	}
	if err := prune.Prune(&m.Params, prune.Random, sparsity, 5); err != nil {
		t.Fatal(err)
	}
	return m
}

// macCount is a MAC total of one component, counted weight by weight, with
// the outputs of a recurrent layer and how many of them are non-zero.
type macCount struct {
	dense, weightSparse, activityOnly, effective int64
	outputs, nonZero                             int64
}

func (a macCount) plus(b macCount) macCount {
	return macCount{a.dense + b.dense, a.weightSparse + b.weightSparse, a.activityOnly + b.activityOnly,
		a.effective + b.effective, a.outputs + b.outputs, a.nonZero + b.nonZero}
}

// bruteCounts are MAC totals counted weight by weight.
type bruteCounts struct {
	layers  []macCount
	decoder macCount
}

// brute counts the window m has just evaluated, one multiply at a time:
// every weight (i, g) is a dense MAC, a weight-sparse one when the weight
// is non-zero, an activity-only one when input i is non-zero, and an
// effective one when both are.
func brute(m *model.LM[float32], b *bruteCounts) {
	p := &m.Params
	T, B := m.T, m.B
	gates := 3
	if m.Config.Cell == model.CellLSTM {
		gates = 4
	}
	if b.layers == nil {
		b.layers = make([]macCount, len(m.Config.Hidden))
	}
	count := func(c *macCount, input, weight float32) {
		c.dense++
		if weight != 0 {
			c.weightSparse++
		}
		if input != 0 {
			c.activityOnly++
			if weight != 0 {
				c.effective++
			}
		}
	}
	var top []float32
	I := m.Config.Embed
	for l, H := range m.Config.Hidden {
		G := gates * H
		in, out := m.LayerIO(l)
		wi, _ := p.Lookup(fmt.Sprintf("layers.%d.W", l))
		ri, _ := p.Lookup(fmt.Sprintf("layers.%d.R", l))
		W, R := p.Value(wi), p.Value(ri)
		c := &b.layers[l]
		for t := range T {
			for bi := range B {
				x := in[(t*B+bi)*I : (t*B+bi+1)*I]
				s := out[(t*B+bi)*H : (t*B+bi+1)*H] // block t: the state before step t
				for g := range G {
					for i := range I {
						count(c, x[i], W[i*G+g])
					}
					for j := range H {
						count(c, s[j], R[j*G+g])
					}
				}
				for _, v := range out[((t+1)*B+bi)*H : ((t+1)*B+bi+1)*H] { // block t+1: the output of step t
					c.outputs++
					if v != 0 {
						c.nonZero++
					}
				}
			}
		}
		top = out[B*H:]
		I = H
	}
	V, E := m.Config.Vocab, m.Config.Embed
	emb := m.Embedding()
	for k := range T * B {
		h := top[k*E : (k+1)*E]
		for v := range V {
			for j := range E {
				count(&b.decoder, h[j], emb[v*E+j]) // decoder weight (j, v) of Embᵀ
			}
		}
	}
}

// checkComponent checks a component's MACs per token, reduction factors
// and activity sparsity against brute-force totals over the given tokens.
func checkComponent(t *testing.T, got measure.Component, want macCount, tokens float64) {
	t.Helper()
	// Both sides divide the same integer totals by the same token count: exact.
	perToken := func(n int64) float64 { return float64(n) / tokens }
	wantMACs := measure.MACs{Dense: perToken(want.dense), WeightSparse: perToken(want.weightSparse),
		ActivityOnly: perToken(want.activityOnly), Effective: perToken(want.effective)}
	if got.MACs != wantMACs {
		t.Errorf("%s MACs per token %+v, brute force %+v", got.Name, got.MACs, wantMACs)
	}
	// The factors are ratios of the totals (the token count cancels); the
	// counter divides per-token means, which differs by a few float64
	// roundings (relative 1e-16 each), hence 1e-12.
	ratio := func(a, b int64) float64 { return float64(a) / float64(b) }
	activity, weight := ratio(want.dense, want.activityOnly), ratio(want.dense, want.weightSparse)
	wantF := measure.Factors{Activity: activity, Weight: weight, Product: activity * weight, Effective: ratio(want.dense, want.effective)}
	if !near(got.Factors.Activity, wantF.Activity, 1e-12) || !near(got.Factors.Weight, wantF.Weight, 1e-12) ||
		!near(got.Factors.Product, wantF.Product, 1e-12) || !near(got.Factors.Effective, wantF.Effective, 1e-12) {
		t.Errorf("%s factors %+v, brute force %+v", got.Name, got.Factors, wantF)
	}
	if want.outputs > 0 {
		wantSparsity := 1 - ratio(want.nonZero, want.outputs)
		if got.Outputs != want.outputs || got.NonZero != want.nonZero || !near(got.ActivitySparsity, wantSparsity, 1e-12) {
			t.Errorf("%s outputs %d, non-zero %d, activity sparsity %v; brute force %d, %d, %v",
				got.Name, got.Outputs, got.NonZero, got.ActivitySparsity, want.outputs, want.nonZero, wantSparsity)
		}
	}
}

// near reports whether got is within a relative tol of want.
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Abs(want)
}

func randomWindow(rng *rand.Rand, V, n int) ([]int32, []int32) {
	x, y := make([]int32, n), make([]int32, n)
	for i := range x {
		x[i], y[i] = int32(rng.IntN(V)), int32(rng.IntN(V))
	}
	return x, y
}

func TestMACsMatchBruteForce(t *testing.T) {
	for _, cell := range []string{model.CellEGRU, model.CellLSTM} {
		t.Run(cell, func(t *testing.T) {
			m := randomModel(t, cell, 0.45, true)
			const T, B = 5, 3
			rng := rand.New(rand.NewPCG(2, 2))
			st := m.NewState(B)
			c := measure.NewCounter(m)
			var b bruteCounts
			for range 3 { // windows carry the state
				x, y := randomWindow(rng, m.Config.Vocab, T*B)
				c.Add(m.Evaluate(x, y, T, B, st))
				brute(m, &b)
			}
			r := c.Report()
			if r.Tokens != 3*T*B {
				t.Fatalf("tokens %d, want %d", r.Tokens, 3*T*B)
			}
			tokens := float64(3 * T * B)
			var rec macCount
			for l, comp := range r.Layers {
				checkComponent(t, comp, b.layers[l], tokens)
				rec = rec.plus(b.layers[l])
			}
			checkComponent(t, r.Recurrent, rec, tokens)
			checkComponent(t, r.Decoder, b.decoder, tokens)
			checkComponent(t, r.Model, rec.plus(b.decoder), tokens)
			if r.ActivitySparsity != r.Recurrent.ActivitySparsity {
				t.Errorf("activity sparsity %v, that of the layers %v", r.ActivitySparsity, r.Recurrent.ActivitySparsity)
			}
			// The dense LSTM of the sizes by hand: E = 6, H = 9, 6, V = 13,
			// (6+9)·4·9 + (9+6)·4·6 = 540 + 360 = 900 in the layers, + 13·6 = 978.
			if r.DenseLSTM != (measure.Pair{Recurrent: 900, Model: 978}) {
				t.Errorf("dense LSTM MACs per token %+v, want 900 and 978", r.DenseLSTM)
			}
			vsRec, vsModel := 900/(float64(rec.effective)/tokens), 978/(float64(rec.plus(b.decoder).effective)/tokens)
			if !near(r.VsDenseLSTM.Recurrent, vsRec, 1e-12) || !near(r.VsDenseLSTM.Model, vsModel, 1e-12) {
				t.Errorf("reduction against the dense LSTM %+v, brute force %v and %v", r.VsDenseLSTM, vsRec, vsModel)
			}
			if cell == model.CellEGRU {
				// The check means something only if units are both silent and active.
				for l, comp := range r.Layers {
					if !(comp.ActivitySparsity > 0.1 && comp.ActivitySparsity < 0.95) {
						t.Errorf("layer %d activity sparsity %v; the test wants real silent and active units", l, comp.ActivitySparsity)
					}
				}
				if !(r.Model.Factors.Effective > r.Model.Factors.Weight) {
					t.Errorf("EGRU effective factor %v not above the weight factor %v", r.Model.Factors.Effective, r.Model.Factors.Weight)
				}
			}
		})
	}
}

// TestLSTMEffectiveEqualsWeightSparse: an LSTM's outputs are never exactly
// zero, so once the state is non-zero (after the first step of a sequence)
// every weight is used: effective = weight-sparse, activity factor 1.
func TestLSTMEffectiveEqualsWeightSparse(t *testing.T) {
	m := randomModel(t, model.CellLSTM, 0.6, false)
	const T, B = 6, 2
	rng := rand.New(rand.NewPCG(3, 3))
	st := m.NewState(B)
	x, y := randomWindow(rng, m.Config.Vocab, T*B)
	m.Evaluate(x, y, T, B, st) // warm-up: the zero initial state is a zero input
	c := measure.NewCounter(m)
	for range 2 {
		x, y := randomWindow(rng, m.Config.Vocab, T*B)
		c.Add(m.Evaluate(x, y, T, B, st))
	}
	r := c.Report()
	for _, comp := range append(r.Layers, r.Recurrent, r.Decoder, r.Model) {
		if comp.MACs.Effective != comp.MACs.WeightSparse || comp.Factors.Activity != 1 {
			t.Errorf("%s: effective %v, weight-sparse %v, activity factor %v", comp.Name, comp.MACs.Effective, comp.MACs.WeightSparse, comp.Factors.Activity)
		}
	}
	if r.ActivitySparsity != 0 {
		t.Errorf("LSTM activity sparsity %v, want 0", r.ActivitySparsity)
	}
	if !(r.Recurrent.Factors.Weight > 2 && r.Recurrent.Factors.Weight < 3) {
		t.Errorf("recurrent weight factor %v at 60%% sparsity, want 2.5", r.Recurrent.Factors.Weight)
	}
	// The dense LSTM of an LSTM's sizes is the LSTM itself, so the reduction
	// against it is the model's own effective factor (2.5 here).
	if r.DenseLSTM.Recurrent != r.Recurrent.MACs.Dense || r.DenseLSTM.Model != r.Model.MACs.Dense {
		t.Errorf("dense LSTM MACs %+v, this LSTM's dense counts %v and %v", r.DenseLSTM, r.Recurrent.MACs.Dense, r.Model.MACs.Dense)
	}
	// Tolerance: the same quotients computed in another order, a few float64 roundings.
	if !near(r.VsDenseLSTM.Recurrent, r.Recurrent.Factors.Effective, 1e-12) || !near(r.VsDenseLSTM.Model, r.Model.Factors.Effective, 1e-12) {
		t.Errorf("reduction against the dense LSTM %+v, the effective factors %v and %v", r.VsDenseLSTM, r.Recurrent.Factors.Effective, r.Model.Factors.Effective)
	}
}

func TestDenseLSTM(t *testing.T) {
	// The small preset: E = 256, 2 layers of 256, V = 10000.
	rec, all := measure.DenseLSTM(model.Config{Vocab: 10000, Embed: 256, Hidden: []int{256, 256}})
	if rec != 2*(256+256)*1024 || all != rec+256*10000 {
		t.Errorf("dense LSTM MACs %v, %v", rec, all)
	}
}

// TestRunAgreesWithEvaluate: the accounting pass scores the same perplexity
// and activity sparsity as train.Evaluate, and counts weights like the masks say.
func TestRunAgreesWithEvaluate(t *testing.T) {
	corpus, m := tinyEGRU(t)
	if err := prune.Prune(&m.Params, prune.Magnitude, 0.75, 0); err != nil {
		t.Fatal(err)
	}
	ev, err := train.Evaluate(context.Background(), m, corpus.Valid, 1, 20, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	type progress struct {
		tokens int64
		nll    float64
	}
	var calls []progress
	r, err := measure.Run(context.Background(), m, corpus.Valid, 1, 20, func(tokens int64, nll float64) { calls = append(calls, progress{tokens, nll}) })
	if err != nil {
		t.Fatal(err)
	}
	// One call per window of 20 steps, the last one shorter; the last call
	// carries the report's figures.
	scored := int64(len(corpus.Valid) - 1) // B = 1: every token but the first is a target
	if want := int((scored + 19) / 20); len(calls) != want {
		t.Fatalf("onWindow called %d times, want one per window (%d)", len(calls), want)
	}
	for i, c := range calls {
		if want := min(int64(20*(i+1)), scored); c.tokens != want {
			t.Errorf("onWindow call %d: %d tokens scored, want %d", i, c.tokens, want)
		}
	}
	if last := calls[len(calls)-1]; last.tokens != r.Tokens || last.nll != r.NLL {
		t.Errorf("last onWindow call: %d tokens, NLL %v; report %d, %v", last.tokens, last.nll, r.Tokens, r.NLL)
	}
	if math.Abs(r.PPL-ev.PPL) > 1e-9*ev.PPL || r.Tokens != int64(ev.Tokens) || math.Abs(r.ActivitySparsity-ev.Activity) > 1e-12 {
		t.Errorf("measure: ppl %v, %d tokens, activity %v; evaluate: %v, %d, %v", r.PPL, r.Tokens, r.ActivitySparsity, ev.PPL, ev.Tokens, ev.Activity)
	}
	if math.Abs(r.RecurrentWeightSparsity-0.75) > 0.01 || r.Matrices[len(r.Matrices)-1].Sparsity != 0 {
		t.Errorf("weight sparsity: recurrent %v (want 0.75), embedding %v (want 0)", r.RecurrentWeightSparsity, r.Matrices[len(r.Matrices)-1].Sparsity)
	}
	if _, err := measure.Run(context.Background(), m, corpus.Valid[:3], 2, 20, nil); err == nil {
		t.Error("too short a sequence accepted")
	}
	if _, err := measure.Run(context.Background(), m, corpus.Valid, 1, 0, nil); err == nil {
		t.Error("bptt 0 accepted")
	}
}

// TestRunHugeBPTT: a window longer than the text, up to math.MaxInt steps
// (whose bptt·B buffers could not be allocated, or overflowed int), gives
// exactly the report of one window as long as the text, bit for bit.
func TestRunHugeBPTT(t *testing.T) {
	corpus, m := tinyEGRU(t)
	ids := corpus.Valid[:200]
	for _, B := range []int{1, 3} {
		n := len(ids)/B - 1 // the stream length: one window over the whole text
		want, err := measure.Run(context.Background(), m, ids, B, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, bptt := range []int{n + 1, math.MaxInt, 1 << 62, 10_000_000_000} {
			got, err := measure.Run(context.Background(), m, ids, B, bptt, nil)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("B %d, bptt %d: %+v, %v; bptt %d gives %+v", B, bptt, got, err, n, want)
			}
		}
	}
}

// tinyEGRU returns the tiny test corpus and an untrained EGRU for it (seed
// fixed), the model of the tests that compare two ways of counting.
func tinyEGRU(t *testing.T) (*data.Corpus, *model.LM[float32]) {
	t.Helper()
	corpus, err := data.LoadDir(filepath.Join("..", "testdata", "data", "tiny"), data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := model.Config{Cell: model.CellEGRU, Vocab: corpus.Vocab.Len(), Embed: 8, Hidden: []int{12, 8},
		ThresholdMean: 0.2, PseudoHeight: 3.6, PseudoWidth: 3.6}
	m, err := model.New[float32](c, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	return corpus, m
}
