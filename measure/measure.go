package measure

import (
	"context"
	"fmt"
	"math"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
)

// Matrix is the weight count of one weight matrix.
type Matrix struct {
	Name     string  `json:"name"`
	Shape    []int   `json:"shape"`
	Weights  int     `json:"weights"`
	NonZero  int     `json:"nonzero"`
	Sparsity float64 `json:"sparsity"` // fraction of exactly-zero weights
}

// MACs are multiply-accumulates per token (see the package doc).
type MACs struct {
	Dense        float64 `json:"dense"`
	WeightSparse float64 `json:"weight_sparse"`
	ActivityOnly float64 `json:"activity_only"`
	Effective    float64 `json:"effective"`
}

// Factors are the savings as reduction factors against the dense count.
type Factors struct {
	Activity  float64 `json:"activity"`  // dense / activity-only
	Weight    float64 `json:"weight"`    // dense / weight-sparse
	Product   float64 `json:"product"`   // Activity·Weight
	Effective float64 `json:"effective"` // dense / effective
}

// Component is the accounting of a layer, the decoder, or a sum of them.
type Component struct {
	Name    string  `json:"name"`
	MACs    MACs    `json:"macs_per_token"`
	Factors Factors `json:"factors"`
	// Outputs and NonZero count the layer's outputs over all evaluated steps;
	// ActivitySparsity is the fraction of exactly-zero ones (recurrent layers only).
	Outputs          int64   `json:"outputs,omitempty"`
	NonZero          int64   `json:"nonzero,omitempty"`
	ActivitySparsity float64 `json:"activity_sparsity"`
}

// Report is the accounting of a model on a token sequence.
type Report struct {
	Cell   string  `json:"cell"`
	Tokens int64   `json:"tokens"` // tokens scored, the denominator of every per-token figure
	NLL    float64 `json:"nll"`    // mean negative log-likelihood per token
	PPL    float64 `json:"ppl"`

	Matrices []Matrix `json:"matrices"` // W and R of every layer, then the embedding (= decoder)
	// RecurrentWeightSparsity is over the layers' W and R; WeightSparsity adds the embedding.
	RecurrentWeightSparsity float64 `json:"recurrent_weight_sparsity"`
	WeightSparsity          float64 `json:"weight_sparsity"`

	Layers           []Component `json:"layers"`
	Decoder          Component   `json:"decoder"`
	Recurrent        Component   `json:"recurrent"` // the layers together
	Model            Component   `json:"model"`     // the layers and the decoder
	ActivitySparsity float64     `json:"activity_sparsity"`

	// DenseLSTM is the dense count of the LSTM with the same sizes, and
	// VsDenseLSTM its ratio to this model's effective count, for the recurrent
	// layers and for the whole model.
	DenseLSTM   Pair `json:"dense_lstm_macs_per_token"`
	VsDenseLSTM Pair `json:"reduction_vs_dense_lstm"`
}

// Pair holds a figure for the recurrent layers and for the whole model.
type Pair struct {
	Recurrent float64 `json:"recurrent"`
	Model     float64 `json:"model"`
}

// totals are exact sums over the evaluated tokens.
type totals struct {
	dense, weightSparse, activityOnly, effective int64
	outputs, nonZero                             int64
}

func (a *totals) add(b totals) {
	a.dense += b.dense
	a.weightSparse += b.weightSparse
	a.activityOnly += b.activityOnly
	a.effective += b.effective
	a.outputs += b.outputs
	a.nonZero += b.nonZero
}

// Counter accumulates the accounting of the windows a model evaluates.
type Counter struct {
	m      *model.LM[float32]
	layers []model.LayerDesc // the model's description: I, H, G and the views of W and R
	dec    model.DecoderDesc
	nz     NonZero // the non-zero weights per row (NonZeroOf)
	nnz    []int   // per layer nnz(W)+nnz(R)
	nnzE   int

	tokens  int64
	nll     float64
	totals  []totals // per layer
	decoder totals
}

// NewCounter returns a counter for m; it reads m's weights now, so m must
// not change while the counter is in use. It panics if a view of the
// model's description does not have the shape the description gives it.
func NewCounter(m *model.LM[float32]) *Counter {
	d := m.Describe()
	c := &Counter{m: m, layers: d.Layers, dec: d.Decoder, nz: NonZeroOf(m)}
	for l := range d.Layers {
		c.nnz = append(c.nnz, sum(c.nz.RowsW[l])+sum(c.nz.RowsR[l]))
	}
	c.nnzE = sum(c.nz.ColsEmb)
	c.totals = make([]totals, len(d.Layers))
	return c
}

