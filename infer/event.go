package infer

import (
	"github.com/sparselm/sparselm/measure"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
)

// Event is the event-driven engine: W and R of every layer and the
// decoder's Embᵀ [E×V] are tensor.SparseRows, each in the storage format
// tensor chooses for its density (CSR, the uint16 column indices and
// values of the surviving weights only, from about 80% sparsity; whole
// rows below; see tensor's sparse format notes), and each product walks
// only the non-zero entries of its input, listed once per vector by
// tensor.Events (the events of the layer below and of the layer's own
// previous step for the EGRU; every input of the LSTM, whose h is
// practically never zero, and of layer 0, the embedding), accumulating
// their rows. The decoder reads the rows of Embᵀ of the non-zero outputs of
// the last layer (an unpruned decoder is kept as whole rows of Embᵀ, a
// copy laid out for that). Where an input is dense by construction (layer
// 0's, the embedding; every input of the LSTM) the CSR matrices also keep
// their weights by output column, and a product whose every input is
// non-zero sums each output in a register (tensor.SparseRows.KeepColumns),
// with the same result. The embedding lookup still reads a dense copy of
// Emb [V×E] (a copy, no MACs).
//
// With counting on (SetCounting) it adds, per layer and for the decoder, the
// multiply-accumulates of non-zero weights it executes (for each product,
// the non-zero counts of the rows it walks, from measure's own tables,
// measure.NonZeroOf) to the counts MACs returns.
type Event struct {
	*stack
	w, r []*tensor.SparseRows // per layer W [I×G], R [H×G]
	embT *tensor.SparseRows   // Embᵀ [E×V]: row j holds the weights output h_j drives
	nz   measure.NonZero      // the non-zero weights per input row, measure's own tables

	evIn, evRec []int32 // event lists of the input and the recurrent input being multiplied

	counting bool
	macs     MACs
}

// MACs are executed multiply-accumulates summed over every step and stream
// since the last ResetMACs: per layer (W and R together) and for the decoder.
type MACs struct {
	Layers  []int64
	Decoder int64
}

// NewEvent returns an event engine for B streams of m, built from the
// non-zero weights of m now (m may change afterwards). It panics if B is not
// in [1, MaxBatch]; it returns an error if a layer of m has no point-wise
// step in this package.
func NewEvent(m *model.LM[float32], B int) (*Event, error) {
	st, d, err := newStack(m, B)
	if err != nil {
		return nil, err
	}
	p := &m.Params
	e := &Event{stack: st, nz: measure.NonZeroOf(m), macs: MACs{Layers: make([]int64, len(d.Layers))}}
	widest := d.Decoder.E
	for _, l := range d.Layers {
		widest = max(widest, l.I, l.H)
	}
	e.evIn, e.evRec = make([]int32, 0, widest), make([]int32, 0, widest)
	for i, l := range d.Layers {
		w := tensor.NewSparseRows(false, l.I, l.G, p.Value(l.W), tensor.FormatAuto)
		r := tensor.NewSparseRows(false, l.H, l.G, p.Value(l.R), tensor.FormatAuto)
		// Inputs that are dense by construction (layer 0's embedding,
		// the LSTM's h) are summed by output column (tensor's column
		// copy: 1.2-1.3× the row kernel on the paper's layer 0 W).
		if i == 0 {
			w.KeepColumns()
		}
		if st.layers[i].kind == lstmCell {
			w.KeepColumns()
			r.KeepColumns()
		}
		e.w, e.r = append(e.w, w), append(e.r, r)
	}
	e.embT = tensor.NewSparseRows(true, d.Decoder.E, d.Decoder.V, p.Value(d.Decoder.Emb), tensor.FormatAuto)
	return e, nil
}

// SetCounting turns the MAC counts on or off (off by default: counting
// walks each event list a second time).
func (e *Event) SetCounting(on bool) { e.counting = on }

// MACs returns a copy of the counts.
func (e *Event) MACs() MACs {
	return MACs{Layers: append([]int64(nil), e.macs.Layers...), Decoder: e.macs.Decoder}
}

// ResetMACs sets the counts to zero.
func (e *Event) ResetMACs() {
	clear(e.macs.Layers)
	e.macs.Decoder = 0
}

// Step implements Engine with the sums of Dense.Step restricted to the
// non-zero inputs and surviving weights, stream by stream.
func (e *Event) Step(ids []int32, logits []float32) {
	e.embed(ids, logits)
	in := e.stepLayers()
	I := e.E // the last layer is E wide (tied decoder)
	clear(logits)
	V := e.V
	for b := 0; b < e.B; b++ {
		h := in[b*I : (b+1)*I]
		e.evIn = tensor.Events(h, e.evIn)
		if e.counting {
			e.macs.Decoder += rowSum(e.nz.ColsEmb, e.evIn)
		}
		e.embT.MulAddEvents(h, e.evIn, logits[b*V:(b+1)*V])
	}
	tensor.AddRows(logits, e.decBias)
}

// stepLayers runs every layer on x0 [B×E] and returns the last layer's
// output [B×E]. Each product walks the event list of its input vector
// (tensor.Events: the indices of its non-zero entries), built just before.
func (e *Event) stepLayers() []float32 {
	B := e.B
	in, I := e.x0, e.E // [B×I]
	for i := range e.layers {
		l := &e.layers[i]
		H, G := l.H, l.G
		l.prepare()
		for b := 0; b < B; b++ {
			x := in[b*I : (b+1)*I]
			e.evIn = tensor.Events(x, e.evIn)
			if e.counting {
				e.macs.Layers[i] += rowSum(e.nz.RowsW[i], e.evIn)
			}
			e.w[i].MulAddEvents(x, e.evIn, l.gates[b*G:(b+1)*G])
		}
		l.addBias()
		rec := l.gates
		if l.kind == egruCell {
			rec = l.rec
		}
		for b := 0; b < B; b++ {
			s := l.s[b*H : (b+1)*H]
			e.evRec = tensor.Events(s, e.evRec)
			if e.counting {
				e.macs.Layers[i] += rowSum(e.nz.RowsR[i], e.evRec)
			}
			e.r[i].MulAddEvents(s, e.evRec, rec[b*G:(b+1)*G])
			l.cell(b)
		}
		l.finish()
		in, I = l.s, H
	}
	return in
}

// rowSum returns Σ nnz[i] over the listed rows: the MACs of non-zero
// weights that a product walking ev executes.
func rowSum(nnz []int, ev []int32) int64 {
	var t int64
	for _, i := range ev {
		t += int64(nnz[i])
	}
	return t
}
