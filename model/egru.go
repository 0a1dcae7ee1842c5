package model

// egru is one event-based GRU layer (METHOD.md):
//
//	u  = σ(W_u x_t + R_u y_{t−1} + b_u)
//	r  = σ(W_r x_t + R_r y_{t−1} + b_r)
//	z  = tanh(W_z x_t + r ⊙ (R_z y_{t−1} + b_rz) + b_z)
//	ĉ  = u ⊙ c_{t−1} + (1 − u) ⊙ z
//	o  = H(ĉ − ϑ);  y_t = o ⊙ ĉ;  c_t = ĉ − o ⊙ ϑ
//
// with W [I×3H] and R [H×3H] holding the gates u, r, z side by side, b [3H],
// b_rz [H] and thresholds ϑ [H]. The recurrent input is the event output y:
// a silent unit contributes exactly zero. Backward replaces H' by the
// triangular pseudo-derivative ψ(s) = γ·max(0, 1−β|s|), s = ĉ − ϑ.
type egru[F Float] struct {
	I, H                int
	w, r, b, brz, theta int // view indices
	height, slope       F   // γ and β of ψ(s) = γ·max(0, 1−β|s|)
	activityGrad        F   // ∂(regulariser)/∂o for every o of this window; set by the model
	brzV, thetaV        []F // values of b_rz and ϑ during a pass
	smooth              bool
	recurrent_          recurrentWeights[F]

	// Cache of the last forward pass, read by backward.
	T, B  int
	x     []F        // [T×B×I] input (aliased)
	gates []F        // [T×B×3H] u, r, z after their nonlinearities
	zr    []F        // [T×B×H] R_z y_{t−1} + b_rz
	chat  []F        // [T×B×H] ĉ
	o     []F        // [T×B×H] events (0/1; the smooth step in gradient checks)
	c     []F        // [(T+1)×B×H] internal state; row block 0 is c_{−1}
	y     []F        // [(T+1)×B×H] event outputs; row block 0 is y_{−1}
	rec   []F        // [B×G] recurrent projection of one step
	rstep stepMat[F] // R (forward) or Rᵀ (backward), packed once per window
	steps windowSteps

	dout  []F // [T×B×H] gradient of the outputs (aliased, during backward)
	dth   []F // [T×B×H] per-element contributions to −dϑ, summed after the steps
	dpx   []F // [T×B×3H] gradient of the input pre-activations
	drec  []F // [T×B×3H] gradient of the recurrent projection (u, r pre-activations; R_z y + b_rz)
	dnext []F // [B×H] gradient flowing into y_{t−1}
	dcell []F // [B×H] gradient flowing into c_{t−1}
}

func newEGRU[F Float](p *Params[F], name string, in, hidden int) *egru[F] {
	l := &egru[F]{I: in, H: hidden}
	l.w = p.add(name+".W", GroupWeight, true, in, 3*hidden)
	l.r = p.add(name+".R", GroupWeight, true, hidden, 3*hidden)
	l.b = p.add(name+".b", GroupBias, false, 3*hidden)
	l.brz = p.add(name+".b_rz", GroupBias, false, hidden)
	l.theta = p.add(name+".theta", GroupThreshold, false, hidden)
	return l
}

func (l *egru[F]) width() int                      { return l.H }
func (l *egru[F]) recurrent() *recurrentWeights[F] { return &l.recurrent_ }
func (l *egru[F]) rIndex() int                     { return l.r }
func (l *egru[F]) outputs() []F                    { return l.y }

func (l *egru[F]) describe() LayerDesc {
	return LayerDesc{Cell: CellEGRU, I: l.I, H: l.H, G: 3 * l.H, W: l.w, R: l.r, Bias: l.b, Threshold: l.theta, BiasRZ: l.brz,
		Views: []int{l.w, l.r, l.b, l.brz, l.theta}, Events: true}
}

func (l *egru[F]) startWindow(cfg *Config, c []F) {
	if cfg.ZeroStateWindow {
		clear(c)
	}
}

// regulariseActivity sets the regulariser's ∂/∂o for backward and returns
// Σ o over the window [T×B×H] of the last forward pass.
func (l *egru[F]) regulariseActivity(grad F) float64 {
	l.activityGrad = grad
	var sum float64
	for _, o := range l.o[:l.T*l.B*l.H] {
		sum += float64(o)
	}
	return sum
}

// step is the Heaviside step H(s), or in gradient checks the smooth step
// whose derivative is exactly ψ.
func (l *egru[F]) step(s F) F {
	if l.smooth {
		return smoothStep(s, l.height, l.slope)
	}
	if s > 0 {
		return 1
	}
	return 0
}

// pseudoDerivative returns ψ(s) = γ·max(0, 1 − β|s|).
func pseudoDerivative[F Float](s, height, width F) F {
	if s < 0 {
		s = -s
	}
	v := 1 - width*s
	if v <= 0 {
		return 0
	}
	return height * v
}

