package model

import "math/rand/v2"

// recurrentWeights applies DropConnect to a recurrent matrix R: during
// training each window uses R⊙M/(1−p) with a fresh Bernoulli mask M, as
// AWD-LSTM's WeightDrop does; the gradient with respect to R is the gradient
// with respect to the dropped matrix times M/(1−p).
type recurrentWeights[F Float] struct {
	active  bool
	mask    []F // [H×G] M/(1−p)
	dropped []F // [H×G] R⊙M/(1−p)
	grad    []F // [H×G] gradient with respect to the dropped matrix
	draw    maskJob[F]
}

// sample draws a new mask for R with drop probability p.
func (rw *recurrentWeights[F]) sample(R []F, p float64, src *rand.PCG) {
	rw.active = true
	rw.mask = grow(rw.mask, len(R))
	rw.dropped = grow(rw.dropped, len(R))
	rw.draw.draw(rw.mask, p, src, R, rw.dropped)
}

// disable makes the layer use R itself (evaluation, or p = 0).
func (rw *recurrentWeights[F]) disable() { rw.active = false }

// used returns the matrix the forward pass multiplies by.
func (rw *recurrentWeights[F]) used(R []F) []F {
	if rw.active {
		return rw.dropped
	}
	return R
}

// gradTarget returns where the gradient with respect to the used matrix is
// accumulated: dR itself, or a cleared scratch buffer when DropConnect is on.
func (rw *recurrentWeights[F]) gradTarget(dR []F) []F {
	if !rw.active {
		return dR
	}
	rw.grad = grow(rw.grad, len(dR))
	clear(rw.grad)
	return rw.grad
}

// finishGrad adds the scratch gradient, masked, into dR.
func (rw *recurrentWeights[F]) finishGrad(dR []F) {
	if !rw.active {
		return
	}
	for i, m := range rw.mask {
		dR[i] += rw.grad[i] * m
	}
}

// lockedDropout is variational dropout: one mask [B×W] per window, shared by all T steps.
type lockedDropout[F Float] struct {
	active bool
	mask   []F // [B×W]
	ones   []F // [W] of ones, returned by rowMask when inactive
	draw   maskJob[F]
}

func (d *lockedDropout[F]) sample(B, W int, p float64, src *rand.PCG) {
	if p == 0 {
		d.active = false
		return
	}
	d.active = true
	d.mask = grow(d.mask, B*W)
	d.draw.draw(d.mask, p, src, nil, nil)
}

// apply writes out = in ⊙ mask (broadcast over T) for in, out [T×B×W]; without a mask it copies.
func (d *lockedDropout[F]) apply(out, in []F) {
	if !d.active {
		copy(out, in)
		return
	}
	n := len(d.mask)
	for r := 0; r < len(in); r += n {
		o, x := out[r:r+n], in[r:r+n]
		for i, m := range d.mask {
			o[i] = x[i] * m
		}
	}
}

// rowMask returns the mask row of stream b, or a row of ones when inactive.
func (d *lockedDropout[F]) rowMask(b, W int) []F {
	if d.active {
		return d.mask[b*W : (b+1)*W]
	}
	if len(d.ones) < W {
		d.ones = make([]F, W)
		for i := range d.ones {
			d.ones[i] = 1
		}
	}
	return d.ones[:W]
}
