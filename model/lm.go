package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// layer is a recurrent layer as the language model drives it.
type layer[F Float] interface {
	width() int
	// forward runs a window from state (s0, c0) and returns the outputs [T×B×H].
	forward(p *Params[F], x []F, T, B int, s0, c0 []F) []F
	// backward takes the output gradient [T×B×H] and writes the input gradient [T×B×I].
	backward(p *Params[F], dout, dx []F)
	// final copies the state after the window into s and c.
	final(s, c []F)
	recurrent() *recurrentWeights[F]
	rIndex() int
	// describe returns the layer's entry of the model description.
	describe() LayerDesc
	// outputs returns the output buffer of the last forward pass,
	// [(T+1)×B×H] with the entering state as row block 0 (see LM.LayerIO).
	outputs() []F
	// startWindow prepares the cell state c [B×H] entering a window: the
	// EGRU zeroes it when cfg.ZeroStateWindow is set (read per window, as the
	// config may change between windows), otherwise it is kept.
	startWindow(cfg *Config, c []F)
	// regulariseActivity sets grad = ∂(regulariser)/∂o for every output of
	// the current window and returns Σ o, the window's event count (0 for a
	// layer without events, which ignores grad).
	regulariseActivity(grad F) float64
}

// LM is a word-level language model: embedding → stacked LSTM or EGRU layers → decoder tied to the embedding.
type LM[F Float] struct {
	Config Config
	Params Params[F]

	emb, decBias int // view indices: Emb [V×E], decoder bias [V]
	layers       []layer[F]
	events       bool // some layer outputs events (the activity regulariser applies)
	dec          decoder[F]

	// Regularisation state of the current training window.
	wordScale []F // [V] word-dropout scale per vocabulary row; nil when off
	wordDraw  maskJob[F]
	dropIn    lockedDropout[F]
	dropOut   []lockedDropout[F] // per layer: between layers, and DropOutput on the last

	// Buffers of the current window.
	T, B    int
	inputs  [][]F // per layer its input after dropout [T×B×I]
	top     []F   // [T×B×E] last layer output after dropout: the decoder input
	dtop    []F
	dinputs [][]F // per layer the gradient of its input
	dlayer  []F   // scratch: gradient of one layer's raw output

	nonZero, outputs []int // per-layer counts of the current window, reused
}

// State is the recurrent state carried across BPTT windows: per layer the
// output (h for the LSTM, the events y for the EGRU) and the cell state c, each [B×H].
type State[F Float] struct {
	B    int
	S, C [][]F
}

// StepStats reports one window: summed NLL, tokens, and per-layer event counts.
type StepStats struct {
	NLL          float64 // Σ −log p(target) over the window
	Tokens       int
	ActivityLoss float64 // λ·mean event rate (EGRU with ActivityReg > 0)
	NonZero      []int   // per layer, outputs that are not exactly zero (valid until the next window)
	Outputs      []int   // per layer, all outputs (T·B·H) (valid until the next window)
}

// New builds an untrained model for c with its parameters initialised from rng.
func New[F Float](c Config, rng *rand.Rand) (*LM[F], error) {
	m, err := newUninitialised[F](c)
	if err != nil {
		return nil, err
	}
	m.initialise(rng)
	return m, nil
}

// newUninitialised lays out the parameter slab for c, all zero.
func newUninitialised[F Float](c Config) (*LM[F], error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m := &LM[F]{Config: c}
	p := &m.Params
	m.emb = p.add("embedding", GroupWeight, false, c.Vocab, c.Embed)
	in := c.Embed
	for i, h := range c.Hidden {
		name := fmt.Sprintf("layers.%d", i)
		switch c.Cell {
		case CellLSTM:
			m.layers = append(m.layers, newLSTM(p, name, in, h))
		case CellEGRU:
			l := newEGRU(p, name, in, h)
			l.height, l.slope = F(c.PseudoHeight), F(c.PseudoWidth)
			m.layers = append(m.layers, l)
		}
		in = h
	}
	m.decBias = p.add("decoder.bias", GroupBias, false, c.Vocab)
	p.alloc()
	for _, l := range m.layers {
		m.events = m.events || l.describe().Events
	}
	m.dec = decoder[F]{V: c.Vocab, E: c.Embed}
	m.dropOut = make([]lockedDropout[F], len(c.Hidden))
	m.inputs = make([][]F, len(c.Hidden))
	m.dinputs = make([][]F, len(c.Hidden))
	return m, nil
}

