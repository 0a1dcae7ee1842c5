package infer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/tensor"
	"github.com/sparselm/sparselm/train"
)

// tinyCase is a model trained briefly on testdata/data/tiny, then pruned.
type tinyCase struct {
	name   string
	m      *model.LM[float32]
	corpus *data.Corpus
}

var (
	casesOnce sync.Once
	cases     []tinyCase
)

// tinyCases returns, for the LSTM and the EGRU, a model of train's
// tinyOptions sizes (E 16, H 24, 16) after trainSteps AdamW windows on the
// tiny corpus, unpruned and magnitude-pruned to 50% and 90% in every layer
// matrix and the embedding (so the decoder is pruned too). Built once per
// test binary; the cases share nothing.
func tinyCases(t testing.TB) []tinyCase {
	t.Helper()
	casesOnce.Do(func() {
		corpus, err := data.LoadDir(filepath.Join("..", "testdata", "data", "tiny"), data.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cell := range []string{model.CellLSTM, model.CellEGRU} {
			for _, sparsity := range []float64{0, 0.5, 0.9} {
				m := trainTiny(t, cell, corpus)
				if sparsity > 0 {
					if err := prune.MarkEmbedding(&m.Params); err != nil {
						t.Fatal(err)
					}
					if err := prune.Prune(&m.Params, prune.Magnitude, sparsity, 1); err != nil {
						t.Fatal(err)
					}
				}
				cases = append(cases, tinyCase{name: fmt.Sprintf("%s/%g", cell, 100*sparsity), m: m, corpus: corpus})
			}
		}
	})
	if len(cases) != 6 {
		t.Fatal("tiny models were not built")
	}
	return cases
}

const trainSteps = 25

func trainTiny(t testing.TB, cell string, corpus *data.Corpus) *model.LM[float32] {
	t.Helper()
	cfg := model.Config{Cell: cell, Vocab: corpus.Vocab.Len(), Embed: 16, Hidden: []int{24, 16},
		ThresholdMean: 0.1, LearnThreshold: true, PseudoHeight: 3.6, PseudoWidth: 3.6}
	pcg := rand.NewPCG(7, 11)
	rng := rand.New(pcg)
	m, err := model.New[float32](cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	const B, T = 4, 12
	s, err := data.Batchify(corpus.Train, B)
	if err != nil {
		t.Fatal(err)
	}
	opt := train.NewOptimizer(train.OptimizerConfig{Kind: train.AdamW, LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, ThresholdLR: 1e-3}, len(m.Params.Data))
	st := m.NewState(B)
	x, y := make([]int32, T*B), make([]int32, T*B)
	for i := 0; i < trainSteps; i++ {
		n := s.Window(i*T, T, x, y)
		train.Step(m, opt, x[:n*B], y[:n*B], n, B, st, pcg, 1, 1)
	}
	return m
}

// engines is the conformance table: every test that holds for any Engine
// runs over it.
var engines = []struct {
	name string
	make func(*model.LM[float32], int) (Engine, error)
}{
	{"dense", func(m *model.LM[float32], B int) (Engine, error) { return NewDense(m, B) }},
	{"event", func(m *model.LM[float32], B int) (Engine, error) { return NewEvent(m, B) }},
}

// TestScoreMatchesEvaluate checks that Score of each engine gives the
// perplexity of train.Evaluate (what `sparselm eval` computes) on the test
// split, at batch 1 and 3, to 1e-5 relative: Evaluate runs each window's
// input products as one GEMM (another summation order), so the two agree to
// float32 rounding of the hidden states, not bit for bit.
func TestScoreMatchesEvaluate(t *testing.T) {
	ctx := context.Background()
	for _, c := range tinyCases(t) {
		for _, B := range []int{1, 3} {
			want, err := train.Evaluate(ctx, c.m, c.corpus.Test, B, 16, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, eng := range engines {
				e, err := eng.make(c.m, B)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Score(ctx, e, c.corpus.Test)
				if err != nil {
					t.Fatal(err)
				}
				if got.Tokens != want.Tokens || math.Abs(got.PPL-want.PPL) > 1e-5*want.PPL {
					t.Errorf("%s B=%d %s: %d tokens, ppl %.9g; train.Evaluate: %d tokens, ppl %.9g",
						c.name, B, eng.name, got.Tokens, got.PPL, want.Tokens, want.PPL)
				}
			}
		}
	}
}

// TestEventMatchesDense steps both engines in lockstep over the test split
// (3 streams) and checks that every layer's outputs and every logit are
// bit-identical (the same products in the same order; a skipped input or
// pruned weight adds an exact zero: tensor's sparse format notes) and that
// the logits differ by at most the bound of the package doc, 2·γ_{E+1}·
// (|bias_v| + Σ_j |h_j·Emb_vj|), which is what holds on AVX-512:
// each decoder is within γ_{E+1}·Σ|terms| of the exact sum of its E products
// and the bias (Higham, Accuracy and Stability of Numerical Algorithms,
// §3.1, for any summation order; a fused multiply-add only removes
// roundings). On AVX-512, Axpy and SparseRows differ in the columns past the
// last 16-multiple and an event can flip, so only the bound is checked.
func TestEventMatchesDense(t *testing.T) {
	const B = 3
	sameWidth := tensor.Features() != "avx512"
	for _, c := range tinyCases(t) {
		d, err := NewDense(c.m, B)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := NewEvent(c.m, B)
		if err != nil {
			t.Fatal(err)
		}
		s, err := data.Batchify(c.corpus.Test, B)
		if err != nil {
			t.Fatal(err)
		}
		V, E := d.V, d.E
		emb, bias := d.emb, d.decBias
		ld, le := make([]float32, B*V), make([]float32, B*V)
		x, y := make([]int32, B), make([]int32, B)
		u := math.Ldexp(1, -24)
		gamma := float64(E+1) * u / (1 - float64(E+1)*u)
		var worst float64 // largest |difference|/bound seen
		var zeros, outputs int
		for step := 0; s.Window(step, 1, x, y) == 1; step++ {
			d.Step(x, ld)
			ev.Step(x, le)
			for i := range d.layers {
				sd, se := d.layers[i].s, ev.layers[i].s
				for k := range sd {
					if sameWidth && math.Float32bits(sd[k]) != math.Float32bits(se[k]) {
						t.Fatalf("%s step %d layer %d output %d: event %v, dense %v (want the same bits on %s)",
							c.name, step, i, k, se[k], sd[k], tensor.Features())
					}
					if sd[k] == 0 {
						zeros++
					}
					outputs++
				}
			}
			h := d.layers[len(d.layers)-1].s
			for b := 0; b < B; b++ {
				for v := 0; v < V; v++ {
					abs := math.Abs(float64(bias[v]))
					for j := 0; j < E; j++ {
						abs += math.Abs(float64(h[b*E+j]) * float64(emb[v*E+j]))
					}
					bound := 2 * gamma * abs
					diff := math.Abs(float64(ld[b*V+v]) - float64(le[b*V+v]))
					if sameWidth && math.Float32bits(ld[b*V+v]) != math.Float32bits(le[b*V+v]) {
						t.Fatalf("%s step %d stream %d logit %d: event %v, dense %v (want the same bits on %s: both decoders add the rows of Embᵀ in order)",
							c.name, step, b, v, le[b*V+v], ld[b*V+v], tensor.Features())
					}
					if diff > bound {
						t.Fatalf("%s step %d stream %d logit %d: event %v, dense %v, |Δ| %.3g > bound %.3g",
							c.name, step, b, v, le[b*V+v], ld[b*V+v], diff, bound)
					}
					if bound > 0 {
						worst = max(worst, diff/bound)
					}
				}
			}
		}
		t.Logf("%s: outputs exactly zero %.1f%%; largest logit difference %.2f of its bound", c.name, 100*float64(zeros)/float64(outputs), worst)
	}
}

// TestEventMACsMatchMeasure checks that the MACs the event engine executes
// over the test split at batch 1 equal measure.Run's effective count
// exactly, per layer and for the decoder: the same integers (compared
// through measure's per-token means, which are those integers divided by the
// token count in float64; distinct integers this size give distinct means).
func TestEventMACsMatchMeasure(t *testing.T) {
	ctx := context.Background()
	for _, c := range tinyCases(t) {
		rep, err := measure.Run(ctx, c.m, c.corpus.Test, 1, 16, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewEvent(c.m, 1)
		if err != nil {
			t.Fatal(err)
		}
		e.SetCounting(true)
		res, err := Score(ctx, e, c.corpus.Test)
		if err != nil {
			t.Fatal(err)
		}
		if int64(res.Tokens) != rep.Tokens {
			t.Fatalf("%s: scored %d tokens, measure %d", c.name, res.Tokens, rep.Tokens)
		}
		n := float64(rep.Tokens)
		got := e.MACs()
		for l, comp := range rep.Layers {
			if mean := float64(got.Layers[l]) / n; mean != comp.MACs.Effective {
				t.Errorf("%s layer %d: executed %d MACs (%.6f per token), measure's effective count %.6f per token (%.0f)",
					c.name, l, got.Layers[l], mean, comp.MACs.Effective, comp.MACs.Effective*n)
			}
		}
		if mean := float64(got.Decoder) / n; mean != rep.Decoder.MACs.Effective {
			t.Errorf("%s decoder: executed %d MACs (%.6f per token), measure's effective count %.6f per token",
				c.name, got.Decoder, mean, rep.Decoder.MACs.Effective)
		}
		t.Logf("%s: per token, layers %v, decoder %.1f effective MACs (dense %.0f)", c.name, perToken(got.Layers, n), rep.Decoder.MACs.Effective, rep.Model.MACs.Dense)
		e.ResetMACs()
		if z := e.MACs(); z.Decoder != 0 || z.Layers[0] != 0 {
			t.Errorf("%s: ResetMACs left %+v", c.name, z)
		}
	}
}

func perToken(xs []int64, n float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x) / n
	}
	return out
}

// TestStepAllocatesNothing checks that a warm engine allocates nothing per
// token, at batch 1 and MaxBatch, the event engine with counting on.
func TestStepAllocatesNothing(t *testing.T) {
	for _, c := range tinyCases(t) {
		for _, eng := range engines {
			for _, B := range []int{1, MaxBatch} {
				e, err := eng.make(c.m, B)
				if err != nil {
					t.Fatal(err)
				}
				if ev, ok := e.(*Event); ok {
					ev.SetCounting(true)
				}
				ids := make([]int32, B)
				for b := range ids {
					ids[b] = c.corpus.Test[b]
				}
				logits := make([]float32, B*e.Vocab())
				e.Step(ids, logits)
				if a := testing.AllocsPerRun(20, func() { e.Step(ids, logits) }); a != 0 {
					t.Errorf("%s %s B=%d: %v allocations per step", c.name, eng.name, B, a)
				}
			}
		}
	}
}

// TestResetStream checks that resetting one stream gives it the logits of a
// fresh engine and leaves the other streams' state alone.
func TestResetStream(t *testing.T) {
	for _, c := range tinyCases(t) {
		for _, eng := range engines {
			e, _ := eng.make(c.m, 2)
			fresh, _ := eng.make(c.m, 2)
			V := e.Vocab()
			a, b := make([]float32, 2*V), make([]float32, 2*V)
			ids := c.corpus.Test[:2]
			for range 5 {
				e.Step(ids, a)
			}
			e.ResetStream(1)
			fresh.Step(ids, b) // fresh: both streams from zero state
			e.Step(ids, a)
			for v := V; v < 2*V; v++ {
				if a[v] != b[v] {
					t.Fatalf("%s %s: stream 1 after ResetStream: logit %d = %v, fresh %v", c.name, eng.name, v-V, a[v], b[v])
				}
			}
			if eq := func() bool {
				for v := 0; v < V; v++ {
					if a[v] != b[v] {
						return false
					}
				}
				return true
			}(); eq {
				t.Errorf("%s %s: stream 0 was reset too", c.name, eng.name)
			}
		}
	}
}

// BenchmarkStep runs one token at batch 1 through each engine on the tiny
// models (a smoke benchmark; the paper-shape benchmark is issue 11 item 5).
func BenchmarkStep(b *testing.B) {
	for _, c := range tinyCases(b) {
		for _, eng := range engines {
			b.Run(c.name+"/"+eng.name, func(b *testing.B) {
				e, _ := eng.make(c.m, 1)
				logits := make([]float32, e.Vocab())
				ids := c.corpus.Test
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					e.Step(ids[i%len(ids):i%len(ids)+1], logits)
				}
			})
		}
	}
}

// TestResetAndScoreRepeat checks that Reset returns every stream to the
// state a sequence starts from (outputs and cell state alike: the next
// logits equal a fresh engine's bit for bit), and that Score, which resets
// first, gives the same result twice in a row.
func TestResetAndScoreRepeat(t *testing.T) {
	for _, c := range tinyCases(t) {
		for _, eng := range engines {
			e, _ := eng.make(c.m, 2)
			fresh, _ := eng.make(c.m, 2)
			V := e.Vocab()
			a, b := make([]float32, 2*V), make([]float32, 2*V)
			ids := c.corpus.Test[:2]
			for range 5 {
				e.Step(ids, a)
			}
			e.Reset()
			e.Step(ids, a)
			fresh.Step(ids, b)
			for v := range a {
				if a[v] != b[v] {
					t.Fatalf("%s %s: after Reset logit %d = %v, a fresh engine's %v", c.name, eng.name, v, a[v], b[v])
				}
			}
			ids = c.corpus.Test[:400]
			first, err := Score(context.Background(), e, ids)
			if err != nil {
				t.Fatal(err)
			}
			second, err := Score(context.Background(), e, ids)
			if err != nil || second != first {
				t.Errorf("%s %s: Score twice: %+v then %+v (%v)", c.name, eng.name, first, second, err)
			}
		}
	}
}

// TestScoreStopsWhenCancelled checks that Score with a cancelled context
// stops before its first step and says why.
func TestScoreStopsWhenCancelled(t *testing.T) {
	c := tinyCases(t)[0]
	e, _ := NewEvent(c.m, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Score(ctx, e, c.corpus.Test)
	if !errors.Is(err, context.Canceled) || res.Tokens != 0 {
		t.Errorf("Score with a cancelled context: %+v, %v; want no tokens and context.Canceled", res, err)
	}
}
