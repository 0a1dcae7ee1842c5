package model

// lstm is one LSTM layer:
//
//	[i f g o] = x_t·W + h_{t−1}·R + b        W [I×4H], R [H×4H], b [4H]
//	i, f, o = σ(·);  g = tanh(·)
//	c_t = f⊙c_{t−1} + i⊙g;  h_t = o⊙tanh(c_t)
//
// The gate order i, f, g, o is PyTorch's.
type lstm[F Float] struct {
	I, H       int
	w, r, b    int // view indices of W, R, b
	recurrent_ recurrentWeights[F]

	// Cache of the last forward pass, read by backward.
	T, B int
	x    []F // [T×B×I] input (aliased, not copied)
	act  []F // [T×B×4H] activated gates
	c    []F // [(T+1)×B×H] cell states; row block 0 is c_{−1}
	h    []F // [(T+1)×B×H] outputs; row block 0 is h_{−1}
	tc   []F // [T×B×H] tanh(c_t)

	rstep stepMat[F] // R (forward) or Rᵀ (backward), packed once per window
	steps windowSteps

	dout  []F // [T×B×H] gradient of the outputs (aliased, during backward)
	dpre  []F // [T×B×4H] gradient of the gate pre-activations
	dnext []F // [B×H] gradient flowing into h_{t−1}
	dcell []F // [B×H] gradient flowing into c_{t−1}
}

func newLSTM[F Float](p *Params[F], name string, in, hidden int) *lstm[F] {
	l := &lstm[F]{I: in, H: hidden}
	l.w = p.add(name+".W", GroupWeight, true, in, 4*hidden)
	l.r = p.add(name+".R", GroupWeight, true, hidden, 4*hidden)
	l.b = p.add(name+".b", GroupBias, false, 4*hidden)
	return l
}

func (l *lstm[F]) width() int                        { return l.H }
func (l *lstm[F]) recurrent() *recurrentWeights[F]   { return &l.recurrent_ }
func (l *lstm[F]) rIndex() int                       { return l.r }
func (l *lstm[F]) outputs() []F                      { return l.h }
func (l *lstm[F]) startWindow(*Config, []F)          {}
func (l *lstm[F]) regulariseActivity(grad F) float64 { return 0 }

func (l *lstm[F]) describe() LayerDesc {
	return LayerDesc{Cell: CellLSTM, I: l.I, H: l.H, G: 4 * l.H, W: l.w, R: l.r, Bias: l.b, Threshold: -1, BiasRZ: -1,
		Views: []int{l.w, l.r, l.b}}
}

// forward runs T steps over x [T×B×I] from state (h0, c0), each [B×H], and
// returns the outputs [T×B×H] (aliasing the cache).
func (l *lstm[F]) forward(p *Params[F], x []F, T, B int, h0, c0 []F) []F {
	I, H, G := l.I, l.H, 4*l.H
	if len(x) != T*B*I || len(h0) != B*H || len(c0) != B*H {
		panic("model: lstm forward: bad input or state length")
	}
	l.T, l.B, l.x = T, B, x
	l.act = grow(l.act, T*B*G)
	l.c = grow(l.c, (T+1)*B*H)
	l.h = grow(l.h, (T+1)*B*H)
	l.tc = grow(l.tc, T*B*H)
	copy(l.c[:B*H], c0)
	copy(l.h[:B*H], h0)

	W, b := p.Value(l.w), p.Value(l.b)
	R := l.recurrent_.used(p.Value(l.r))
	matmul(l.act, x, W, T*B, I, G, false) // all input projections of the window in one GEMM
	addBias(l.act, b)
	l.rstep.set(R, H, G, false)
	l.steps = windowSteps{l: l, T: T}
	runSteps(&l.steps, &l.rstep, B)
	return l.h[B*H:]
}

