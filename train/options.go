package train

import (
	"fmt"
	"math"
	"time"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/model"
)

// Options is everything that defines a training run. It is saved in every
// checkpoint, and a resumed run must be given the same options.
type Options struct {
	// Preset names the built-in settings the options started from (tiny,
	// small, paper; "" for none). It is recorded so that a run of one preset
	// is never taken for a run of another (see Runner.Run on resuming).
	Preset   string          `json:"preset"`
	Dataset  string          `json:"dataset"`
	MaxVocab int             `json:"max_vocab"` // data.Options used to build the vocabulary
	MinCount int             `json:"min_count"`
	Model    model.Config    `json:"model"`
	Optim    OptimizerConfig `json:"optimizer"`

	Batch        int  `json:"batch"`         // B streams
	BPTT         int  `json:"bptt"`          // window length T
	VariableBPTT bool `json:"variable_bptt"` // AWD-LSTM's random window lengths (lr scaled by T/bptt)
	Epochs       int  `json:"epochs"`
	// EpochTokens caps the training tokens per epoch (0: the whole split); for quick presets and tests.
	EpochTokens int `json:"epoch_tokens"`

	ConstantFrac float64 `json:"constant_frac"` // fraction of steps at the full learning rate before the cosine decay
	MinLRScale   float64 `json:"min_lr_scale"`  // learning-rate multiplier at the last step
	Clip         float64 `json:"clip"`          // gradient-norm clipping; 0 = off

	EvalBatch int `json:"eval_batch"` // streams for validation (test always uses 1)
	EvalBPTT  int `json:"eval_bptt"`
	Patience  int `json:"patience"` // stop after this many epochs without a better validation perplexity; 0 = never

	Seed      uint64        `json:"seed"`
	Threads   int           `json:"threads"`
	SaveEvery time.Duration `json:"save_every"` // resumable checkpoint interval within an epoch (0: every window); JSON: save_every_s (seconds.go)
	SkipTest  bool          `json:"skip_test"`
}

// Validate reports the first bad option as a *config.FieldError, which names the
// field by its JSON path (batch, model.drop_word, optimizer.lr, ...).
func (o *Options) Validate() error {
	if err := o.ValidateData(); err != nil {
		return err
	}
	if err := o.Model.Validate(); err != nil {
		return fmt.Errorf("train: %w", config.Within("model", err))
	}
	if err := o.Optim.Validate(); err != nil {
		return fmt.Errorf("train: %w", config.Within("optimizer", err))
	}
	bad := func(path string, v any, rule string) error {
		return fmt.Errorf("train: %w", config.Invalid(path, v, rule))
	}
	switch {
	case o.Batch < 1:
		return bad("batch", o.Batch, "must be positive")
	case o.BPTT < 2:
		return bad("bptt", o.BPTT, "must be at least 2")
	case o.Epochs < 1:
		return bad("epochs", o.Epochs, "must be positive")
	case o.EpochTokens < 0:
		return bad("epoch_tokens", o.EpochTokens, "must not be negative")
	case !(o.ConstantFrac >= 0 && o.ConstantFrac <= 1):
		return bad("constant_frac", o.ConstantFrac, "must be in [0, 1]")
	case !(o.MinLRScale >= 0 && o.MinLRScale <= 1):
		return bad("min_lr_scale", o.MinLRScale, "must be in [0, 1]")
	case !(o.Clip >= 0) || math.IsInf(o.Clip, 1):
		return bad("clip", o.Clip, "must be finite and not negative (0: no clipping)")
	case o.EvalBatch < 1:
		return bad("eval_batch", o.EvalBatch, "must be positive")
	case o.EvalBPTT < 1:
		return bad("eval_bptt", o.EvalBPTT, "must be positive")
	case o.Patience < 0:
		return bad("patience", o.Patience, "must not be negative")
	case o.Threads < 1:
		return bad("threads", o.Threads, "must be positive")
	case o.SaveEvery < 0:
		return bad("save_every", o.SaveEvery, "must not be negative")
	}
	return nil
}

// ValidateData reports a bad setting of how the corpus is read (max_vocab,
// min_count) as a *config.FieldError; Validate includes it, and commands
// call it before they read the corpus (whose vocabulary Validate needs).
func (o *Options) ValidateData() error {
	switch {
	case o.MaxVocab < 0 || o.MaxVocab == 1:
		return fmt.Errorf("train: %w", config.Invalid("max_vocab", o.MaxVocab, "must be 0 (no limit) or at least 2"))
	case o.MinCount < 0:
		return fmt.Errorf("train: %w", config.Invalid("min_count", o.MinCount, "must not be negative"))
	}
	return nil
}
