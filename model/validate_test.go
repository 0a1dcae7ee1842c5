package model

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/config"
)

// TestValidateNamesFields checks that every rule of Config.Validate
// reports the field it is about by its JSON path (as checkpoints store it),
// and that no message names a command-line flag: the CLI maps fields to
// its flags (issue 10, structure).
func TestValidateNamesFields(t *testing.T) {
	good := func() Config {
		return Config{Cell: CellEGRU, Vocab: 10, Embed: 4, Hidden: []int{6, 4}, ThresholdMean: 0.1, PseudoHeight: 1, PseudoWidth: 1}
	}
	base := good()
	if err := base.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	cases := []struct {
		path string
		bad  func(c *Config)
	}{
		{"cell", func(c *Config) { c.Cell = "gru" }},
		{"vocab", func(c *Config) { c.Vocab = 1 }},
		{"embed", func(c *Config) { c.Embed = 0 }},
		{"hidden", func(c *Config) { c.Hidden = nil }},
		{"hidden", func(c *Config) { c.Hidden = []int{0, 4} }},
		{"hidden", func(c *Config) { c.Hidden = []int{6, 5} }},
		{"drop_word", func(c *Config) { c.DropWord = 1 }},
		{"drop_input", func(c *Config) { c.DropInput = -0.1 }},
		{"drop_hidden", func(c *Config) { c.DropHidden = 1.5 }},
		{"drop_output", func(c *Config) { c.DropOutput = 1 }},
		{"drop_connect", func(c *Config) { c.DropConnect = 2 }},
		{"threshold_mean", func(c *Config) { c.ThresholdMean = 1 }},
		{"pseudo_height", func(c *Config) { c.PseudoHeight = 0 }},
		{"pseudo_width", func(c *Config) { c.PseudoWidth = -1 }},
		{"activity_reg", func(c *Config) { c.ActivityReg = -0.1 }},
		{"init_scale", func(c *Config) { c.InitScale = -1 }},
		// +Inf passes a sign test, then makes NaN weights or cannot be
		// written as JSON.
		{"init_scale", func(c *Config) { c.InitScale = math.Inf(1) }},
		{"pseudo_height", func(c *Config) { c.PseudoHeight = math.Inf(1) }},
		{"pseudo_width", func(c *Config) { c.PseudoWidth = math.Inf(1) }},
		{"activity_reg", func(c *Config) { c.ActivityReg = math.Inf(1) }},
	}
	for _, tc := range cases {
		c := good()
		tc.bad(&c)
		err := c.Validate()
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Path != tc.path {
			t.Errorf("%s: err = %v, want a field error for %s", tc.path, err, tc.path)
			continue
		}
		if strings.Contains(err.Error(), "--") || !strings.HasPrefix(err.Error(), "model: "+tc.path+" = ") {
			t.Errorf("%s: message %q, want \"model: %s = ...\" without a flag", tc.path, err, tc.path)
		}
		// The path is the field's JSON name, the one that changed.
		if d := config.Diff(base, c); len(d) != 1 || d[0].Path != tc.path {
			t.Errorf("%s: the field changed is %v", tc.path, d)
		}
	}
	// The EGRU-only fields are not checked for an LSTM.
	c := good()
	c.Cell, c.ThresholdMean, c.PseudoWidth = CellLSTM, 0, 0
	if err := c.Validate(); err != nil {
		t.Errorf("LSTM with unset EGRU fields: %v", err)
	}
}
