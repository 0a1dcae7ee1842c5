package prune

import (
	"slices"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/internal/safetensors"
	"github.com/sparselm/sparselm/model"
)

// TestMasksRoundTripCheckpoints: masks, the embedding's included, survive the
// weights file, and the model read back is pruned the same way.
func TestMasksRoundTripCheckpoints(t *testing.T) {
	m := tinyModel(t, model.CellEGRU)
	if err := MarkEmbedding(&m.Params); err != nil {
		t.Fatal(err)
	}
	if err := Prune(&m.Params, Global, 0.7, 0); err != nil {
		t.Fatal(err)
	}
	b, err := model.EncodeWeights(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := model.DecodeWeights(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Params.Mask, m.Params.Mask) || !slices.Equal(got.Params.Data, m.Params.Data) {
		t.Fatal("masks or weights changed through the weights file")
	}
	if !slices.EqualFunc(got.Params.Views, m.Params.Views, func(a, b model.View) bool { return a.Prunable == b.Prunable }) {
		t.Error("the embedding is not prunable after reading back its mask")
	}
}

// TestMismatchedMaskRefused: a weights file whose mask does not match its
// matrix, or masks a matrix that cannot be pruned, is refused with a clear error.
func TestMismatchedMaskRefused(t *testing.T) {
	m := tinyModel(t, model.CellLSTM)
	if err := Prune(&m.Params, Magnitude, 0.5, 0); err != nil {
		t.Fatal(err)
	}
	b, err := model.EncodeWeights(m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(edit func(ts []safetensors.Tensor) []safetensors.Tensor) []byte {
		var ts []safetensors.Tensor
		for _, tn := range f.Tensors {
			ts = append(ts, tn)
		}
		out, err := safetensors.Marshal(edit(ts), f.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := []struct {
		name string
		edit func(ts []safetensors.Tensor) []safetensors.Tensor
		want string
	}{
		{"wrong shape", func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i, tn := range ts {
				if tn.Name == "mask.layers.0.R" {
					ts[i] = safetensors.U8(tn.Name, []int{3, 4}, make([]uint8, 12))
				}
			}
			return ts
		}, "mask \"mask.layers.0.R\" has shape"},
		{"bias mask", func(ts []safetensors.Tensor) []safetensors.Tensor {
			return append(ts, safetensors.U8("mask.layers.0.b", []int{28}, make([]uint8, 28)))
		}, "not prunable"},
		{"non-binary", func(ts []safetensors.Tensor) []safetensors.Tensor {
			for i, tn := range ts {
				if tn.Name == "mask.layers.1.W" {
					v := make([]uint8, 7*20)
					v[5] = 2
					ts[i] = safetensors.U8(tn.Name, []int{7, 20}, v)
				}
			}
			return ts
		}, "masks are 0 or 1"},
	}
	for _, c := range cases {
		if _, err := model.DecodeWeights(rewrite(c.edit)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
}
