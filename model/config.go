package model

import (
	"errors"
	"fmt"
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

// Validate reports the first inconsistency in c, phrased for a user who set it by flags.
func (c *Config) Validate() error {
	if c.Cell != CellLSTM && c.Cell != CellEGRU {
		return fmt.Errorf("model: unknown cell %q (want %q or %q)", c.Cell, CellLSTM, CellEGRU)
	}
	if c.Vocab < 2 {
		return fmt.Errorf("model: vocabulary of %d words is too small", c.Vocab)
	}
	if c.Embed < 1 {
		return fmt.Errorf("model: embedding width %d must be positive", c.Embed)
	}
	if len(c.Hidden) == 0 {
		return errors.New("model: at least one recurrent layer is needed (--hidden)")
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("model: layer %d has width %d; widths must be positive", i, h)
		}
	}
	if last := c.Hidden[len(c.Hidden)-1]; last != c.Embed {
		return fmt.Errorf("model: the last layer is %d wide but the decoder is tied to a %d-wide embedding; make them equal", last, c.Embed)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"drop-word", c.DropWord}, {"drop-input", c.DropInput}, {"drop-hidden", c.DropHidden},
		{"drop-output", c.DropOutput}, {"drop-connect", c.DropConnect}} {
		if !(p.v >= 0 && p.v < 1) {
			return fmt.Errorf("model: --%s = %v must be in [0, 1)", p.name, p.v)
		}
	}
	if c.Cell == CellEGRU {
		if !(c.ThresholdMean > 0 && c.ThresholdMean < 1) {
			return fmt.Errorf("model: --threshold-mean = %v must be in (0, 1)", c.ThresholdMean)
		}
		if !(c.PseudoHeight > 0) || !(c.PseudoWidth > 0) {
			return fmt.Errorf("model: pseudo-derivative height %v and width %v must be positive", c.PseudoHeight, c.PseudoWidth)
		}
		if c.ActivityReg < 0 {
			return fmt.Errorf("model: --activity-reg = %v must not be negative", c.ActivityReg)
		}
	}
	if c.InitScale < 0 {
		return fmt.Errorf("model: --init-scale = %v must not be negative", c.InitScale)
	}
	return nil
}
