package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// tinyConfig is a model small enough to run in microseconds, every
// regulariser on and γ ≠ β.
func tinyConfig(cell string) Config {
	return Config{Cell: cell, Vocab: 11, Embed: 4, Hidden: []int{5, 4},
		DropWord: 0.2, DropInput: 0.2, DropHidden: 0.2, DropOutput: 0.2, DropConnect: 0.3,
		ThresholdMean: 0.2, LearnThreshold: true, PseudoHeight: 2.5, PseudoWidth: 1.5, ActivityReg: 0.5}
}

// tinyWindow returns T·B random inputs and targets.
func tinyWindow(rng *rand.Rand, V, n int) (x, y []int32) {
	x, y = make([]int32, n), make([]int32, n)
	for i := range x {
		x[i], y[i] = int32(rng.IntN(V)), int32(rng.IntN(V))
	}
	return x, y
}

// randomState fills a state with values of magnitude up to 0.3, so that
// tests see whether the state entering a window is used.
func randomState[F Float](m *LM[F], B int, rng *rand.Rand) *State[F] {
	st := m.NewState(B)
	for l := range st.S {
		for i := range st.S[l] {
			st.S[l][i] = F(0.3 * (2*rng.Float64() - 1))
			st.C[l][i] = F(0.3 * (2*rng.Float64() - 1))
		}
	}
	return st
}

func cloneState[F Float](st *State[F]) *State[F] {
	c := &State[F]{B: st.B}
	for l := range st.S {
		c.S = append(c.S, slices.Clone(st.S[l]))
		c.C = append(c.C, slices.Clone(st.C[l]))
	}
	return c
}

func cells() []string { return []string{CellLSTM, CellEGRU} }

// TestStateCarriesAcrossWindows: evaluating a stream in two windows that
// carry the state is evaluating it in one window twice as long (the same
// NLL, the same final state); with ZeroStateWindow the EGRU instead starts
// the second window from c = 0 with the events y carried.
func TestStateCarriesAcrossWindows(t *testing.T) {
	for _, cell := range cells() {
		t.Run(cell, func(t *testing.T) {
			const T, B = 3, 2
			rng := rand.New(rand.NewPCG(31, 32))
			m, err := New[float64](tinyConfig(cell), rng)
			if err != nil {
				t.Fatal(err)
			}
			x, y := tinyWindow(rng, m.Config.Vocab, 2*T*B)
			init := randomState(m, B, rng)
			long := cloneState(init)
			whole := m.Evaluate(x, y, 2*T, B, long).NLL
			split := cloneState(init)
			first := m.Evaluate(x[:T*B], y[:T*B], T, B, split).NLL
			second := m.Evaluate(x[T*B:], y[T*B:], T, B, split).NLL
			// 1e-12: the same float64 operations on each row in the same order,
			// up to the GEMM's blocking of the longer window.
			if math.Abs(first+second-whole) > 1e-12*math.Abs(whole) {
				t.Errorf("two windows of %d: NLL %v + %v = %v, one window of %d: %v", T, first, second, first+second, 2*T, whole)
			}
			for l := range long.S {
				for i := range long.S[l] {
					if math.Abs(long.S[l][i]-split.S[l][i]) > 1e-12 || math.Abs(long.C[l][i]-split.C[l][i]) > 1e-12 {
						t.Fatalf("layer %d: final state differs between one and two windows", l)
					}
				}
			}
			if fresh := m.Evaluate(x[T*B:], y[T*B:], T, B, m.NewState(B)).NLL; fresh == second {
				t.Fatal("the second window gives the same NLL from a zero state: the state has no effect in this case")
			}
			if cell != CellEGRU {
				return
			}
			// ZeroStateWindow: every window starts from (y carried, c = 0).
			m.Config.ZeroStateWindow = true
			zs := cloneState(init)
			m.Evaluate(x[:T*B], y[:T*B], T, B, zs)
			got := m.Evaluate(x[T*B:], y[T*B:], T, B, zs).NLL
			m.Config.ZeroStateWindow = false
			manual := cloneState(init)
			var want float64
			for w := range 2 {
				for l := range manual.C {
					clear(manual.C[l])
				}
				want = m.Evaluate(x[w*T*B:(w+1)*T*B], y[w*T*B:(w+1)*T*B], T, B, manual).NLL
			}
			if math.Abs(got-want) > 1e-12*math.Abs(want) || got == second {
				t.Errorf("ZeroStateWindow: second window NLL %v, want %v from c = 0 (carried: %v)", got, want, second)
			}
		})
	}
}

