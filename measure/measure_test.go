package measure_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
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

// bruteCounts are MAC totals counted weight by weight.
type bruteCounts struct {
	layerEff, layerDense, layerAct []int64
	decEff, decDense, decAct       int64
}

// brute counts the window m has just evaluated, one multiply at a time:
// a MAC happens for weight (i, g) when input i and the weight are both non-zero.
func brute(m *model.LM[float32], b *bruteCounts) {
	p := &m.Params
	T, B := m.T, m.B
	gates := 3
	if m.Config.Cell == model.CellLSTM {
		gates = 4
	}
	if b.layerEff == nil {
		n := len(m.Config.Hidden)
		b.layerEff, b.layerDense, b.layerAct = make([]int64, n), make([]int64, n), make([]int64, n)
	}
	var top []float32
	I := m.Config.Embed
	for l, H := range m.Config.Hidden {
		G := gates * H
		in, out := m.LayerIO(l)
		wi, _ := p.Lookup(fmt.Sprintf("layers.%d.W", l))
		ri, _ := p.Lookup(fmt.Sprintf("layers.%d.R", l))
		W, R := p.Value(wi), p.Value(ri)
		for t := range T {
			for bi := range B {
				x := in[(t*B+bi)*I : (t*B+bi+1)*I]
				s := out[(t*B+bi)*H : (t*B+bi+1)*H] // block t: the state before step t
				for g := range G {
					for i := range I {
						b.layerDense[l]++
						if x[i] != 0 {
							b.layerAct[l]++
							if W[i*G+g] != 0 {
								b.layerEff[l]++
							}
						}
					}
					for j := range H {
						b.layerDense[l]++
						if s[j] != 0 {
							b.layerAct[l]++
							if R[j*G+g] != 0 {
								b.layerEff[l]++
							}
						}
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
				b.decDense++
				if h[j] != 0 {
					b.decAct++
					if emb[v*E+j] != 0 { // decoder weight (j, v) of Embᵀ
						b.decEff++
					}
				}
			}
		}
	}
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
			tokens := float64(3 * T * B)
			if r.Tokens != 3*T*B {
				t.Fatalf("tokens %d, want %d", r.Tokens, 3*T*B)
			}
			var sumEff, sumDense float64
			for l, comp := range r.Layers {
				if want := float64(b.layerEff[l]) / tokens; comp.MACs.Effective != want {
					t.Errorf("layer %d effective %v, brute force %v", l, comp.MACs.Effective, want)
				}
				if want := float64(b.layerDense[l]) / tokens; comp.MACs.Dense != want {
					t.Errorf("layer %d dense %v, brute force %v", l, comp.MACs.Dense, want)
				}
				if want := float64(b.layerAct[l]) / tokens; comp.MACs.ActivityOnly != want {
					t.Errorf("layer %d activity-only %v, brute force %v", l, comp.MACs.ActivityOnly, want)
				}
				sumEff += float64(b.layerEff[l])
				sumDense += float64(b.layerDense[l])
			}
			if want := float64(b.decEff) / tokens; r.Decoder.MACs.Effective != want {
				t.Errorf("decoder effective %v, brute force %v", r.Decoder.MACs.Effective, want)
			}
			if want := float64(b.decDense) / tokens; r.Decoder.MACs.Dense != want {
				t.Errorf("decoder dense %v, brute force %v", r.Decoder.MACs.Dense, want)
			}
			if want := float64(b.decAct) / tokens; r.Decoder.MACs.ActivityOnly != want {
				t.Errorf("decoder activity-only %v, brute force %v", r.Decoder.MACs.ActivityOnly, want)
			}
			if want := (sumEff + float64(b.decEff)) / tokens; math.Abs(r.Model.MACs.Effective-want) > 1e-9*want {
				t.Errorf("model effective %v, brute force %v", r.Model.MACs.Effective, want)
			}
			if want := sumDense / tokens; r.Recurrent.MACs.Dense != want {
				t.Errorf("recurrent dense %v, brute force %v", r.Recurrent.MACs.Dense, want)
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
	if err := prune.Prune(&m.Params, prune.Magnitude, 0.75, 0); err != nil {
		t.Fatal(err)
	}
	ev, err := train.Evaluate(m, corpus.Valid, 1, 20, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := measure.Run(m, corpus.Valid, 1, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.PPL-ev.PPL) > 1e-9*ev.PPL || r.Tokens != int64(ev.Tokens) || math.Abs(r.ActivitySparsity-ev.Activity) > 1e-12 {
		t.Errorf("measure: ppl %v, %d tokens, activity %v; evaluate: %v, %d, %v", r.PPL, r.Tokens, r.ActivitySparsity, ev.PPL, ev.Tokens, ev.Activity)
	}
	if math.Abs(r.RecurrentWeightSparsity-0.75) > 0.01 || r.Matrices[len(r.Matrices)-1].Sparsity != 0 {
		t.Errorf("weight sparsity: recurrent %v (want 0.75), embedding %v (want 0)", r.RecurrentWeightSparsity, r.Matrices[len(r.Matrices)-1].Sparsity)
	}
	if _, err := measure.Run(m, corpus.Valid[:3], 2, 20, nil); err == nil {
		t.Error("too short a sequence accepted")
	}
}