// initialise draws the parameters: embedding U(−0.1, 0.1) as in AWD-LSTM,
// layer matrices and biases U(−1/√H, 1/√H) as in PyTorch (or U(−s, s) with
// Config.InitScale), thresholds from Beta(α, 3) with mean ThresholdMean.
func (m *LM[F]) initialise(rng *rand.Rand) {
	uniform := func(x []F, s float64) {
		for i := range x {
			x[i] = F((2*rng.Float64() - 1) * s)
		}
	}
	p := &m.Params
	uniform(p.Value(m.emb), 0.1)
	for _, l := range m.layers {
		s := 1 / math.Sqrt(float64(l.width()))
		if m.Config.InitScale > 0 {
			s = m.Config.InitScale
		}
		for _, i := range l.describe().Views {
			if p.Views[i].Group == GroupThreshold {
				mu := m.Config.ThresholdMean
				beta := distuv.Beta{Alpha: 3 * mu / (1 - mu), Beta: 3, Src: rng}
				for j := range p.Value(i) {
					p.Value(i)[j] = F(min(1, max(0, beta.Rand())))
				}
				continue
			}
			uniform(p.Value(i), s)
		}
	}
}

// NewState returns a zero state for B streams.
func (m *LM[F]) NewState(B int) *State[F] {
	st := &State[F]{B: B}
	for _, l := range m.layers {
		st.S = append(st.S, make([]F, B*l.width()))
		st.C = append(st.C, make([]F, B*l.width()))
	}
	return st
}

// Layers returns the number of recurrent layers.
func (m *LM[F]) Layers() int { return len(m.layers) }

// Embedding returns the embedding matrix [V×E] (aliasing the slab).
func (m *LM[F]) Embedding() []F { return m.Params.Value(m.emb) }

// forward embeds x [T×B], runs the layers from st (updating it) and leaves
// the decoder input in m.top. With rng non-nil it samples and applies the
// dropout masks of a training window; with rng nil every dropout is off.
func (m *LM[F]) forward(x []int32, T, B int, st *State[F], rng *rand.PCG) {
	c := &m.Config
	if len(x) != T*B || st.B != B {
		panic("model: forward: window and state shapes disagree")
	}
	m.T, m.B = T, B
	p := &m.Params
	E, V := c.Embed, c.Vocab
	train := rng != nil

	// Embedding lookup with word dropout: a dropped word type is zero in the
	// whole window, a kept one is scaled by 1/(1−p).
	m.wordScale = m.wordScale[:0]
	if train && c.DropWord > 0 {
		m.wordScale = grow(m.wordScale, V)
		m.wordDraw.draw(m.wordScale, c.DropWord, rng, nil, nil)
	}
	m.inputs[0] = grow(m.inputs[0], T*B*E)
	emb := p.Value(m.emb)
	m.sampleLocked(&m.dropIn, train, B, E, c.DropInput, rng)
	for i, id := range x {
		if int(id) < 0 || int(id) >= V {
			panic(fmt.Sprintf("model: token id %d outside the vocabulary of %d", id, V))
		}
		row, out := emb[int(id)*E:(int(id)+1)*E], m.inputs[0][i*E:(i+1)*E]
		s := F(1)
		if len(m.wordScale) > 0 {
			s = m.wordScale[id]
		}
		mask := m.dropIn.rowMask(i%B, E)
		for j := range out {
			out[j] = row[j] * s * mask[j]
		}
	}

	for i, l := range m.layers {
		rw := l.recurrent()
		if train && c.DropConnect > 0 {
			rw.sample(p.Value(l.rIndex()), c.DropConnect, rng)
		} else {
			rw.disable()
		}
		l.startWindow(c, st.C[i])
		out := l.forward(p, m.inputs[i], T, B, st.S[i], st.C[i])
		l.final(st.S[i], st.C[i])
		pDrop, next := c.DropHidden, &m.top
		if i+1 < len(m.layers) {
			next = &m.inputs[i+1]
		} else {
			pDrop = c.DropOutput
		}
		*next = grow(*next, len(out))
		m.sampleLocked(&m.dropOut[i], train, B, l.width(), pDrop, rng)
		m.dropOut[i].apply(*next, out)
	}
}

func (m *LM[F]) sampleLocked(d *lockedDropout[F], train bool, B, W int, p float64, rng *rand.PCG) {
	if !train || p == 0 {
		d.active = false
		return
	}
	d.sample(B, W, p, rng)
}

