package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDescribe checks that the description matches the model for both cells:
// widths, G, shapes, the views the layers themselves read (and the checkpoint
// names they carry), and that the views cover the slab exactly once.
func TestDescribe(t *testing.T) {
	for _, cell := range cells() {
		t.Run(cell, func(t *testing.T) {
			cfg := tinyConfig(cell)
			cfg.Hidden = []int{5, 3, 4} // distinct widths, so a swapped I and H shows
			m, err := New[float64](cfg, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			p := &m.Params
			d := m.Describe()
			if len(d.Layers) != len(cfg.Hidden) {
				t.Fatalf("%d layers described, the model has %d", len(d.Layers), len(cfg.Hidden))
			}
			gates := map[string]int{CellLSTM: 4, CellEGRU: 3}[cell]
			covered := make([]int, len(p.Data))
			cover := func(i int) {
				v := p.Views[i]
				for j := v.Offset; j < v.Offset+v.Len(); j++ {
					covered[j]++
				}
			}
			in := cfg.Embed
			for li, l := range d.Layers {
				H := cfg.Hidden[li]
				if l.Cell != cell || l.I != in || l.H != H || l.G != gates*H || l.Events != (cell == CellEGRU) {
					t.Errorf("layer %d: described as %+v, want cell %s I %d H %d G %d", li, l, cell, in, H, gates*H)
				}
				check := func(what string, view int, shape ...int) {
					t.Helper()
					v := p.Views[view]
					if want := fmt.Sprintf("layers.%d.%s", li, what); v.Name != want || !slices.Equal(v.Shape, shape) {
						t.Errorf("layer %d %s: view %d is %s %v, want %s %v", li, what, view, v.Name, v.Shape, want, shape)
					}
				}
				check("W", l.W, in, l.G)
				check("R", l.R, H, l.G)
				check("b", l.Bias, l.G)
				wantViews := []int{l.W, l.R, l.Bias}
				switch ly := m.layers[li].(type) {
				case *lstm[float64]:
					if ly.w != l.W || ly.r != l.R || ly.b != l.Bias || l.Threshold != -1 || l.BiasRZ != -1 {
						t.Errorf("layer %d: the LSTM reads views W %d R %d b %d, described %+v", li, ly.w, ly.r, ly.b, l)
					}
				case *egru[float64]:
					check("theta", l.Threshold, H)
					check("b_rz", l.BiasRZ, H)
					if ly.w != l.W || ly.r != l.R || ly.b != l.Bias || ly.theta != l.Threshold || ly.brz != l.BiasRZ {
						t.Errorf("layer %d: the EGRU reads views W %d R %d b %d ϑ %d, described %+v", li, ly.w, ly.r, ly.b, ly.theta, l)
					}
					wantViews = append(wantViews, ly.brz, ly.theta)
				}
				if !slices.Equal(l.Views, wantViews) {
					t.Errorf("layer %d: views %v, want %v", li, l.Views, wantViews)
				}
				for _, i := range l.Views {
					cover(i)
				}
				in = H
			}
			dec := d.Decoder
			if dec.V != cfg.Vocab || dec.E != cfg.Embed {
				t.Errorf("decoder: V %d E %d, want %d %d", dec.V, dec.E, cfg.Vocab, cfg.Embed)
			}
			if v := p.Views[dec.Emb]; v.Name != "embedding" || !slices.Equal(v.Shape, []int{cfg.Vocab, cfg.Embed}) || &p.Value(dec.Emb)[0] != &m.Embedding()[0] {
				t.Errorf("decoder weight: view %s %v, want the embedding [%d×%d]", v.Name, v.Shape, cfg.Vocab, cfg.Embed)
			}
			if v := p.Views[dec.Bias]; v.Name != "decoder.bias" || !slices.Equal(v.Shape, []int{cfg.Vocab}) {
				t.Errorf("decoder bias: view %s %v, want decoder.bias [%d]", v.Name, v.Shape, cfg.Vocab)
			}
			cover(dec.Emb)
			cover(dec.Bias)
			for j, n := range covered {
				if n != 1 {
					t.Fatalf("slab element %d is in %d described views, want exactly 1", j, n)
				}
			}
			if d.Events() != (cell == CellEGRU) {
				t.Errorf("Events() = %v for %s", d.Events(), cell)
			}
		})
	}
}

// TestLayerIO checks what LayerIO hands out after Evaluate, for both cells:
// out's row block 0 is the state entering the window, the rest are the
// outputs, which are the next layer's input (no dropout in Evaluate) and,
// for the last layer, the decoder input; the last block is the carried state.
func TestLayerIO(t *testing.T) {
	for _, cell := range cells() {
		t.Run(cell, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			m, err := New[float64](tinyConfig(cell), rng)
			if err != nil {
				t.Fatal(err)
			}
			const T, B = 3, 2
			x, y := tinyWindow(rng, m.Config.Vocab, T*B)
			st := randomState(m, B, rng)
			entering := cloneState(st)
			m.Evaluate(x, y, T, B, st)
			for l, H := range m.Config.Hidden {
				_, out := m.LayerIO(l)
				if len(out) != (T+1)*B*H {
					t.Fatalf("layer %d: out has %d elements, want (T+1)·B·H = %d", l, len(out), (T+1)*B*H)
				}
				next := m.top
				if l+1 < len(m.Config.Hidden) {
					next, _ = m.LayerIO(l + 1)
				}
				if !slices.Equal(out[:B*H], entering.S[l]) || !slices.Equal(out[B*H:], next) || !slices.Equal(out[T*B*H:], st.S[l]) {
					t.Errorf("layer %d: out is not [entering state, outputs] with the outputs feeding the next layer and carried", l)
				}
			}
		})
	}
}
