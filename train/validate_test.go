package train

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/model"
)

// TestOptionsValidateNamesFields checks that every rule of Options.Validate
// and OptimizerConfig.Validate, and the model's through them, reports its
// field by the JSON path in Options (as options.json stores it), and that
// no message names a command-line flag (issue 10, structure).
func TestOptionsValidateNamesFields(t *testing.T) {
	good := func() Options {
		o, err := Preset("tiny", model.CellEGRU, "tiny")
		if err != nil {
			t.Fatal(err)
		}
		o.Model.Vocab = 10
		return o
	}
	base := good()
	if err := base.Validate(); err != nil {
		t.Fatalf("the tiny preset: %v", err)
	}
	cases := []struct {
		path string
		bad  func(o *Options)
	}{
		{"batch", func(o *Options) { o.Batch = 0 }},
		{"bptt", func(o *Options) { o.BPTT = 1 }},
		{"epochs", func(o *Options) { o.Epochs = 0 }},
		{"epoch_tokens", func(o *Options) { o.EpochTokens = -2 }},
		{"constant_frac", func(o *Options) { o.ConstantFrac = 1.5 }},
		{"min_lr_scale", func(o *Options) { o.MinLRScale = -1 }},
		{"clip", func(o *Options) { o.Clip = -1 }},
		{"eval_batch", func(o *Options) { o.EvalBatch = 0 }},
		{"eval_bptt", func(o *Options) { o.EvalBPTT = 0 }},
		{"patience", func(o *Options) { o.Patience = -1 }},
		{"threads", func(o *Options) { o.Threads = 0 }},
		{"save_every", func(o *Options) { o.SaveEvery = -1 }},
		{"optimizer.kind", func(o *Options) { o.Optim.Kind = "adam" }},
		{"optimizer.lr", func(o *Options) { o.Optim.LR = -1 }},
		{"optimizer.beta1", func(o *Options) { o.Optim.Beta1 = 1 }},
		{"optimizer.beta2", func(o *Options) { o.Optim.Beta2 = -0.5 }},
		{"optimizer.eps", func(o *Options) { o.Optim.Eps = 0 }},
		{"optimizer.weight_decay", func(o *Options) { o.Optim.WeightDecay = -0.1 }},
		{"optimizer.threshold_lr", func(o *Options) { o.Optim.ThresholdLR = -1 }},
		// Infinities pass a sign test, then diverge or fail to be written
		// as JSON (options.json).
		{"optimizer.lr", func(o *Options) { o.Optim.LR = math.Inf(1) }},
		{"optimizer.eps", func(o *Options) { o.Optim.Eps = math.Inf(1) }},
		{"optimizer.weight_decay", func(o *Options) { o.Optim.WeightDecay = math.Inf(1) }},
		{"optimizer.threshold_lr", func(o *Options) { o.Optim.ThresholdLR = math.Inf(1) }},
		{"clip", func(o *Options) { o.Clip = math.Inf(1) }},
		{"max_vocab", func(o *Options) { o.MaxVocab = -1 }},
		{"max_vocab", func(o *Options) { o.MaxVocab = 1 }},
		{"min_count", func(o *Options) { o.MinCount = -3 }},
		{"model.drop_word", func(o *Options) { o.Model.DropWord = 1.2 }},
		{"model.cell", func(o *Options) { o.Model.Cell = "gru" }},
		{"model.init_scale", func(o *Options) { o.Model.InitScale = -1 }},
	}
	for _, tc := range cases {
		o := good()
		tc.bad(&o)
		err := o.Validate()
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Path != tc.path {
			t.Errorf("%s: err = %v, want a field error for %s", tc.path, err, tc.path)
			continue
		}
		if strings.Contains(err.Error(), "--") || !strings.HasPrefix(err.Error(), "train: "+tc.path+" = ") {
			t.Errorf("%s: message %q, want \"train: %s = ...\" without a flag", tc.path, err, tc.path)
		}
		if d := config.Diff(base, o); len(d) != 1 || d[0].Path != tc.path {
			t.Errorf("%s: the field changed is %v", tc.path, d)
		}
	}
	// SGD has no moments to check.
	o := good()
	o.Optim.Kind, o.Optim.Beta1, o.Optim.Eps = SGD, 5, 0
	if err := o.Validate(); err != nil {
		t.Errorf("SGD with AdamW-only fields unset: %v", err)
	}
}

// TestPreset checks the presets' documented differences and that an
// unknown name is a field error for preset.
func TestPreset(t *testing.T) {
	for _, name := range Presets {
		for _, cell := range []string{model.CellLSTM, model.CellEGRU} {
			o, err := Preset(name, cell, "ptb")
			if err != nil {
				t.Fatal(err)
			}
			o.Model.Vocab = 10000
			if err := o.Validate(); err != nil {
				t.Errorf("%s %s: %v", name, cell, err)
			}
			if o.Preset != name || o.Model.Cell != cell || o.Dataset != "ptb" {
				t.Errorf("%s %s: preset %q, cell %q, dataset %q", name, cell, o.Preset, o.Model.Cell, o.Dataset)
			}
		}
	}
	lstm, _ := Preset("small", model.CellLSTM, "ptb")
	egru, _ := Preset("small", model.CellEGRU, "ptb")
	if lstm.Optim.Beta1 != 0.9 || egru.Optim.Beta1 != 0 || egru.Optim.WeightDecay != 0.1 || egru.Model.ThresholdMean != 0.2 || egru.Model.ActivityReg != 0.03 {
		t.Errorf("small: LSTM β1 %v, EGRU β1 %v, decay %v, μ %v, λ %v", lstm.Optim.Beta1, egru.Optim.Beta1, egru.Optim.WeightDecay,
			egru.Model.ThresholdMean, egru.Model.ActivityReg)
	}
	if wt2, _ := Preset("small", model.CellLSTM, "wikitext-2"); wt2.Epochs != 6 {
		t.Errorf("small on WikiText-2: %d epochs, want 6", wt2.Epochs)
	}
	_, err := Preset("huge", model.CellLSTM, "ptb")
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Path != "preset" || !strings.Contains(err.Error(), "tiny, small, paper") {
		t.Errorf("unknown preset: %v", err)
	}
}
