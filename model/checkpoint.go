package model

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/sparselm/sparselm/internal/safetensors"
)

// WeightsFormat is the value of the "format" metadata key of a weights file.
const WeightsFormat = "sparselm-weights-v1"

// EncodeWeights returns m's parameters as a safetensors file: one F32 tensor
// per view, named and shaped as the view (see docs/checkpoints.md for the
// mapping to PyTorch modules), and, once pruning has started, a U8 tensor
// "mask.<name>" per prunable view. The model config is in the metadata.
func EncodeWeights(m *LM[float32]) ([]byte, error) {
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return nil, err
	}
	p := &m.Params
	var ts []safetensors.Tensor
	for i, v := range p.Views {
		ts = append(ts, safetensors.F32(v.Name, v.Shape, p.Value(i)))
	}
	if p.Mask != nil {
		for _, v := range p.Views {
			if !v.Prunable {
				continue
			}
			mask := make([]uint8, v.Len())
			for j := range mask {
				if p.Mask[v.Offset+j] != 0 {
					mask[j] = 1
				}
			}
			ts = append(ts, safetensors.U8("mask."+v.Name, v.Shape, mask))
		}
	}
	return safetensors.Marshal(ts, map[string]string{"format": WeightsFormat, "config": string(cfg)})
}

// DecodeWeights rebuilds a model from a weights file written by EncodeWeights.
// Every tensor must be present with the expected shape; unknown tensors are
// an error, so a file from another model is refused rather than half-loaded.
func DecodeWeights(b []byte) (*LM[float32], error) {
	f, err := safetensors.Decode(b)
	if err != nil {
		return nil, err
	}
	if got := f.Metadata["format"]; got != WeightsFormat {
		return nil, fmt.Errorf("weights: format %q, want %q (not a sparselm weights file?)", got, WeightsFormat)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &cfg); err != nil {
		return nil, fmt.Errorf("weights: bad model config in metadata: %w", err)
	}
	m, err := newUninitialised[float32](cfg)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	p := &m.Params
	used := 0
	for i, v := range p.Views {
		t, ok := f.Get(v.Name)
		if !ok {
			return nil, fmt.Errorf("weights: tensor %q is missing", v.Name)
		}
		if !slices.Equal(t.Shape, v.Shape) {
			return nil, fmt.Errorf("weights: tensor %q has shape %v, the config implies %v", v.Name, t.Shape, v.Shape)
		}
		vals, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("weights: tensor %q: %w", v.Name, err)
		}
		copy(p.Value(i), vals)
		used++
	}
	for i, v := range p.Views {
		t, ok := f.Get("mask." + v.Name)
		if !ok {
			continue
		}
		if !v.Prunable {
			if i != m.emb {
				return nil, fmt.Errorf("weights: mask for %q, which is not prunable", v.Name)
			}
			p.Views[i].Prunable = true // the embedding is prunable when it was pruned
		}
		if !slices.Equal(t.Shape, v.Shape) {
			return nil, fmt.Errorf("weights: mask %q has shape %v, its matrix has %v", "mask."+v.Name, t.Shape, v.Shape)
		}
		mask, err := t.Uint8s()
		if err != nil {
			return nil, fmt.Errorf("weights: mask %q: %w", v.Name, err)
		}
		if p.Mask == nil {
			p.Mask = make([]float32, len(p.Data))
			for j := range p.Mask {
				p.Mask[j] = 1
			}
		}
		for j, b := range mask {
			if b > 1 {
				return nil, fmt.Errorf("weights: mask %q holds %d; masks are 0 or 1", v.Name, b)
			}
			p.Mask[v.Offset+j] = float32(b)
		}
		used++
	}
	if used != len(f.Tensors) {
		for _, t := range f.Tensors {
			if _, ok := p.Lookup(t.Name); !ok && !(len(t.Name) > 5 && t.Name[:5] == "mask.") {
				return nil, fmt.Errorf("weights: unexpected tensor %q for this config", t.Name)
			}
		}
		return nil, fmt.Errorf("weights: %d tensors in the file, %d expected", len(f.Tensors), used)
	}
	p.ApplyMask()
	return m, nil
}