// forwardRows runs step t for the batch rows b0..b1-1: the recurrent
// product (on this goroutine alone when serial) and the cell update.
func (l *lstm[F]) forwardRows(t, b0, b1 int, serial bool) {
	B, H, G := l.B, l.H, 4*l.H
	a := l.act[t*B*G : (t+1)*B*G]
	hPrev := l.h[t*B*H : (t+1)*B*H]
	l.rstep.mulRows(serial, a[b0*G:b1*G], hPrev[b0*H:b1*H], b1-b0, true)
	cPrev := l.c[t*B*H : (t+1)*B*H]
	cNext := l.c[(t+1)*B*H : (t+2)*B*H]
	hNext := l.h[(t+1)*B*H : (t+2)*B*H]
	tc := l.tc[t*B*H : (t+1)*B*H]
	for bi := b0; bi < b1; bi++ {
		g := a[bi*G : (bi+1)*G]
		sigmoidSlice(g[:2*H], g[:2*H]) // i, f
		tanhSlice(g[2*H:3*H], g[2*H:3*H])
		sigmoidSlice(g[3*H:], g[3*H:]) // o
		ig, fg, gg := g[:H], g[H:2*H], g[2*H:3*H]
		cp, cn := cPrev[bi*H:(bi+1)*H], cNext[bi*H:(bi+1)*H]
		for j := range cn {
			cn[j] = fg[j]*cp[j] + ig[j]*gg[j]
		}
		tcRow := tc[bi*H : (bi+1)*H]
		tanhSlice(tcRow, cn)
		og, hn := g[3*H:], hNext[bi*H:(bi+1)*H]
		for j := range hn {
			hn[j] = og[j] * tcRow[j]
		}
	}
}

// final copies the state after the last step into h and c, each [B×H].
func (l *lstm[F]) final(h, c []F) {
	n := l.B * l.H
	copy(h, l.h[l.T*n:])
	copy(c, l.c[l.T*n:])
}

// backwardRows runs step t of backward for the batch rows b0..b1-1: the
// gate gradients and, for t > 0, the gradient flowing into h_{t−1}.
func (l *lstm[F]) backwardRows(t, b0, b1 int, serial bool) {
	B, H, G := l.B, l.H, 4*l.H
	a := l.act[t*B*G : (t+1)*B*G]
	d := l.dpre[t*B*G : (t+1)*B*G]
	cPrev := l.c[t*B*H : (t+1)*B*H]
	tc := l.tc[t*B*H : (t+1)*B*H]
	do := l.dout[t*B*H : (t+1)*B*H]
	for bi := b0; bi < b1; bi++ {
		g := a[bi*G : (bi+1)*G]
		dg := d[bi*G : (bi+1)*G]
		if f32ok(g) {
			r := bi * H
			lstmCellBackward32(g, dg, do[r:r+H], l.dnext[r:r+H], l.dcell[r:r+H], tc[r:r+H], cPrev[r:r+H])
			continue
		}
		for j := 0; j < H; j++ {
			k := bi*H + j
			ig, fg, gg, og := g[j], g[H+j], g[2*H+j], g[3*H+j]
			dh := do[k] + l.dnext[k]
			dc := l.dcell[k] + dh*og*(1-tc[k]*tc[k])
			dg[j] = dc * gg * ig * (1 - ig)
			dg[H+j] = dc * cPrev[k] * fg * (1 - fg)
			dg[2*H+j] = dc * ig * (1 - gg*gg)
			dg[3*H+j] = dh * tc[k] * og * (1 - og)
			l.dcell[k] = dc * fg
		}
	}
	if t == 0 {
		return
	}
	// dh_{t−1} = dpre_t·Rᵀ
	l.rstep.mulRows(serial, l.dnext[b0*H:b1*H], d[b0*G:b1*G], b1-b0, false)
}

// backward takes dout [T×B×H], the gradient of the loss with respect to the
// outputs, accumulates the parameter gradients and writes dx [T×B×I].
// The state entering the window is detached: no gradient flows into h0, c0.
func (l *lstm[F]) backward(p *Params[F], dout, dx []F) {
	T, B, I, H, G := l.T, l.B, l.I, l.H, 4*l.H
	if len(dout) != T*B*H || len(dx) != T*B*I {
		panic("model: lstm backward: bad gradient length")
	}
	R := l.recurrent_.used(p.Value(l.r))
	l.dout = dout
	l.dpre = grow(l.dpre, T*B*G)
	l.dnext = grow(l.dnext, B*H)
	l.dcell = grow(l.dcell, B*H)
	clear(l.dnext)
	clear(l.dcell)
	l.rstep.set(R, G, H, true)
	l.steps = windowSteps{l: l, T: T, backward: true}
	runSteps(&l.steps, &l.rstep, B)
	// Weight gradients for the whole window, one GEMM each.
	dR := l.recurrent_.gradTarget(p.Gradient(l.r))
	matmulTA(dR, l.h[:T*B*H], l.dpre, H, T*B, G, true) // dR += h_{t−1}ᵀ·dpre over all t
	l.recurrent_.finishGrad(p.Gradient(l.r))
	matmulTA(p.Gradient(l.w), l.x, l.dpre, I, T*B, G, true)
	addColumnSums(p.Gradient(l.b), l.dpre)
	matmulTB(dx, l.dpre, p.Value(l.w), T*B, G, I, false)
	l.dout = nil
}