// smoothStep is the antiderivative of ψ that is 0 left of the support:
// γβ/2·(s+1/β)² on [−1/β, 0], γ/(2β) + γ(s − βs²/2) on [0, 1/β], γ/β right of it.
func smoothStep[F Float](s, height, width F) F {
	half := 1 / width
	switch {
	case s <= -half:
		return 0
	case s <= 0:
		return height * width / 2 * (s + half) * (s + half)
	case s < half:
		return height/(2*width) + height*(s-width*s*s/2)
	}
	return height / width
}

// forward runs T steps over x [T×B×I] from state (y0, c0), each [B×H], and
// returns the event outputs [T×B×H] (aliasing the cache).
func (l *egru[F]) forward(p *Params[F], x []F, T, B int, y0, c0 []F) []F {
	I, H, G := l.I, l.H, 3*l.H
	if len(x) != T*B*I || len(y0) != B*H || len(c0) != B*H {
		panic("model: egru forward: bad input or state length")
	}
	l.T, l.B, l.x = T, B, x
	l.gates = grow(l.gates, T*B*G)
	l.zr = grow(l.zr, T*B*H)
	l.chat = grow(l.chat, T*B*H)
	l.o = grow(l.o, T*B*H)
	l.c = grow(l.c, (T+1)*B*H)
	l.y = grow(l.y, (T+1)*B*H)
	l.rec = grow(l.rec, B*G)
	copy(l.c[:B*H], c0)
	copy(l.y[:B*H], y0)

	W, b := p.Value(l.w), p.Value(l.b)
	l.brzV, l.thetaV = p.Value(l.brz), p.Value(l.theta)
	R := l.recurrent_.used(p.Value(l.r))
	matmul(l.gates, x, W, T*B, I, G, false) // all input projections of the window in one GEMM
	addBias(l.gates, b)
	l.rstep.set(R, H, G, false)
	l.steps = windowSteps{l: l, T: T}
	runSteps(&l.steps, &l.rstep, B)
	return l.y[B*H:]
}

// forwardRows runs step t for the batch rows b0..b1-1: the recurrent
// product (on this goroutine alone when serial) and the cell update.
func (l *egru[F]) forwardRows(t, b0, b1 int, serial bool) {
	B, H, G := l.B, l.H, 3*l.H
	brz, theta := l.brzV, l.thetaV
	px := l.gates[t*B*G : (t+1)*B*G]
	yPrev := l.y[t*B*H : (t+1)*B*H]
	l.rstep.mulRows(serial, l.rec[b0*G:b1*G], yPrev[b0*H:b1*H], b1-b0, false)
	cPrev := l.c[t*B*H : (t+1)*B*H]
	cNext := l.c[(t+1)*B*H : (t+2)*B*H]
	yNext := l.y[(t+1)*B*H : (t+2)*B*H]
	zr := l.zr[t*B*H : (t+1)*B*H]
	chat := l.chat[t*B*H : (t+1)*B*H]
	o := l.o[t*B*H : (t+1)*B*H]
	for bi := b0; bi < b1; bi++ {
		g := px[bi*G : (bi+1)*G]
		rc := l.rec[bi*G : (bi+1)*G]
		if f32ok(g) && !l.smooth {
			r := bi * H
			egruCellForward32(g, rc, brz, zr[r:r+H], cPrev[r:r+H], theta, chat[r:r+H], o[r:r+H], yNext[r:r+H], cNext[r:r+H])
			continue
		}
		for j := range 2 * H { // u, r pre-activations
			g[j] += rc[j]
		}
		sigmoidSlice(g[:2*H], g[:2*H])
		r, zrRow, z := g[H:2*H], zr[bi*H:(bi+1)*H], g[2*H:]
		for j := range zrRow {
			zrRow[j] = rc[2*H+j] + brz[j]
			z[j] += r[j] * zrRow[j]
		}
		tanhSlice(z, z)
		for j := 0; j < H; j++ {
			k := bi*H + j
			u := g[j]
			ch := u*cPrev[k] + (1-u)*z[j]
			chat[k] = ch
			ev := l.step(ch - theta[j])
			o[k] = ev
			yNext[k] = ev * ch
			cNext[k] = ch - ev*theta[j]
		}
	}
}

// final copies the state after the last step into y and c, each [B×H].
func (l *egru[F]) final(y, c []F) {
	n := l.B * l.H
	copy(y, l.y[l.T*n:])
	copy(c, l.c[l.T*n:])
}

