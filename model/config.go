package model

import (
	"fmt"
	"math"

	"github.com/sparselm/sparselm/config"
)

// Cell names a recurrent cell type.
const (
	CellLSTM = "lstm"
	CellEGRU = "egru"
)

// Config describes a language model: sizes, regularisation and the EGRU's
// event mechanism. It is stored in every checkpoint as JSON.
type Config struct {
	Cell   string `json:"cell"`   // "lstm" or "egru"
	Vocab  int    `json:"vocab"`  // V
	Embed  int    `json:"embed"`  // E; the last hidden width must equal E (tied decoder)
	Hidden []int  `json:"hidden"` // H of each layer, bottom to top

	// Regularisation as in AWD-LSTM; all are probabilities in [0, 1).
	DropWord    float64 `json:"drop_word"`    // word (embedding-row) dropout
	DropInput   float64 `json:"drop_input"`   // locked dropout on the embedding output
	DropHidden  float64 `json:"drop_hidden"`  // locked dropout between recurrent layers
	DropOutput  float64 `json:"drop_output"`  // locked dropout on the last layer's output
	DropConnect float64 `json:"drop_connect"` // DropConnect on the recurrent matrices R

	// EGRU only.
	ThresholdMean   float64 `json:"threshold_mean"`    // μ of the Beta(α, 3) initialisation, α = 3μ/(1−μ)
	LearnThreshold  bool    `json:"learn_threshold"`   // learn ϑ (own learning rate, no decay) or freeze it
	PseudoHeight    float64 `json:"pseudo_height"`     // γ of ψ(s) = γ·max(0, 1−β|s|)
	PseudoWidth     float64 `json:"pseudo_width"`      // β (half-width of the support is 1/β)
	ZeroStateWindow bool    `json:"zero_state_window"` // zero c at every BPTT window, as the reference code does
	ActivityReg     float64 `json:"activity_reg"`      // weight λ of the mean-event-rate regulariser

	InitScale float64 `json:"init_scale"` // weights ~ U(−s, s); 0 means 1/sqrt(H) per layer
}

// Validate reports the first inconsistency in c as a *config.FieldError, which
// names the field by its JSON path (drop_word, hidden, ...).
func (c *Config) Validate() error {
	bad := func(path string, v any, rule string) error {
		return fmt.Errorf("model: %w", config.Invalid(path, v, rule))
	}
	switch {
	case c.Cell != CellLSTM && c.Cell != CellEGRU:
		return bad("cell", c.Cell, fmt.Sprintf("is an unknown cell (want %q or %q)", CellLSTM, CellEGRU))
	case c.Vocab < 2:
		return bad("vocab", c.Vocab, "is too small: a vocabulary needs at least 2 words")
	case c.Embed < 1:
		return bad("embed", c.Embed, "must be positive")
	case len(c.Hidden) == 0:
		return bad("hidden", c.Hidden, "must list at least one recurrent layer")
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return bad("hidden", c.Hidden, fmt.Sprintf("gives layer %d width %d; widths must be positive", i, h))
		}
	}
	if last := c.Hidden[len(c.Hidden)-1]; last != c.Embed {
		return bad("hidden", c.Hidden, fmt.Sprintf("ends in a %d-wide layer, but the decoder is tied to the %d-wide embedding (embed); make them equal", last, c.Embed))
	}
	for _, p := range []struct {
		path string
		v    float64
	}{{"drop_word", c.DropWord}, {"drop_input", c.DropInput}, {"drop_hidden", c.DropHidden},
		{"drop_output", c.DropOutput}, {"drop_connect", c.DropConnect}} {
		if !(p.v >= 0 && p.v < 1) {
			return bad(p.path, p.v, "must be in [0, 1)")
		}
	}
	if c.Cell == CellEGRU {
		switch {
		case !(c.ThresholdMean > 0 && c.ThresholdMean < 1):
			return bad("threshold_mean", c.ThresholdMean, "must be in (0, 1)")
		case !(c.PseudoHeight > 0) || math.IsInf(c.PseudoHeight, 1):
			return bad("pseudo_height", c.PseudoHeight, "must be positive and finite")
		case !(c.PseudoWidth > 0) || math.IsInf(c.PseudoWidth, 1):
			return bad("pseudo_width", c.PseudoWidth, "must be positive and finite")
		case !(c.ActivityReg >= 0) || math.IsInf(c.ActivityReg, 1):
			return bad("activity_reg", c.ActivityReg, "must be finite and not negative")
		}
	}
	if !(c.InitScale >= 0) || math.IsInf(c.InitScale, 1) {
		return bad("init_scale", c.InitScale, "must be finite and not negative")
	}
	return nil
}
