package infer

import (
	"context"
	"fmt"
	"math"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
)

// MaxBatch is the largest number of streams an engine runs at once: the
// dense kernel (tensor.VecMat) is tuned for batch 1..8.
const MaxBatch = 8

// Engine runs a language model forward one token at a time for B independent
// streams (B = Batch()).
type Engine interface {
	// Batch returns B, the number of streams.
	Batch() int
	// Vocab returns V, the width of a row of logits.
	Vocab() int
	// Reset sets the state of every stream to zero, the state a sequence starts from.
	Reset()
	// ResetStream sets the state of stream b to zero. It panics if b is not in [0, B).
	ResetStream(b int)
	// Step feeds ids [B], the next token of each stream, advances every
	// stream by one step and writes logits [B×V], row b the scores of the
	// token after ids[b] (softmax gives the probabilities). It allocates
	// nothing. It panics if len(ids) != B, len(logits) != B·V or an id is
	// outside the vocabulary.
	Step(ids []int32, logits []float32)
	// Layers returns the number of recurrent layers.
	Layers() int
	// Output returns layer l's output [B×H] of the last Step (the LSTM's
	// h, the EGRU's events y): the engine's own slice, valid until the
	// next Step or Reset. It panics if l is not in [0, Layers()).
	Output(l int) []float32
}

// cellKind is the point-wise step a layer runs after its products.
type cellKind int

const (
	lstmCell cellKind = iota // G = 4H, gates i, f, g, o; output h dense
	egruCell                 // G = 3H, gates u, r, z; output the events y
)

// layerRun is the state and scratch of one layer for B streams.
type layerRun struct {
	I, H, G int
	kind    cellKind
	bias    []float32 // [G]
	brz     []float32 // [H] EGRU: bias of R_z·y inside r ⊙ (·)
	theta   []float32 // [H] EGRU: thresholds ϑ

	s     []float32 // [B×H] output of the last step: h (LSTM) or events y (EGRU); the next step's recurrent input
	c     []float32 // [B×H] cell state of the last step
	cNext []float32 // [B×H] cell state being written (swapped with c after the step)
	gates []float32 // [B×G] pre-activations, then activated gates
	rec   []float32 // [B×G] EGRU: recurrent projection y_{t−1}·R (without b_rz)
	zr    []float32 // [H] EGRU scratch: R_z·y + b_rz
	chat  []float32 // [H] EGRU scratch: ĉ
	o     []float32 // [H] EGRU scratch: events 0/1
	tc    []float32 // [H] LSTM scratch: tanh(c_t)
}

// stack is what both engines share: the layers' point-wise parameters and
// state, the embedding lookup and the decoder bias.
type stack struct {
	B       int
	V, E    int
	layers  []layerRun
	emb     []float32 // [V×E] embedding rows for the lookup (a copy, not MACs)
	decBias []float32 // [V]
	x0      []float32 // [B×E] layer 0's input: the embedded tokens
}

// newStack reads m through its description. It panics if B is not in
// [1, MaxBatch] (a programmer error) and returns an error if a layer has
// no point-wise step here.
func newStack(m *model.LM[float32], B int) (*stack, model.Desc, error) {
	if B < 1 || B > MaxBatch {
		panic(fmt.Sprintf("infer: batch %d outside [1, %d]", B, MaxBatch))
	}
	d := m.Describe()
	p := &m.Params
	st := &stack{B: B, V: d.Decoder.V, E: d.Decoder.E,
		emb: clone(p, d.Decoder.Emb, d.Decoder.V*d.Decoder.E), decBias: clone(p, d.Decoder.Bias, d.Decoder.V),
		x0: make([]float32, B*d.Decoder.E)}
	for i, ld := range d.Layers {
		l := layerRun{I: ld.I, H: ld.H, G: ld.G, bias: clone(p, ld.Bias, ld.G)}
		switch {
		case ld.Cell == model.CellEGRU:
			l.kind = egruCell
			l.brz, l.theta = clone(p, ld.BiasRZ, ld.H), clone(p, ld.Threshold, ld.H)
			l.rec = make([]float32, B*ld.G)
			l.zr, l.chat, l.o = make([]float32, ld.H), make([]float32, ld.H), make([]float32, ld.H)
		case ld.Cell == model.CellLSTM:
			l.kind = lstmCell
			l.tc = make([]float32, ld.H)
		default:
			return nil, d, fmt.Errorf("infer: layer %d (%s, H %d, G %d): no point-wise step for this layer", i, ld.Cell, ld.H, ld.G)
		}
		l.s, l.c, l.cNext = make([]float32, B*ld.H), make([]float32, B*ld.H), make([]float32, B*ld.H)
		l.gates = make([]float32, B*ld.G)
		st.layers = append(st.layers, l)
	}
	return st, d, nil
}

// clone copies view i of p, checking its length against the description.
func clone(p *model.Params[float32], i, n int) []float32 {
	v := p.Value(i)
	if len(v) != n {
		panic(fmt.Sprintf("infer: view %s has %d values, the model's description gives %d", p.Views[i].Name, len(v), n))
	}
	return append(tensor.MakeHuge(len(v))[:0], v...)
}

// Layers returns the number of recurrent layers.
func (st *stack) Layers() int { return len(st.layers) }

// Output returns layer l's output of the last Step, [B×H] row-major: the
// LSTM's h or the EGRU's events y (zero where a unit did not fire). The
// slice is the engine's own, valid until the next Step or Reset. It panics
// if l is not in [0, Layers()).
func (st *stack) Output(l int) []float32 { return st.layers[l].s }

func (st *stack) Batch() int { return st.B }
func (st *stack) Vocab() int { return st.V }

func (st *stack) Reset() {
	for i := range st.layers {
		clear(st.layers[i].s)
		clear(st.layers[i].c)
	}
}