// NonZero holds the non-zero weights per row that the effective count sums
// over the active inputs (see the package notes): per layer, of each row of
// W [I×G] (one per input x_i) and of R [H×G] (one per recurrent input), and
// of each column of the decoder's Emb [V×E] (one per output h_j). The
// event engine (package infer) counts the MACs it executes from the same
// tables.
type NonZero struct {
	RowsW, RowsR [][]int
	ColsEmb      []int
}

// NonZeroOf counts the tables of m's weights now. It panics if a view of
// the model's description does not have the shape the description gives it.
func NonZeroOf(m *model.LM[float32]) NonZero {
	d := m.Describe()
	p := &m.Params
	var z NonZero
	for _, l := range d.Layers {
		z.RowsW = append(z.RowsW, rowNonZero(p, l.W, l.I, l.G))
		z.RowsR = append(z.RowsR, rowNonZero(p, l.R, l.H, l.G))
	}
	E := d.Decoder.E
	z.ColsEmb = make([]int, E)
	for i, w := range p.Value(d.Decoder.Emb) {
		if w != 0 {
			z.ColsEmb[i%E]++
		}
	}
	return z
}

// rowNonZero returns the non-zero count of each row of view i [rows×cols].
func rowNonZero(p *model.Params[float32], i, rows, cols int) []int {
	if p.Views[i].Len() != rows*cols {
		panic(fmt.Sprintf("measure: the model's matrix %s %v is not the described [%d×%d]", p.Views[i].Name, p.Views[i].Shape, rows, cols))
	}
	w := p.Value(i)
	counts := make([]int, rows)
	for r := range counts {
		for _, v := range w[r*cols : (r+1)*cols] {
			if v != 0 {
				counts[r]++
			}
		}
	}
	return counts
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// Add counts the window the model has just evaluated (model.LM.Evaluate,
// which leaves its buffers in place), with s its result.
func (c *Counter) Add(s model.StepStats) {
	m := c.m
	T, B := m.T, m.B
	n := int64(T * B)
	c.tokens += n
	c.nll += s.NLL
	var top []float32
	for l, desc := range c.layers {
		I, H, G := desc.I, desc.H, desc.G
		in, out := m.LayerIO(l)
		t := &c.totals[l]
		t.dense += n * int64(I*G+H*G)
		t.weightSparse += n * int64(c.nnz[l])
		t.activityOnly += int64(G) * (int64(countNonZero(in)) + int64(countNonZero(out[:T*B*H])))
		t.effective += rowSum(in, c.nz.RowsW[l]) + rowSum(out[:T*B*H], c.nz.RowsR[l])
		t.outputs += n * int64(H)
		t.nonZero += int64(countNonZero(out[B*H:]))
		top = out[B*H:]
	}
	V, E := c.dec.V, c.dec.E
	d := &c.decoder
	d.dense += n * int64(V*E)
	d.weightSparse += n * int64(c.nnzE)
	d.activityOnly += int64(V) * int64(countNonZero(top))
	d.effective += rowSum(top, c.nz.ColsEmb)
}

// rowSum returns Σ over the non-zero elements x[k] of rows[k mod len(rows)]:
// x holds vectors of len(rows) back to back.
func rowSum(x []float32, rows []int) int64 {
	var s int64
	w := len(rows)
	for k, v := range x {
		if v != 0 {
			s += int64(rows[k%w])
		}
	}
	return s
}

func countNonZero(x []float32) int {
	n := 0
	for _, v := range x {
		if v != 0 {
			n++
		}
	}
	return n
}

// ratio returns a/b, or 0 when b is 0 (nothing to divide by: no tokens, or no work).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (c *Counter) component(name string, t totals) Component {
	n := float64(c.tokens)
	macs := MACs{Dense: ratio(float64(t.dense), n), WeightSparse: ratio(float64(t.weightSparse), n),
		ActivityOnly: ratio(float64(t.activityOnly), n), Effective: ratio(float64(t.effective), n)}
	f := Factors{Activity: ratio(macs.Dense, macs.ActivityOnly), Weight: ratio(macs.Dense, macs.WeightSparse),
		Effective: ratio(macs.Dense, macs.Effective)}
	f.Product = f.Activity * f.Weight
	comp := Component{Name: name, MACs: macs, Factors: f, Outputs: t.outputs, NonZero: t.nonZero}
	if t.outputs > 0 {
		comp.ActivitySparsity = 1 - float64(t.nonZero)/float64(t.outputs)
	}
	return comp
}

