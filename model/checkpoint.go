package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/sparselm/sparselm/internal/safetensors"
)

// WeightsFormat is the value of the "format" metadata key of a weights file.
const WeightsFormat = "sparselm-weights-v1"

// ErrNotFinite is wrapped by the errors of EncodeWeights and DecodeWeights
// for a parameter that is NaN or ±Inf: such a model scores NaN perplexity,
// generates noise and counts NaN weights as non-zero, so it is refused
// where it is written and where it is read rather than evaluated.
var ErrNotFinite = errors.New("the weights are not finite (a diverged run?)")

// FirstNonFinite returns the index of the first NaN or ±Inf in v, or −1 when
// every element is finite. NaN and ±Inf are the float32 values whose 8
// exponent bits are all ones; testing the bits runs at the speed of a copy
// (24M weights: 27 ms, against 62 ms for math.IsNaN || math.IsInf and 139 ms
// for the SHA-256 that reading a checkpoint already computes over them).
func FirstNonFinite(v []float32) int {
	for i, x := range v {
		if math.Float32bits(x)&0x7f800000 == 0x7f800000 {
			return i
		}
	}
	return -1
}

// checkFinite returns an error wrapping ErrNotFinite that names the tensor
// and the first element of v that is not finite, or nil.
func checkFinite(name string, v []float32) error {
	if j := FirstNonFinite(v); j >= 0 {
		return fmt.Errorf("weights: tensor %q holds %v at element %d: %w", name, v[j], j, ErrNotFinite)
	}
	return nil
}

// EncodeWeights returns m's parameters as a safetensors file: one F32 tensor
// per view, named and shaped as the view (see docs/checkpoints.md for the
// mapping to PyTorch modules), and, once pruning has started, a U8 tensor
// "mask.<name>" per prunable view. The model config is in the metadata.
// It returns an error wrapping ErrNotFinite, and writes nothing, if a
// parameter is NaN or ±Inf.
func EncodeWeights(m *LM[float32]) ([]byte, error) {
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return nil, err
	}
	p := &m.Params
	var ts []safetensors.Tensor
	for i, v := range p.Views {
		if err := checkFinite(v.Name, p.Value(i)); err != nil {
			return nil, err
		}
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
// A NaN or ±Inf parameter is an error wrapping ErrNotFinite that names the
// tensor and the element (one pass over the values, as they are copied).
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
		if err := checkFinite(v.Name, vals); err != nil {
			return nil, err
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
