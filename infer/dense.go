package infer

import (
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
)

// Dense is the reference engine: every weight of every matrix, zeros
// included, in dense row-major copies, multiplied by tensor.VecMat for all
// B streams at once: the layers' W and R, and the decoder's Embᵀ [E×V] (a
// transposed copy of Emb, so that logits = h·Embᵀ streams it row by row
// like a layer; tensor.MatVec on Emb takes one Dot per output: on the
// paper shape, 750×10000, 1.41 against 1.80 ms in bench/compare_infer.sh's
// runs 131834 and 130042, and 1.13 against 2.35 ms as the whole-model minus
// layers time of the paper LSTM in one bench infer run). It
// executes the dense count of package measure: Σ_l (I_l + H_l)·G_l + V·E
// MACs per token.
type Dense struct {
	*stack
	w, r [][]float32 // per layer W [I×G], R [H×G], row-major
	embT []float32   // Embᵀ [E×V]
}

// NewDense returns a dense engine for B streams of m, holding copies of its
// weights (m may change afterwards). It panics if B is not in [1, MaxBatch];
// it returns an error if a layer of m has no point-wise step in this package.
func NewDense(m *model.LM[float32], B int) (*Dense, error) {
	st, d, err := newStack(m, B)
	if err != nil {
		return nil, err
	}
	e := &Dense{stack: st, embT: tensor.MakeHuge(st.E * st.V)}
	for v := 0; v < st.V; v++ {
		for j, x := range st.emb[v*st.E : (v+1)*st.E] {
			e.embT[j*st.V+v] = x
		}
	}
	for _, l := range d.Layers {
		e.w = append(e.w, clone(&m.Params, l.W, l.I*l.G))
		e.r = append(e.r, clone(&m.Params, l.R, l.H*l.G))
	}
	return e, nil
}

// Step implements Engine: per layer, gates [B×G] = x·W + b (+ s_{t−1}·R
// for the LSTM; rec [B×G] = y_{t−1}·R for the EGRU), the point-wise step;
// then logits [B×V] = h·Embᵀ + bias.
func (e *Dense) Step(ids []int32, logits []float32) {
	e.embed(ids, logits)
	in := e.stepLayers()
	clear(logits) // bias added after the products, as in the model's decoder
	tensor.VecMat(e.B, e.E, e.V, in, e.embT, logits)
	tensor.AddRows(logits, e.decBias)
}

// stepLayers runs every layer on x0 [B×E] and returns the last layer's
// output [B×E].
func (e *Dense) stepLayers() []float32 {
	B := e.B
	in := e.x0 // [B×I]
	for i := range e.layers {
		l := &e.layers[i]
		l.prepare()
		tensor.VecMat(B, l.I, l.G, in, e.w[i], l.gates)
		l.addBias()
		rec := l.gates
		if l.kind == egruCell {
			rec = l.rec
		}
		tensor.VecMat(B, l.H, l.G, l.s, e.r[i], rec)
		for b := 0; b < B; b++ {
			l.cell(b)
		}
		l.finish()
		in = l.s
	}
	return in
}
