package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLSTMCellBackward compares each available kernel with the Go loop bit
// for bit (same float32 operations in the same order), for row widths
// around the vector widths, with guard values after every output, and one
// element against the formula in float64 (relative 1e-5: a handful of
// float32 roundings of values of order 1).
func TestLSTMCellBackward(t *testing.T) {
	defer func(c int) { cellSIMD = c }(cellSIMD)
	widths := cellWidths()
	r := rand.New(rand.NewPCG(13, 14))
	const guard = 4242.5
	for _, h := range []int{1, 7, 8, 15, 16, 17, 33, 256, 1000} {
		g := randSlice(r, 4*h)
		for i := range g {
			g[i] = float32(r.Float64()) // activated gates in (0, 1)
		}
		dout, dnext, tc, cprev := randSlice(r, h), randSlice(r, h), randSlice(r, h), randSlice(r, h)
		dcell0 := randSlice(r, h)
		var ref, refCell []float32
		for _, wv := range widths {
			cellSIMD = wv
			dg := append(make([]float32, 4*h), guard)
			dcell := append(append([]float32(nil), dcell0...), guard)
			LSTMCellBackward(g, dg[:4*h], dout, dnext, dcell[:h], tc, cprev)
			if dg[4*h] != guard || dcell[h] != guard {
				t.Fatalf("h=%d width %d: guard overwritten", h, wv)
			}
			if ref == nil {
				ref, refCell = dg, dcell
				continue
			}
			for i := range dg {
				if math.Float32bits(dg[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("h=%d width %d: dg[%d] = %v, Go %v", h, wv, i, dg[i], ref[i])
				}
			}
			for i := range dcell {
				if math.Float32bits(dcell[i]) != math.Float32bits(refCell[i]) {
					t.Fatalf("h=%d width %d: dcell[%d] = %v, Go %v", h, wv, i, dcell[i], refCell[i])
				}
			}
		}
		j := h - 1
		i, f, gg, o := float64(g[j]), float64(g[h+j]), float64(g[2*h+j]), float64(g[3*h+j])
		dh := float64(dout[j]) + float64(dnext[j])
		dc := float64(dcell0[j]) + dh*o*(1-float64(tc[j])*float64(tc[j]))
		for k, want := range []float64{dc * gg * i * (1 - i), dc * float64(cprev[j]) * f * (1 - f), dc * i * (1 - gg*gg), dh * float64(tc[j]) * o * (1 - o)} {
			if d := math.Abs(float64(ref[k*h+j]) - want); d > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("h=%d gate %d: %v, formula %v", h, k, ref[k*h+j], want)
			}
		}
	}
}