// backwardRows runs step t of backward for the batch rows b0..b1-1: the
// gradients of the pre-activations, the per-element threshold terms and,
// for t > 0, the gradient flowing into y_{t−1}.
func (l *egru[F]) backwardRows(t, b0, b1 int, serial bool) {
	B, H, G := l.B, l.H, 3*l.H
	theta := l.thetaV
	gates := l.gates[t*B*G : (t+1)*B*G]
	dpx := l.dpx[t*B*G : (t+1)*B*G]
	drec := l.drec[t*B*G : (t+1)*B*G]
	cPrev := l.c[t*B*H : (t+1)*B*H]
	zr := l.zr[t*B*H : (t+1)*B*H]
	chat := l.chat[t*B*H : (t+1)*B*H]
	o := l.o[t*B*H : (t+1)*B*H]
	dy := l.dout[t*B*H : (t+1)*B*H]
	dth := l.dth[t*B*H : (t+1)*B*H]
	for bi := b0; bi < b1; bi++ {
		g := gates[bi*G : (bi+1)*G]
		dp := dpx[bi*G : (bi+1)*G]
		dr := drec[bi*G : (bi+1)*G]
		if f32ok(g) {
			r := bi * H
			egruCellBackward32(g, dp, dr, dy[r:r+H], l.dnext[r:r+H], l.dcell[r:r+H], chat[r:r+H], o[r:r+H],
				cPrev[r:r+H], zr[r:r+H], theta, dth[r:r+H], l.activityGrad, l.height, l.slope)
			continue
		}
		for j := 0; j < H; j++ {
			k := bi*H + j
			u, r, z := g[j], g[H+j], g[2*H+j]
			dyk := dy[k] + l.dnext[k]
			dc := l.dcell[k]
			// y = o·ĉ and c = ĉ − o·ϑ, with o = H(ĉ − ϑ).
			do := dyk*chat[k] - dc*theta[j] + l.activityGrad
			ds := do * pseudoDerivative(chat[k]-theta[j], l.height, l.slope)
			dchat := dyk*o[k] + dc + ds
			dth[k] = ds + dc*o[k]
			// ĉ = u·c_{t−1} + (1−u)·z
			du := dchat * (cPrev[k] - z)
			dz := dchat * (1 - u)
			l.dcell[k] = dchat * u
			daz := dz * (1 - z*z)
			dau := du * u * (1 - u)
			dar := daz * zr[k] * r * (1 - r)
			dp[j], dp[H+j], dp[2*H+j] = dau, dar, daz
			dr[j], dr[H+j], dr[2*H+j] = dau, dar, daz*r
		}
	}
	if t == 0 {
		return
	}
	// dy_{t−1} = drec_t·Rᵀ
	l.rstep.mulRows(serial, l.dnext[b0*H:b1*H], drec[b0*G:b1*G], b1-b0, false)
}

// backward takes dout [T×B×H], the gradient of the loss with respect to the
// event outputs, accumulates the parameter gradients and writes dx [T×B×I].
// It mirrors forward in reverse; the state entering the window is detached.
func (l *egru[F]) backward(p *Params[F], dout, dx []F) {
	T, B, I, H, G := l.T, l.B, l.I, l.H, 3*l.H
	if len(dout) != T*B*H || len(dx) != T*B*I {
		panic("model: egru backward: bad gradient length")
	}
	l.thetaV = p.Value(l.theta)
	dtheta, dbrz := p.Gradient(l.theta), p.Gradient(l.brz)
	R := l.recurrent_.used(p.Value(l.r))
	l.dout = dout
	l.dth = grow(l.dth, T*B*H)
	l.dpx = grow(l.dpx, T*B*G)
	l.drec = grow(l.drec, T*B*G)
	l.dnext = grow(l.dnext, B*H)
	l.dcell = grow(l.dcell, B*H)
	clear(l.dnext)
	clear(l.dcell)
	l.rstep.set(R, G, H, true)
	l.steps = windowSteps{l: l, T: T, backward: true}
	runSteps(&l.steps, &l.rstep, B)
	// The threshold and b_rz gradients sum over steps and rows, in the
	// order of the backward pass (t descending, rows ascending) whatever
	// the split of the rows.
	for t := T - 1; t >= 0; t-- {
		for bi := 0; bi < B; bi++ {
			dth := l.dth[(t*B+bi)*H : (t*B+bi+1)*H]
			dzr := l.drec[(t*B+bi)*G+2*H : (t*B+bi+1)*G]
			for j := range dth {
				dtheta[j] -= dth[j]
				dbrz[j] += dzr[j]
			}
		}
	}
	l.dout = nil
	dR := l.recurrent_.gradTarget(p.Gradient(l.r))
	matmulTA(dR, l.y[:T*B*H], l.drec, H, T*B, G, true) // dR += y_{t−1}ᵀ·drec over all t
	l.recurrent_.finishGrad(p.Gradient(l.r))
	matmulTA(p.Gradient(l.w), l.x, l.dpx, I, T*B, G, true)
	addColumnSums(p.Gradient(l.b), l.dpx)
	matmulTB(dx, l.dpx, p.Value(l.w), T*B, G, I, false)
}