// TrainStep runs forward and backward over one window: x and y [T×B] are
// the inputs and targets, st the carried state (updated), rng the source of
// dropout masks (one number per mask element, see masks.go). Gradients of
// the mean NLL (plus the activity regulariser) are added to Params.Grad;
// the caller zeroes them and steps the optimiser.
func (m *LM[F]) TrainStep(x, y []int32, T, B int, st *State[F], rng *rand.PCG) StepStats {
	if len(y) != T*B {
		panic("model: TrainStep: targets and window shapes disagree")
	}
	c := &m.Config
	m.forward(x, T, B, st, rng)
	stats := m.countEvents()
	if m.events {
		total := 0
		for _, n := range stats.Outputs {
			total += n
		}
		grad := F(c.ActivityReg / float64(total))
		for _, l := range m.layers {
			sum := l.regulariseActivity(grad)
			stats.ActivityLoss += c.ActivityReg * sum / float64(total)
		}
	}
	p := &m.Params
	E := c.Embed
	m.dtop = grow(m.dtop, T*B*E)
	stats.NLL = m.dec.forwardBackward(m.top, y, p.Value(m.emb), p.Value(m.decBias),
		m.dtop, p.Gradient(m.emb), p.Gradient(m.decBias), F(1/float64(T*B)))
	stats.Tokens = T * B

	dout := m.dtop
	for i := len(m.layers) - 1; i >= 0; i-- {
		l := m.layers[i]
		m.dlayer = grow(m.dlayer, len(dout))
		m.dropOut[i].apply(m.dlayer, dout) // the mask is its own transpose
		m.dinputs[i] = grow(m.dinputs[i], len(m.inputs[i]))
		l.backward(p, m.dlayer, m.dinputs[i])
		dout = m.dinputs[i]
	}
	// Embedding gradient: through the locked input mask and the word scale.
	dEmb := p.Gradient(m.emb)
	for i, id := range x {
		s := F(1)
		if len(m.wordScale) > 0 {
			s = m.wordScale[id]
			if s == 0 {
				continue
			}
		}
		g, drow := dout[i*E:(i+1)*E], dEmb[int(id)*E:(int(id)+1)*E]
		mask := m.dropIn.rowMask(i%B, E)
		for j := range drow {
			drow[j] += g[j] * s * mask[j]
		}
	}
	return stats
}

// Evaluate runs one window without dropout and returns the summed NLL and event counts.
func (m *LM[F]) Evaluate(x, y []int32, T, B int, st *State[F]) StepStats {
	if len(y) != T*B {
		panic("model: Evaluate: targets and window shapes disagree")
	}
	m.forward(x, T, B, st, nil)
	stats := m.countEvents()
	p := &m.Params
	stats.NLL = m.dec.forwardBackward(m.top, y, p.Value(m.emb), p.Value(m.decBias), nil, nil, nil, 0)
	stats.Tokens = T * B
	return stats
}

// countEvents counts the outputs of the current window. The returned slices
// are reused by the next window (no allocation per step).
func (m *LM[F]) countEvents() StepStats {
	s := StepStats{NonZero: m.nonZero[:0], Outputs: m.outputs[:0]}
	defer func() { m.nonZero, m.outputs = s.NonZero, s.Outputs }()
	for i, l := range m.layers {
		_, out := m.LayerIO(i)
		s.NonZero = append(s.NonZero, countNonZero(out[m.B*l.width():]))
		s.Outputs = append(s.Outputs, m.T*m.B*l.width())
	}
	return s
}

func countNonZero[F Float](x []F) int {
	n := 0
	for _, v := range x {
		if v != 0 {
			n++
		}
	}
	return n
}

// LayerIO returns what layer l saw and produced in the last forward pass
// (Evaluate or TrainStep), aliasing the layer's buffers until the next pass:
// in [T×B×I] is its input (after dropout, if any), out [(T+1)×B×H] its
// outputs with the state entering the window as row block 0, so out block t
// is the recurrent input of step t (h_{t−1} for the LSTM, the events y_{t−1}
// for the EGRU) and out[B·H:] the window's outputs. After Evaluate (no
// dropout) out[B·H:] of the last layer is the decoder input.
// It panics if l is out of range.
func (m *LM[F]) LayerIO(l int) (in, out []F) {
	n := (m.T + 1) * m.B * m.layers[l].width()
	return m.inputs[l], m.layers[l].outputs()[:n]
}