// TestTrainStepRepeatableAndAdds: the same window from the same state and
// dropout seed gives the same gradient every time (no state leaks from one
// backward pass into the next), and TrainStep adds its gradient to
// Params.Grad (the caller zeroes it), so two calls leave twice one call's.
// With and without DropConnect, which accumulates R's gradient elsewhere.
func TestTrainStepRepeatableAndAdds(t *testing.T) {
	for _, cell := range cells() {
		for _, dc := range []float64{0, 0.3} {
			t.Run(fmt.Sprintf("%s/dropconnect=%v", cell, dc), func(t *testing.T) {
				trainStepRepeatable[float32](t, cell, dc)
				trainStepRepeatable[float64](t, cell, dc)
			})
		}
	}
}

func trainStepRepeatable[F Float](t *testing.T, cell string, dropConnect float64) {
	const T, B = 4, 3
	cfg := tinyConfig(cell)
	cfg.DropConnect = dropConnect
	rng := rand.New(rand.NewPCG(41, 42))
	m, err := New[F](cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	x, y := tinyWindow(rng, cfg.Vocab, T*B)
	init := randomState(m, B, rng)
	step := func() { m.TrainStep(x, y, T, B, cloneState(init), rand.NewPCG(9, 10)) }
	m.Params.ZeroGrad()
	step()
	once := slices.Clone(m.Params.Grad)
	// Another window in between, so that leftovers of a different pass would show.
	other, _ := tinyWindow(rng, cfg.Vocab, T*B)
	m.TrainStep(other, y, T, B, m.NewState(B), rand.NewPCG(1, 2))
	m.Params.ZeroGrad()
	step()
	if !slices.Equal(m.Params.Grad, once) {
		t.Fatalf("%T: the same window gives a different gradient the second time", once[0])
	}
	step() // without ZeroGrad: adds
	for vi, v := range m.Params.Views {
		for j := v.Offset; j < v.Offset+v.Len(); j++ {
			// Adding the same value twice is exact in binary floating point up to
			// the GEMMs' partial sums being added to the buffer in blocks: 1e-5 of
			// the view's largest gradient covers float32.
			got, want := float64(m.Params.Grad[j]), 2*float64(once[j])
			if math.Abs(got-want) > 1e-5*maxAbs(once[v.Offset:v.Offset+v.Len()]) {
				t.Fatalf("%T %s[%d]: two steps leave %v, want twice %v", once[0], m.Params.Views[vi].Name, j-v.Offset, got, once[j])
			}
		}
	}
}

func maxAbs[F Float](x []F) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// TestEvaluateIgnoresDropout: evaluation sees the model without any dropout
// (the same NLL as the model configured without dropout) and leaves the
// gradients alone, while a training step with the same model does drop.
func TestEvaluateIgnoresDropout(t *testing.T) {
	for _, cell := range cells() {
		t.Run(cell, func(t *testing.T) {
			const T, B = 4, 3
			rng := rand.New(rand.NewPCG(51, 52))
			m, err := New[float32](tinyConfig(cell), rng)
			if err != nil {
				t.Fatal(err)
			}
			plainCfg := m.Config
			plainCfg.DropWord, plainCfg.DropInput, plainCfg.DropHidden, plainCfg.DropOutput, plainCfg.DropConnect = 0, 0, 0, 0, 0
			plain, err := newUninitialised[float32](plainCfg)
			if err != nil {
				t.Fatal(err)
			}
			copy(plain.Params.Data, m.Params.Data)
			x, y := tinyWindow(rng, m.Config.Vocab, T*B)
			init := randomState(m, B, rng)
			m.Params.ZeroGrad()
			got := m.Evaluate(x, y, T, B, cloneState(init)).NLL
			want := plain.Evaluate(x, y, T, B, cloneState(init)).NLL
			if got != want {
				t.Errorf("Evaluate with dropout configured: NLL %v, without: %v", got, want)
			}
			if maxAbs(m.Params.Grad) != 0 {
				t.Error("Evaluate changed the gradients")
			}
			if train := m.TrainStep(x, y, T, B, cloneState(init), rand.NewPCG(1, 2)).NLL; train == want {
				t.Error("a training step gives the evaluation NLL: dropout is not on in training, the case tests nothing")
			}
		})
	}
}

// TestDropoutMasks checks what AWD-LSTM's dropouts promise, on the inputs
// each layer saw in a training step (LayerIO): locked dropout drops the same
// units of a stream at every step of the window, differently per stream; word
// dropout drops a word type everywhere in the window.
func TestDropoutMasks(t *testing.T) {
	const T, B = 6, 4
	t.Run("locked", func(t *testing.T) {
		cfg := tinyConfig(CellLSTM)
		cfg.DropWord, cfg.DropConnect, cfg.DropInput, cfg.DropHidden = 0, 0, 0.5, 0.5
		rng := rand.New(rand.NewPCG(61, 62))
		m, err := New[float32](cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		x, y := tinyWindow(rng, cfg.Vocab, T*B)
		m.TrainStep(x, y, T, B, m.NewState(B), rand.NewPCG(3, 4))
		for l := range m.Layers() {
			in, _ := m.LayerIO(l)
			I := len(in) / (T * B)
			dropped := 0
			var patterns []string
			for b := range B {
				pattern := zeroPattern(in[b*I : (b+1)*I]) // step 0 of stream b
				for tt := 1; tt < T; tt++ {
					r := (tt*B + b) * I
					if got := zeroPattern(in[r : r+I]); got != pattern {
						t.Fatalf("layer %d input, stream %d: dropped units %s at step 0 but %s at step %d", l, b, pattern, got, tt)
					}
				}
				patterns = append(patterns, pattern)
				for _, c := range pattern {
					if c == '0' {
						dropped++
					}
				}
			}
			if dropped == 0 || dropped == B*I {
				t.Fatalf("layer %d input: %d of %d units dropped at p = 0.5", l, dropped, B*I)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(patterns)))) == 1 {
				t.Errorf("layer %d input: every stream has the mask %s", l, patterns[0])
			}
		}
	})
	t.Run("word", func(t *testing.T) {
		cfg := tinyConfig(CellLSTM)
		cfg.DropInput, cfg.DropHidden, cfg.DropOutput, cfg.DropConnect, cfg.DropWord = 0, 0, 0, 0, 0.4
		rng := rand.New(rand.NewPCG(63, 64))
		m, err := New[float32](cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		x, y := tinyWindow(rng, cfg.Vocab, T*B)
		m.TrainStep(x, y, T, B, m.NewState(B), rand.NewPCG(0, 6))
		in, _ := m.LayerIO(0)
		E := cfg.Embed
		dropped := map[int32]bool{}
		emb := m.Embedding()
		for i, id := range x {
			row := in[i*E : (i+1)*E]
			isDropped := zeroPattern(row) == "0000"
			if d, seen := dropped[id]; seen && d != isDropped {
				t.Fatalf("word %d is dropped at one position of the window and kept at another", id)
			}
			dropped[id] = isDropped
			if !isDropped {
				// A kept word is scaled by 1/(1−p); 1e-6 relative is float32 rounding.
				for j, v := range row {
					if want := emb[int(id)*E+j] / (1 - 0.4); math.Abs(float64(v-want)) > 1e-6*math.Abs(float64(want)) {
						t.Fatalf("word %d kept as %v, want %v = emb/(1−p)", id, v, want)
					}
				}
			}
		}
		n := 0
		for _, d := range dropped {
			if d {
				n++
			}
		}
		if n == 0 || n == len(dropped) {
			t.Fatalf("%d of %d word types dropped at p = 0.4", n, len(dropped))
		}
	})
}

// zeroPattern writes 0 for each exactly zero element of x and 1 otherwise.
func zeroPattern[F Float](x []F) string {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = '1'
		if v == 0 {
			b[i] = '0'
		}
	}
	return string(b)
}

