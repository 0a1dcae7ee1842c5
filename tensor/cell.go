package tensor

import "fmt"

// LSTMCellBackward is the element-wise part of one LSTM step's backward pass
// for one batch row, fused into one pass. g holds the row's activated gates
// [i f g o] (4h), dout and dnext the gradients reaching h_t from above and
// from step t+1, dcell the gradient reaching c_t (overwritten by the one
// reaching c_{t−1}), tc = tanh(c_t), cprev = c_{t−1}; dg receives the
// gradients of the gate pre-activations:
//
//	dh = dout + dnext;  dc = dcell + dh·o·(1 − tc²)
//	di = dc·g·i·(1 − i);  df = dc·c₋·f·(1 − f);  dg = dc·i·(1 − g²);  do = dh·tc·o·(1 − o)
//	dcell ← dc·f
//
// Every product and sum is rounded to float32 in this order (no fused
// multiply-add), so the SIMD kernels and the Go loop give the same bits.
func LSTMCellBackward(g, dg, dout, dnext, dcell, tc, cprev []float32) {
	h := len(dout)
	if len(g) != 4*h || len(dg) != 4*h || len(dnext) != h || len(dcell) != h || len(tc) != h || len(cprev) != h {
		panic(fmt.Sprintf("tensor: LSTMCellBackward: lengths g %d, dg %d, dout %d, dnext %d, dcell %d, tc %d, cprev %d",
			len(g), len(dg), h, len(dnext), len(dcell), len(tc), len(cprev)))
	}
	done := lstmCellBackwardSIMD(g, dg, dout, dnext, dcell, tc, cprev, h)
	lstmCellBackwardGeneric(g, dg, dout, dnext, dcell, tc, cprev, h, done)
}

// lstmCellBackwardGeneric does elements j0..h-1.
func lstmCellBackwardGeneric(g, dg, dout, dnext, dcell, tc, cprev []float32, h, j0 int) {
	for j := j0; j < h; j++ {
		ig, fg, gg, og := g[j], g[h+j], g[2*h+j], g[3*h+j]
		dh := dout[j] + dnext[j]
		dc := dcell[j] + float32(float32(dh*og)*float32(1-float32(tc[j]*tc[j])))
		dg[j] = float32(float32(float32(dc*gg)*ig) * float32(1-ig))
		dg[h+j] = float32(float32(float32(dc*cprev[j])*fg) * float32(1-fg))
		dg[2*h+j] = float32(float32(dc*ig) * float32(1-float32(gg*gg)))
		dg[3*h+j] = float32(float32(float32(dh*tc[j])*og) * float32(1-og))
		dcell[j] = dc * fg
	}
}
