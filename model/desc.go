package model

// Desc is the one description of a model's structure that readers outside
// the layers (measure, prune, train, engines) use instead of cell names or
// formatted tensor names: per recurrent layer its widths and the indices of
// its views in Params, and the decoder.
type Desc struct {
	Layers  []LayerDesc // bottom to top
	Decoder DecoderDesc
}

// LayerDesc describes one recurrent layer. W, R, Bias and Threshold index
// Params.Views (and so Params.Value, Params.Gradient and the mask slab);
// matrices are row-major and input-major, so row i of W holds the G weights
// that input i drives.
type LayerDesc struct {
	// Cell is CellLSTM or CellEGRU: the cell type. Only code that carries
	// out a cell's own step (an inference engine) dispatches on it; readers
	// of sizes, weights and activity use the fields below.
	Cell string

	I int // input width: E for layer 0, else the H of the layer below
	H int // hidden width: the layer's outputs per stream and step
	G int // gate width: 4H for the LSTM (i, f, g, o), 3H for the EGRU (u, r, z)

	W    int // input weights [I×G]
	R    int // recurrent weights [H×G]
	Bias int // gate bias [G]
	// Threshold is the view of the thresholds ϑ [H] of an event layer, −1 for a dense one.
	Threshold int
	// BiasRZ is the view of the EGRU's b_rz [H] (inside the reset product
	// r ⊙ (R_z y + b_rz)), −1 for a layer without one.
	BiasRZ int
	// Views lists every view of the layer in slab order (W, R, Bias, then
	// the EGRU's b_rz [H] and ϑ [H]).
	Views []int

	// Events says whether the outputs are events: the EGRU's y = o⊙ĉ is
	// exactly zero wherever a unit is silent, and y is also the layer's
	// recurrent input. The LSTM's h is dense.
	Events bool
}

// DecoderDesc describes the decoder tied to the embedding:
// logits [N×V] = h [N×E] · Embᵀ + bias.
type DecoderDesc struct {
	V, E int
	Emb  int // view of the embedding [V×E], also the decoder's weight
	Bias int // view of the decoder bias [V]
}

// Describe returns the description of m. The slices are fresh on each call.
func (m *LM[F]) Describe() Desc {
	d := Desc{Decoder: DecoderDesc{V: m.Config.Vocab, E: m.Config.Embed, Emb: m.emb, Bias: m.decBias}}
	for _, l := range m.layers {
		d.Layers = append(d.Layers, l.describe())
	}
	return d
}

// Events reports whether any layer of d outputs events.
func (d Desc) Events() bool {
	for _, l := range d.Layers {
		if l.Events {
			return true
		}
	}
	return false
}