// TestDropMask: a dropout mask drops a fraction p and scales the rest by
// 1/(1−p), so that a dropped-out activation keeps its expectation.
func TestDropMask(t *testing.T) {
	const n, p = 100000, 0.3
	mask := make([]float64, n)
	new(maskJob[float64]).draw(mask, p, rand.NewPCG(71, 72), nil, nil)
	zeros, sum := 0, 0.0
	for _, v := range mask {
		switch {
		case v == 0:
			zeros++
		case math.Abs(v-1/(1-p)) > 1e-15:
			t.Fatalf("kept element %v, want 1/(1−p) = %v", v, 1/(1-p))
		}
		sum += v
	}
	// Binomial: the dropped fraction has standard deviation √(p(1−p)/n) = 0.0014
	// and the mean √(p/(1−p)/n) = 0.0021; 0.01 is about 5σ.
	if frac := float64(zeros) / n; math.Abs(frac-p) > 0.01 {
		t.Errorf("dropped fraction %v, want %v", frac, p)
	}
	if mean := sum / n; math.Abs(mean-1) > 0.01 {
		t.Errorf("mean of the mask %v, want 1", mean)
	}
}

// TestInitialisation: the draws of METHOD.md and AWD-LSTM: the embedding
// from U(−0.1, 0.1), layer matrices from U(−1/√H, 1/√H), thresholds in
// [0, 1] from Beta(α, 3) with mean μ (α = 3μ/(1−μ)).
func TestInitialisation(t *testing.T) {
	const mu, H = 0.2, 300
	cfg := Config{Cell: CellEGRU, Vocab: 50, Embed: 4, Hidden: []int{H, 4}, ThresholdMean: mu, PseudoHeight: 1, PseudoWidth: 1}
	m, err := New[float64](cfg, rand.New(rand.NewPCG(81, 82)))
	if err != nil {
		t.Fatal(err)
	}
	p := &m.Params
	// The largest |w| of n draws from U(−s, s) is below 0.9s with probability
	// 0.9ⁿ: 0.6% for the 48 weights of layers.1.R, < 1e-9 for the others.
	bound := func(name string, s float64) {
		i, _ := p.Lookup(name)
		if got := maxAbs(p.Value(i)); !(got <= s && got > 0.9*s) {
			t.Errorf("%s: largest |w| %v, want just under %v", name, got, s)
		}
	}
	bound("embedding", 0.1)
	bound("layers.0.W", 1/math.Sqrt(H))
	bound("layers.0.R", 1/math.Sqrt(H))
	bound("layers.1.R", 1/math.Sqrt(4))
	i, _ := p.Lookup("layers.0.theta")
	var sum float64
	for _, v := range p.Value(i) {
		if v < 0 || v > 1 {
			t.Fatalf("threshold %v outside [0, 1]", v)
		}
		sum += v
	}
	// Beta(0.75, 3) has standard deviation 0.18; the mean of 300 draws 0.011: 0.04 is about 4σ.
	if mean := sum / H; math.Abs(mean-mu) > 0.04 {
		t.Errorf("mean threshold %v, want μ = %v", mean, mu)
	}
}