func (st *stack) ResetStream(b int) {
	if b < 0 || b >= st.B {
		panic(fmt.Sprintf("infer: stream %d outside [0, %d)", b, st.B))
	}
	for i := range st.layers {
		l := &st.layers[i]
		clear(l.s[b*l.H : (b+1)*l.H])
		clear(l.c[b*l.H : (b+1)*l.H])
	}
}

// embed checks the arguments of Step and writes x0 [B×E], the embedding
// rows of ids.
func (st *stack) embed(ids []int32, logits []float32) {
	if len(ids) != st.B || len(logits) != st.B*st.V {
		panic(fmt.Sprintf("infer: Step: %d ids and %d logits, want %d and %d×%d", len(ids), len(logits), st.B, st.B, st.V))
	}
	st.embedIDs(ids)
}

// embedIDs writes x0 [B×E], the embedding rows of ids [B]. It panics if an
// id is outside the vocabulary.
func (st *stack) embedIDs(ids []int32) {
	E := st.E
	for b, id := range ids {
		if id < 0 || int(id) >= st.V {
			panic(fmt.Sprintf("infer: token id %d outside the vocabulary of %d", id, st.V))
		}
		copy(st.x0[b*E:(b+1)*E], st.emb[int(id)*E:(int(id)+1)*E])
	}
}

// cell runs the point-wise step of stream b once gates (and, for the EGRU,
// rec) hold its products, writing s and cNext of row b:
//
//	LSTM: i, f, o = σ(·), g = tanh(·); c_t = f⊙c_{t−1} + i⊙g; h_t = o⊙tanh(c_t)
//	EGRU: tensor.EGRUCellForward (u, r = σ(·); z = tanh(g_z + r⊙(rec_z + b_rz));
//	      ĉ = u⊙c_{t−1} + (1−u)⊙z; o = H(ĉ − ϑ); y = o⊙ĉ; c = ĉ − o⊙ϑ)
//
// in the model's float32 operations and order (model/lstm.go forwardRows,
// model/egru.go via the same tensor kernel).
func (l *layerRun) cell(b int) {
	H, G := l.H, l.G
	g := l.gates[b*G : (b+1)*G]
	cp, cn, out := l.c[b*H:(b+1)*H], l.cNext[b*H:(b+1)*H], l.s[b*H:(b+1)*H]
	if l.kind == egruCell {
		tensor.EGRUCellForward(g, l.rec[b*G:(b+1)*G], l.brz, l.zr, cp, l.theta, l.chat, l.o, out, cn)
		return
	}
	tensor.Sigmoid(g[:2*H], g[:2*H]) // i, f
	tensor.Tanh(g[2*H:3*H], g[2*H:3*H])
	tensor.Sigmoid(g[3*H:], g[3*H:]) // o
	ig, fg, gg, og := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:]
	for j := range cn {
		cn[j] = fg[j]*cp[j] + ig[j]*gg[j]
	}
	tensor.Tanh(l.tc, cn)
	for j := range out {
		out[j] = og[j] * l.tc[j]
	}
}

// finish makes the written cell state current.
func (l *layerRun) finish() { l.c, l.cNext = l.cNext, l.c }

// prepare clears gates and rec of every row; the input product then adds
// onto gates, addBias the bias, and the recurrent product onto gates (LSTM)
// or rec (EGRU): the model's order (model/lstm.go, egru.go forward).
func (l *layerRun) prepare() {
	clear(l.gates)
	clear(l.rec)
}

// addBias adds b to the gates of every row (tensor.AddRows, as the model).
func (l *layerRun) addBias() { tensor.AddRows(l.gates, l.bias) }

// ScoreResult is the negative log-likelihood of a token sequence.
type ScoreResult struct {
	Tokens int     // predictions scored
	NLL    float64 // mean negative log-likelihood per token (nats)
	PPL    float64 // exp(NLL)
}

// Score streams ids through e as train.Evaluate does with B = e.Batch():
// the sequence is cut into B streams of L = len(ids)/B tokens (data.Batchify),
// e is Reset, and each of the L−1 steps scores the next token of every
// stream, the state carried throughout. The NLL of a row is
// max + log Σ e^{logit−max} − logit_target, the sum in float64 as in the
// model's decoder. Score checks ctx every 256 steps and returns the result
// so far with an error wrapping context.Cause(ctx) once it is cancelled;
// it returns an error if ids are too few for B streams.
func Score(ctx context.Context, e Engine, ids []int32) (ScoreResult, error) {
	B, V := e.Batch(), e.Vocab()
	s, err := data.Batchify(ids, B)
	if err != nil {
		return ScoreResult{}, fmt.Errorf("infer: score: %w", err)
	}
	e.Reset()
	x, y := make([]int32, B), make([]int32, B)
	logits := make([]float32, B*V)
	var nll float64
	var res ScoreResult
	for t := 0; ; t++ {
		if t%256 == 0 && ctx.Err() != nil {
			err = fmt.Errorf("infer: score: stopped after %d tokens: %w", res.Tokens, context.Cause(ctx))
			break
		}
		if s.Window(t, 1, x, y) == 0 {
			break
		}
		e.Step(x, logits)
		for b, target := range y {
			nll += rowNLL(logits[b*V:(b+1)*V], target)
		}
		res.Tokens += B
	}
	if res.Tokens > 0 {
		res.NLL = nll / float64(res.Tokens)
		res.PPL = math.Exp(res.NLL)
	}
	return res, err
}

// rowNLL returns −log softmax(row)[target].
func rowNLL(row []float32, target int32) float64 {
	maxv := tensor.Max(row)
	sum := tensor.ExpShift(nil, row, maxv)
	return float64(maxv) + math.Log(sum) - float64(row[target])
}
