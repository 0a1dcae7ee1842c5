package tensor

import (
	"fmt"
	"math"
)

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

// EGRUCellBackward is the element-wise part of one EGRU step's backward pass
// for one batch row (docs/method.md; model/egru.go has the forward). gates holds
// the row's u, r, z (3h); dy and dnext the gradients reaching y_t from above
// and from step t+1; dcell the gradient reaching c_t (overwritten by the one
// reaching c_{t−1}); chat = ĉ, o the events, cprev = c_{t−1}, zr = R_z·y₋ + b_rz,
// theta = ϑ. It writes dp (3h, gradients of the input pre-activations u, r,
// z), dr (3h, of the recurrent projection: u, r and R_z·y₋ + b_rz) and dth
// (h, the per-element term that the caller sums into −dϑ):
//
//	dy' = dy + dnext;  do = dy'·ĉ − dc·ϑ + a;  ds = do·ψ(ĉ − ϑ),  ψ(s) = γ·max(0, 1 − β|s|)
//	dĉ = dy'·o + dc + ds;  dth = ds + dc·o
//	du = dĉ·(c₋ − z);  dz = dĉ·(1 − u);  dcell ← dĉ·u
//	daz = dz·(1 − z²);  dau = du·u·(1 − u);  dar = daz·zr·r·(1 − r)
//	dp = (dau, dar, daz);  dr = (dau, dar, daz·r)
//
// with a = activityGrad, γ = height, β = slope, every operation rounded to
// float32 in this order, so the SIMD kernels and the Go loop give the same
// bits.
func EGRUCellBackward(gates, dp, dr, dy, dnext, dcell, chat, o, cprev, zr, theta, dth []float32, activityGrad, height, slope float32) {
	h := len(dy)
	for _, n := range []int{len(dnext), len(dcell), len(chat), len(o), len(cprev), len(zr), len(theta), len(dth)} {
		if n != h {
			panic(fmt.Sprintf("tensor: EGRUCellBackward: a per-unit slice has length %d, dy has %d", n, h))
		}
	}
	if len(gates) != 3*h || len(dp) != 3*h || len(dr) != 3*h {
		panic(fmt.Sprintf("tensor: EGRUCellBackward: gates %d, dp %d, dr %d, want 3·%d", len(gates), len(dp), len(dr), h))
	}
	c := egruConsts{math.Float32bits(activityGrad), math.Float32bits(height), math.Float32bits(slope), math.Float32bits(1), 0x7fffffff}
	done := egruCellBackwardSIMD(gates, dp, dr, dy, dnext, dcell, chat, o, cprev, zr, theta, dth, h, &c)
	egruCellBackwardGeneric(gates, dp, dr, dy, dnext, dcell, chat, o, cprev, zr, theta, dth, h, done, activityGrad, height, slope)
}

// egruConsts is the parameter block of the EGRU kernels: activity gradient,
// γ, β and 1 as float32 bits, and the mask that clears the sign bit.
type egruConsts [5]uint32

// egruCellBackwardGeneric does elements j0..h-1.
func egruCellBackwardGeneric(gates, dp, dr, dy, dnext, dcell, chat, o, cprev, zr, theta, dth []float32, h, j0 int, ag, height, slope float32) {
	for j := j0; j < h; j++ {
		u, r, z := gates[j], gates[h+j], gates[2*h+j]
		dyk := dy[j] + dnext[j]
		dc := dcell[j]
		do := float32(float32(dyk*chat[j])-float32(dc*theta[j])) + ag
		s := chat[j] - theta[j]
		if s < 0 {
			s = -s
		}
		var psi float32
		if v := 1 - float32(slope*s); !(v <= 0) {
			psi = height * v
		}
		ds := float32(do * psi) // rounded, or Go may fuse it into the two sums below (arm64, GOAMD64=v3)
		dchat := float32(float32(dyk*o[j])+dc) + ds
		dth[j] = ds + float32(dc*o[j])
		du := dchat * float32(cprev[j]-z)
		dz := dchat * float32(1-u)
		dcell[j] = dchat * u
		daz := dz * float32(1-float32(z*z))
		dau := float32(du*u) * float32(1-u)
		dar := float32(float32(daz*zr[j])*r) * float32(1-r)
		dp[j], dp[h+j], dp[2*h+j] = dau, dar, daz
		dr[j], dr[h+j], dr[2*h+j] = dau, dar, daz*r
	}
}

// EGRUCellForward is one EGRU step for one batch row (docs/method.md) after the
// products: gates holds the input pre-activations of u, r, z (3h) and
// receives u, r and z after their nonlinearities; rec is the recurrent
// projection (3h: u, r, and R_z·y₋ without b_rz). It writes zr = R_z·y₋ + b_rz,
// ĉ, the events o (1 or 0), y and c:
//
//	u, r = σ(gates + rec);  z = tanh(gates_z + r·zr)
//	ĉ = u·c₋ + (1 − u)·z;  o = H(ĉ − ϑ);  y = o·ĉ;  c = ĉ − o·ϑ
//
// The element-wise passes are fused SIMD kernels with the Go loop's float32
// operations and order, each rounded (no fused multiply-add); σ and tanh are
// Sigmoid and Tanh.
func EGRUCellForward(gates, rec, brz, zr, cprev, theta, chat, o, y, c []float32) {
	h := len(brz)
	if len(gates) != 3*h || len(rec) != 3*h {
		panic(fmt.Sprintf("tensor: EGRUCellForward: gates %d, rec %d, want 3·%d", len(gates), len(rec), h))
	}
	for _, n := range []int{len(zr), len(cprev), len(theta), len(chat), len(o), len(y), len(c)} {
		if n != h {
			panic(fmt.Sprintf("tensor: EGRUCellForward: a per-unit slice has length %d, b_rz has %d", n, h))
		}
	}
	Axpy(1, rec[:2*h], gates[:2*h]) // u, r pre-activations
	Sigmoid(gates[:2*h], gates[:2*h])
	r, z := gates[h:2*h], gates[2*h:]
	done := egruCellForward1SIMD(rec[2*h:], brz, r, zr, z)
	for j := done; j < h; j++ {
		zr[j] = rec[2*h+j] + brz[j]
		z[j] += float32(r[j] * zr[j]) // rounded, as in the kernels (Go may fuse it otherwise)
	}
	Tanh(z, z)
	done = egruCellForward2SIMD(gates, cprev, theta, chat, o, y, c, h)
	for j := done; j < h; j++ {
		u := gates[j]
		ch := float32(u*cprev[j]) + float32(float32(1-u)*z[j])
		chat[j] = ch
		var ev float32
		if ch-theta[j] > 0 {
			ev = 1
		}
		o[j] = ev
		y[j] = ev * ch
		c[j] = ch - float32(ev*theta[j])
	}
}

// simdPrefix is how many of h elements the cell kernels take: the largest
// multiple of the vector width cellSIMD, a power of two (the Go loops do
// the rest); 0 when cellSIMD is 0.
func simdPrefix(h int) int {
	if cellSIMD == 0 {
		return 0
	}
	return h &^ (cellSIMD - 1)
}