// TestEventCounts: StepStats counts the window's outputs (not the state
// that entered it): every LSTM output is non-zero, an EGRU's only when the
// unit fires.
func TestEventCounts(t *testing.T) {
	for _, cell := range cells() {
		t.Run(cell, func(t *testing.T) {
			const T, B = 4, 3
			rng := rand.New(rand.NewPCG(91, 92))
			m, err := New[float32](tinyConfig(cell), rng)
			if err != nil {
				t.Fatal(err)
			}
			x, y := tinyWindow(rng, m.Config.Vocab, T*B)
			st := m.NewState(B)
			for l := range st.S {
				for i := range st.S[l] {
					st.S[l][i], st.C[l][i] = 1, 0.8 // a non-zero state, which the counts must leave out
				}
			}
			s := m.Evaluate(x, y, T, B, st)
			for l, w := range m.Config.Hidden {
				_, out := m.LayerIO(l)
				nz := countNonZero(out[B*w:])
				t.Logf("layer %d: %d of %d outputs non-zero", l, nz, T*B*w)
				if s.Outputs[l] != T*B*w || s.NonZero[l] != nz {
					t.Errorf("layer %d: %d of %d outputs counted non-zero, the window has %d of %d", l, s.NonZero[l], s.Outputs[l], nz, T*B*w)
				}
				if cell == CellLSTM && nz != T*B*w {
					t.Errorf("LSTM layer %d: %d of %d outputs non-zero", l, nz, T*B*w)
				}
				if cell == CellEGRU && !(nz > 0 && nz < T*B*w) {
					t.Errorf("EGRU layer %d: %d of %d outputs non-zero, want some but not all", l, nz, T*B*w)
				}
			}
			if s.Tokens != T*B {
				t.Errorf("%d tokens, want %d", s.Tokens, T*B)
			}
		})
	}
}