// BenchmarkLSTMCellBackward: one batch row of the small preset (h = 256),
// the kernel in use against the Go loop.
func BenchmarkLSTMCellBackward(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const h = 256
	g, dg := randSlice(r, 4*h), make([]float32, 4*h)
	dout, dnext, dcell, tc, cprev := randSlice(r, h), randSlice(r, h), randSlice(r, h), randSlice(r, h), randSlice(r, h)
	for _, simd := range []bool{true, false} {
		b.Run(map[bool]string{true: "kernel", false: "go"}[simd], func(b *testing.B) {
			defer func(c int) { cellSIMD = c }(cellSIMD)
			if !simd {
				cellSIMD = 0
			}
			for b.Loop() {
				LSTMCellBackward(g, dg, dout, dnext, dcell, tc, cprev)
			}
			b.ReportMetric(float64(h)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}

// TestEGRUCellBackward compares each available kernel with the Go loop bit
// for bit, for row widths around the vector widths, with ĉ − ϑ both inside
// and outside the support of ψ and events both 0 and 1, guard values after
// every output, and one element against the formula in float64 (relative 1e-4: a dozen
// float32 roundings, some amplified by γ = 3.6).
func TestEGRUCellBackward(t *testing.T) {
	defer func(c int) { cellSIMD = c }(cellSIMD)
	widths := cellWidths()
	r := rand.New(rand.NewPCG(15, 16))
	const guard = -999.75
	const ag, height, slope = 0.01, 3.6, 3.6
	for _, h := range []int{1, 7, 8, 15, 16, 17, 33, 256, 1000} {
		gates := make([]float32, 3*h)
		for i := range gates {
			gates[i] = float32(r.Float64()*2 - 1)
			if i < 2*h {
				gates[i] = float32(r.Float64()) // u, r are sigmoids
			}
		}
		dy, dnext, cprev, zr := randSlice(r, h), randSlice(r, h), randSlice(r, h), randSlice(r, h)
		chat, theta, o := randSlice(r, h), make([]float32, h), make([]float32, h)
		for j := range theta {
			theta[j] = float32(r.Float64())
			if chat[j] > theta[j] {
				o[j] = 1
			}
		}
		dcell0 := randSlice(r, h)
		type out struct{ dp, dr, dth, dcell []float32 }
		var ref *out
		for _, wv := range widths {
			cellSIMD = wv
			res := &out{append(make([]float32, 3*h), guard), append(make([]float32, 3*h), guard),
				append(make([]float32, h), guard), append(append([]float32(nil), dcell0...), guard)}
			EGRUCellBackward(gates, res.dp[:3*h], res.dr[:3*h], dy, dnext, res.dcell[:h], chat, o, cprev, zr, theta, res.dth[:h], ag, height, slope)
			if res.dp[3*h] != guard || res.dr[3*h] != guard || res.dth[h] != guard || res.dcell[h] != guard {
				t.Fatalf("h=%d width %d: guard overwritten", h, wv)
			}
			if ref == nil {
				ref = res
				continue
			}
			for name, pair := range map[string][2][]float32{"dp": {res.dp, ref.dp}, "dr": {res.dr, ref.dr}, "dth": {res.dth, ref.dth}, "dcell": {res.dcell, ref.dcell}} {
				for i := range pair[0] {
					if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
						t.Fatalf("h=%d width %d: %s[%d] = %v, Go %v", h, wv, name, i, pair[0][i], pair[1][i])
					}
				}
			}
		}
		j := h - 1
		u, rr, z := float64(gates[j]), float64(gates[h+j]), float64(gates[2*h+j])
		dyk := float64(dy[j]) + float64(dnext[j])
		dc := float64(dcell0[j])
		do := dyk*float64(chat[j]) - dc*float64(theta[j]) + ag
		psi := math.Max(0, 1-slope*math.Abs(float64(chat[j])-float64(theta[j]))) * height
		ds := do * psi
		dchat := dyk*float64(o[j]) + dc + ds
		daz := dchat * (1 - u) * (1 - z*z)
		want := map[string][2]float64{
			"dau": {float64(ref.dp[j]), dchat * (float64(cprev[j]) - z) * u * (1 - u)},
			"dar": {float64(ref.dp[h+j]), daz * float64(zr[j]) * rr * (1 - rr)},
			"daz": {float64(ref.dp[2*h+j]), daz},
			"dth": {float64(ref.dth[j]), ds + dc*float64(o[j])},
		}
		for name, p := range want {
			if d := math.Abs(p[0] - p[1]); d > 1e-4*math.Max(1, math.Abs(p[1])) {
				t.Fatalf("h=%d %s: %v, formula %v", h, name, p[0], p[1])
			}
		}
	}
}

// BenchmarkEGRUCellBackward: one batch row of the small preset (h = 256).
func BenchmarkEGRUCellBackward(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const h = 256
	gates, dp, dr := randSlice(r, 3*h), make([]float32, 3*h), make([]float32, 3*h)
	dy, dnext, dcell, chat, o := randSlice(r, h), randSlice(r, h), randSlice(r, h), randSlice(r, h), randSlice(r, h)
	cprev, zr, theta, dth := randSlice(r, h), randSlice(r, h), randSlice(r, h), make([]float32, h)
	for _, simd := range []bool{true, false} {
		b.Run(map[bool]string{true: "kernel", false: "go"}[simd], func(b *testing.B) {
			defer func(c int) { cellSIMD = c }(cellSIMD)
			if !simd {
				cellSIMD = 0
			}
			b.ReportAllocs()
			for b.Loop() {
				EGRUCellBackward(gates, dp, dr, dy, dnext, dcell, chat, o, cprev, zr, theta, dth, 0.01, 3.6, 3.6)
			}
			b.ReportMetric(float64(h)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}

// TestEGRUCellForward compares each available kernel width with the Go
// loops bit for bit (σ and tanh are the same Sigmoid and Tanh in all), with
// events both fired and silent and guard values after every output, and one
// element against the formula in float64 (relative 1e-5 on ĉ: σ and tanh
// are accurate to a few float32 ulps).
func TestEGRUCellForward(t *testing.T) {
	defer func(c int) { cellSIMD = c }(cellSIMD)
	widths := cellWidths()
	r := rand.New(rand.NewPCG(17, 18))
	const guard = 31337.5
	for _, h := range []int{1, 7, 8, 15, 16, 17, 33, 256, 1000} {
		gates0, rec, brz, cprev := randSlice(r, 3*h), randSlice(r, 3*h), randSlice(r, h), randSlice(r, h)
		theta := make([]float32, h)
		for j := range theta {
			theta[j] = float32(r.Float64() * 0.5)
		}
		var ref [][]float32
		for _, wv := range widths {
			cellSIMD = wv
			gates := append([]float32(nil), gates0...)
			outs := make([][]float32, 5) // zr, ĉ, o, y, c
			for i := range outs {
				outs[i] = append(make([]float32, h), guard)
			}
			EGRUCellForward(gates, rec, brz, outs[0][:h], cprev, theta, outs[1][:h], outs[2][:h], outs[3][:h], outs[4][:h])
			all := append([][]float32{gates}, outs...)
			for i, o := range outs {
				if o[h] != guard {
					t.Fatalf("h=%d width %d: guard of output %d overwritten", h, wv, i)
				}
			}
			if ref == nil {
				ref = all
				continue
			}
			for i := range all {
				for k := range all[i] {
					if math.Float32bits(all[i][k]) != math.Float32bits(ref[i][k]) {
						t.Fatalf("h=%d width %d: output %d element %d = %v, Go %v", h, wv, i, k, all[i][k], ref[i][k])
					}
				}
			}
		}
		j := h - 1
		sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
		u := sig(float64(gates0[j]) + float64(rec[j]))
		rr := sig(float64(gates0[h+j]) + float64(rec[h+j]))
		z := math.Tanh(float64(gates0[2*h+j]) + rr*(float64(rec[2*h+j])+float64(brz[j])))
		ch := u*float64(cprev[j]) + (1-u)*z
		if got := float64(ref[2][j]); math.Abs(got-ch) > 1e-5*math.Max(1, math.Abs(ch)) {
			t.Fatalf("h=%d: ĉ = %v, formula %v", h, got, ch)
		}
		if ev := ref[3][j]; (ev == 1) != (ref[2][j]-theta[j] > 0) {
			t.Fatalf("h=%d: event %v for ĉ − ϑ = %v", h, ev, ref[2][j]-theta[j])
		}
	}
}

// BenchmarkEGRUCellForward: one batch row of the small preset (h = 256),
// σ and tanh included.
func BenchmarkEGRUCellForward(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const h = 256
	gates0, rec, brz, cprev, theta := randSlice(r, 3*h), randSlice(r, 3*h), randSlice(r, h), randSlice(r, h), randSlice(r, h)
	gates, zr, chat, o, y, c := make([]float32, 3*h), make([]float32, h), make([]float32, h), make([]float32, h), make([]float32, h), make([]float32, h)
	for _, simd := range []bool{true, false} {
		b.Run(map[bool]string{true: "kernel", false: "go"}[simd], func(b *testing.B) {
			defer func(c int) { cellSIMD = c }(cellSIMD)
			if !simd {
				cellSIMD = 0
			}
			b.ReportAllocs()
			for b.Loop() {
				copy(gates, gates0)
				EGRUCellForward(gates, rec, brz, zr, cprev, theta, chat, o, y, c)
			}
			b.ReportMetric(float64(h)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}

// cellWidths lists the cell-kernel widths to test: 0 (the Go loops) and each
// vector width this CPU has.
func cellWidths() []int { return append([]int{0}, cellKernelWidths()...) }