// Report returns the accounting of the windows added so far.
func (c *Counter) Report() *Report {
	m := c.m
	r := &Report{Cell: m.Config.Cell, Tokens: c.tokens, NLL: ratio(c.nll, float64(c.tokens))}
	r.PPL = math.Exp(r.NLL)
	r.Matrices, r.RecurrentWeightSparsity, r.WeightSparsity = Weights(m)
	var rec totals
	for l, t := range c.totals {
		r.Layers = append(r.Layers, c.component(fmt.Sprintf("layer %d", l), t))
		rec.add(t)
	}
	r.Recurrent = c.component("recurrent", rec)
	r.ActivitySparsity = r.Recurrent.ActivitySparsity
	r.Decoder = c.component("decoder", c.decoder)
	all := rec
	all.add(c.decoder)
	r.Model = c.component("model", all)
	r.Model.ActivitySparsity = r.ActivitySparsity
	lstmRec, lstmAll := DenseLSTM(m.Config)
	r.DenseLSTM = Pair{Recurrent: lstmRec, Model: lstmAll}
	r.VsDenseLSTM = Pair{Recurrent: ratio(lstmRec, r.Recurrent.MACs.Effective), Model: ratio(lstmAll, r.Model.MACs.Effective)}
	return r
}

// DenseLSTM returns the dense MACs per token of an LSTM with c's sizes: its
// recurrent layers, Σ_l (I_l + H_l)·4H_l, and the whole model with the decoder, + V·E.
func DenseLSTM(c model.Config) (recurrent, whole float64) {
	in := c.Embed
	for _, h := range c.Hidden {
		recurrent += float64((in + h) * 4 * h)
		in = h
	}
	return recurrent, recurrent + float64(c.Vocab*c.Embed)
}

// Weights returns the weight counts of every layer's W and R and of the
// embedding, the sparsity over the layer matrices and over all of them.
func Weights(m *model.LM[float32]) (ms []Matrix, recurrent, all float64) {
	p := &m.Params
	d := m.Describe()
	var n, nz, nRec, nzRec int
	count := func(i int) int {
		v := p.Views[i]
		k := countNonZero(p.Value(i))
		ms = append(ms, Matrix{Name: v.Name, Shape: v.Shape, Weights: v.Len(), NonZero: k, Sparsity: 1 - float64(k)/float64(v.Len())})
		n, nz = n+v.Len(), nz+k
		return k
	}
	for _, l := range d.Layers {
		for _, i := range []int{l.W, l.R} {
			k := count(i)
			nRec, nzRec = nRec+p.Views[i].Len(), nzRec+k
		}
	}
	count(d.Decoder.Emb)
	return ms, 1 - float64(nzRec)/float64(nRec), 1 - float64(nz)/float64(n)
}

// Run evaluates m on ids with B parallel streams in windows of bptt steps,
// carrying the state through the sequence as train.Evaluate does (B = 1 is
// the standard test setting), and returns the accounting. Any bptt of at
// least the stream length (len(ids)/B − 1) is one window over the whole
// text, with buffers of that size. onWindow, if not nil, is called after
// each window with the tokens scored so far and their mean NLL (for a
// progress bar).
//
// Run checks ctx before every window: once ctx is cancelled it returns the
// accounting of the windows counted so far (Report.Tokens says how many)
// with an error that wraps context.Cause(ctx), so it stops within one window.
func Run(ctx context.Context, m *model.LM[float32], ids []int32, B, bptt int, onWindow func(tokens int64, nll float64)) (*Report, error) {
	s, err := data.Batchify(ids, B)
	if err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	if bptt < 1 {
		return nil, fmt.Errorf("measure: bptt %d must be positive", bptt)
	}
	// As in train.Evaluate: a window longer than a stream is scored as one
	// as long as the stream (s.Window returns T = min(bptt, L−1−t0)), so
	// capping bptt at L−1 leaves every window, and the report, bit-identical
	// to those of the bptt given, and bounds the buffers by the text: bptt·B
	// ≤ (L−1)·B < len(ids), so the product cannot overflow.
	bptt = min(bptt, s.L-1)
	c := NewCounter(m)
	st := m.NewState(B)
	x, y := make([]int32, bptt*B), make([]int32, bptt*B)
	for t0 := 0; ; t0 += bptt {
		if ctx.Err() != nil {
			return c.Report(), fmt.Errorf("measure: stopped after %d of %d tokens: %w", c.tokens, (s.L-1)*B, context.Cause(ctx))
		}
		T := s.Window(t0, bptt, x, y)
		if T == 0 {
			break
		}
		c.Add(m.Evaluate(x[:T*B], y[:T*B], T, B, st))
		if onWindow != nil {
			onWindow(c.tokens, c.nll/float64(c.tokens))
		}
	}
	return c.Report(), nil
}
