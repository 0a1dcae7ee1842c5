package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/internal/safetensors"
)

func tinyLM(t *testing.T, cell string) *LM[float32] {
	t.Helper()
	m, err := New[float32](tinyConfig(cell), rand.New(rand.NewPCG(111, 112)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWeightsRoundTrip: a model read back from its weights file has the same
// config, values, views and (when pruned) masks, the embedding's included.
func TestWeightsRoundTrip(t *testing.T) {
	for _, cell := range cells() {
		for _, pruned := range []bool{false, true} {
			m := tinyLM(t, cell)
			if pruned {
				p := &m.Params
				p.Mask = make([]float32, len(p.Data))
				for i := range p.Mask {
					p.Mask[i] = 1
				}
				p.Views[m.emb].Prunable = true
				for _, v := range p.Views {
					if v.Prunable {
						for j := v.Offset; j < v.Offset+v.Len(); j += 3 {
							p.Mask[j] = 0
						}
					}
				}
				p.ApplyMask()
			}
			b, err := EncodeWeights(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeWeights(b)
			if err != nil {
				t.Fatalf("%s pruned=%v: %v", cell, pruned, err)
			}
			if !reflect.DeepEqual(got.Config, m.Config) {
				t.Errorf("%s: config %+v, want %+v", cell, got.Config, m.Config)
			}
			if !slices.Equal(got.Params.Data, m.Params.Data) || !slices.Equal(got.Params.Mask, m.Params.Mask) {
				t.Errorf("%s pruned=%v: values or masks changed through the weights file", cell, pruned)
			}
			if !reflect.DeepEqual(got.Params.Views, m.Params.Views) {
				t.Errorf("%s pruned=%v: views %+v, want %+v", cell, pruned, got.Params.Views, m.Params.Views)
			}
		}
	}
}

// TestWeightsMaskApplied: a file whose mask prunes a weight that is not zero
// in the file (written by another tool) loads with that weight zero, so every
// forward pass sees the pruned model.
func TestWeightsMaskApplied(t *testing.T) {
	m := tinyLM(t, CellEGRU)
	p := &m.Params
	p.Mask = make([]float32, len(p.Data))
	for i := range p.Mask {
		p.Mask[i] = 1
	}
	i, _ := p.Lookup("layers.0.R")
	at := p.Views[i].Offset + 5
	p.Mask[at] = 0 // masked, but the weight is left in place
	if p.Data[at] == 0 {
		t.Fatal("the weight is zero already; the case tests nothing")
	}
	b, err := EncodeWeights(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeWeights(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Params.Data[at] != 0 {
		t.Errorf("masked weight loaded as %v, want 0", got.Params.Data[at])
	}
}

// TestWeightsRefused: a file that does not describe exactly this model is
// refused with an error naming what is wrong, never half-loaded.
func TestWeightsRefused(t *testing.T) {
	m := tinyLM(t, CellLSTM)
	b, err := EncodeWeights(m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(edit func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor) []byte {
		meta := map[string]string{}
		for k, v := range f.Metadata {
			meta[k] = v
		}
		out, err := safetensors.Marshal(edit(slices.Clone(f.Tensors), meta), meta)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// set replaces element j of the named tensor by v.
	set := func(name string, j int, v float32) func([]safetensors.Tensor, map[string]string) []safetensors.Tensor {
		return func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			for i, tn := range ts {
				if tn.Name == name {
					vals, err := tn.Float32s()
					if err != nil {
						t.Fatal(err)
					}
					vals = slices.Clone(vals)
					vals[j] = v
					ts[i] = safetensors.F32(name, tn.Shape, vals)
				}
			}
			return ts
		}
	}
	without := func(name string) func([]safetensors.Tensor, map[string]string) []safetensors.Tensor {
		return func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			return slices.DeleteFunc(ts, func(tn safetensors.Tensor) bool { return tn.Name == name })
		}
	}
	cases := []struct {
		name string
		edit func([]safetensors.Tensor, map[string]string) []safetensors.Tensor
		want string
	}{
		{"format", func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
			meta["format"] = "pytorch"
			return ts
		}, "not a sparselm weights file"},
		{"config", func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
			meta["config"] = "{"
			return ts
		}, "bad model config"},
		{"missing", without("layers.1.b"), `"layers.1.b" is missing`},
		{"shape", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			for i, tn := range ts {
				if tn.Name == "layers.0.R" {
					ts[i] = safetensors.F32(tn.Name, []int{20, 5}, make([]float32, 100))
				}
			}
			return ts
		}, `"layers.0.R" has shape [20 5]`},
		{"extra", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			return append(ts, safetensors.F32("layers.2.W", []int{2}, make([]float32, 2)))
		}, `unexpected tensor "layers.2.W"`},
		{"extra mask", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			return append(ts, safetensors.U8("mask.layers.9.W", []int{2}, make([]uint8, 2)))
		}, "tensors in the file"},
		{"NaN", set("layers.0.R", 17, float32(math.NaN())), `weights: tensor "layers.0.R" holds NaN at element 17: the weights are not finite`},
		{"+Inf", set("decoder.bias", 0, float32(math.Inf(1))), `weights: tensor "decoder.bias" holds +Inf at element 0: the weights are not finite`},
		{"-Inf", set("embedding", 5, float32(math.Inf(-1))), `weights: tensor "embedding" holds -Inf at element 5: the weights are not finite`},
	}
	for _, c := range cases {
		if _, err := DecodeWeights(rewrite(c.edit)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

// TestWeightsNotFiniteNotWritten: EncodeWeights refuses a model with a NaN
// or ±Inf parameter (a diverged run), naming the tensor and the element, so
// that no file is written that DecodeWeights would refuse.
func TestWeightsNotFiniteNotWritten(t *testing.T) {
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		m := tinyLM(t, CellEGRU)
		i, _ := m.Params.Lookup("layers.1.theta")
		m.Params.Value(i)[2] = v
		_, err := EncodeWeights(m)
		if want := fmt.Sprintf(`weights: tensor "layers.1.theta" holds %v at element 2`, v); !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), want) {
			t.Errorf("a parameter %v: error %v, want ErrNotFinite and %q", v, err, want)
		}
	}
}