// TestApplyMask: pruned weights and their gradients are zero, kept ones untouched.
func TestApplyMask(t *testing.T) {
	p := Params[float32]{Data: []float32{1, 2, 3, 4}, Grad: []float32{5, 6, 7, 8}}
	p.ApplyMask() // no masks: nothing happens
	if !slices.Equal(p.Data, []float32{1, 2, 3, 4}) || !slices.Equal(p.Grad, []float32{5, 6, 7, 8}) {
		t.Fatal("ApplyMask without masks changed the slab")
	}
	p.Mask = []float32{1, 0, 1, 0}
	p.ApplyMask()
	if !slices.Equal(p.Data, []float32{1, 0, 3, 0}) || !slices.Equal(p.Grad, []float32{5, 0, 7, 0}) {
		t.Errorf("after ApplyMask: data %v, gradients %v", p.Data, p.Grad)
	}
}

// TestFloat32MatchesFloat64: the float32 model, which runs the SIMD kernels
// of package tensor, and the float64 model, which runs the layers' own loops
// (the reference the gradient checks verify), agree on a training step with
// every regulariser on: the NLL, the activity loss and every gradient.
func TestFloat32MatchesFloat64(t *testing.T) {
	for _, cell := range cells() {
		t.Run(cell, func(t *testing.T) {
			const T, B = 4, 8 // B = 8: the float32 steps split the batch across threads
			cfg := tinyConfig(cell)
			rng := rand.New(rand.NewPCG(101, 102))
			m64, err := New[float64](cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			m32, err := newUninitialised[float32](cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range m64.Params.Data {
				m32.Params.Data[i] = float32(v)
				m64.Params.Data[i] = float64(float32(v)) // both start from the same values
			}
			x, y := tinyWindow(rng, cfg.Vocab, T*B)
			st64 := randomState(m64, B, rng)
			st32 := m32.NewState(B)
			for l := range st64.S {
				for i := range st64.S[l] {
					st64.S[l][i], st64.C[l][i] = float64(float32(st64.S[l][i])), float64(float32(st64.C[l][i]))
					st32.S[l][i], st32.C[l][i] = float32(st64.S[l][i]), float32(st64.C[l][i])
				}
			}
			m64.Params.ZeroGrad()
			m32.Params.ZeroGrad()
			// The same seed draws the same dropout masks in both.
			s64 := m64.TrainStep(x, y, T, B, st64, rand.NewPCG(7, 7))
			s32 := m32.TrainStep(x, y, T, B, st32, rand.NewPCG(7, 7))
			if cell == CellEGRU {
				// An event decided by less than float32 rounding could flip between
				// the two; the case must have none (change the seed if it does).
				for _, l := range m64.layers {
					e := l.(*egru[float64])
					for k, c := range e.chat[:T*B*e.H] {
						if s := c - m64.Params.Value(e.theta)[k%e.H]; math.Abs(s) < 1e-4 {
							t.Fatalf("ĉ − ϑ = %v: too close to the threshold for this comparison", s)
						}
					}
				}
			}
			// float32 rounds each operation to 6e-8 relative; through the decoder,
			// two layers and four steps the gradients differ by at most 3e-7 of each
			// view's largest value here (AVX-512). 1e-4 leaves room for the other
			// kernels' summation orders; a wrong kernel argument is off by O(1).
			if math.Abs(s32.NLL-s64.NLL) > 1e-4*s64.NLL || math.Abs(s32.ActivityLoss-s64.ActivityLoss) > 1e-4*math.Max(s64.ActivityLoss, 1e-3) {
				t.Errorf("float32 NLL %v, activity loss %v; float64 %v, %v", s32.NLL, s32.ActivityLoss, s64.NLL, s64.ActivityLoss)
			}
			for vi, v := range m64.Params.Views {
				g64 := m64.Params.Gradient(vi)
				g32 := m32.Params.Gradient(vi)
				scale := maxAbs(g64)
				if scale == 0 {
					t.Fatalf("%s: zero gradient in float64", v.Name)
				}
				for j := range g64 {
					if math.Abs(float64(g32[j])-g64[j]) > 1e-4*scale {
						t.Errorf("%s[%d]: float32 gradient %v, float64 %v", v.Name, j, g32[j], g64[j])
						break
					}
				}
			}
		})
	}
}
