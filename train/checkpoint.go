package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/internal/safetensors"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/provenance"
)

// Files of a checkpoint directory. model.safetensors alone rebuilds the
// network (see docs/checkpoints.md); the rest resumes training.
const (
	fileWeights   = "model.safetensors"
	fileVocab     = "vocab.txt"
	fileOptions   = "options.json"
	fileOptimizer = "optimizer.safetensors"
	fileState     = "state.json"
	fileCarry     = "carry.safetensors"
)

// EpochRecord summarises one finished epoch.
type EpochRecord struct {
	Epoch       int        `json:"epoch"`
	TrainLoss   float64    `json:"train_loss"` // mean NLL over the epoch's windows
	Valid       EvalResult `json:"valid"`
	LR          float64    `json:"lr"`
	TokensPerS  float64    `json:"tokens_per_s"`
	WallSeconds float64    `json:"wall_seconds"` // cumulative training wall time
}

// RunState is where a run stands: enough, with the optimizer and the
// carried recurrent state, to continue exactly where it stopped.
type RunState struct {
	Epoch     int           `json:"epoch"`   // epochs completed
	Window    int           `json:"window"`  // windows of the current epoch done
	Windows   []data.Span   `json:"windows"` // the current epoch's windows; nil between epochs
	LossSum   float64       `json:"loss_sum"`
	LossCount int           `json:"loss_count"`
	RNG       []byte        `json:"rng"`        // PCG state (MarshalBinary)
	BestValid float64       `json:"best_valid"` // meaningful once BestEpoch > 0
	BestEpoch int           `json:"best_epoch"`
	BadEpochs int           `json:"bad_epochs"`
	History   []EpochRecord `json:"history"`
	Elapsed   time.Duration `json:"elapsed"` // JSON: elapsed_s (seconds.go)
	Done      bool          `json:"done"`
	// Provenance is the session that started the run and Resumed each
	// session that continued it (nil when the Runner was given none).
	Provenance *provenance.Provenance  `json:"provenance,omitempty"`
	Resumed    []provenance.Provenance `json:"resumed,omitempty"`
	// TrainedTokens and TrainedSeconds are the tokens of the current
	// epoch's windows done and their wall time, over the sessions that ran
	// them: the epoch's throughput. Checkpoints written before them read 0
	// and count only the windows trained after the resume.
	TrainedTokens  int64   `json:"trained_tokens"`
	TrainedSeconds float64 `json:"trained_s"`
}

// Checkpoint is a model with everything needed to evaluate it or resume its training.
type Checkpoint struct {
	Options Options
	Model   *model.LM[float32]
	Vocab   *data.Vocab
	Optim   *Optimizer            // nil in best-model checkpoints
	State   *RunState             // nil in best-model checkpoints
	Carry   *model.State[float32] // nil in best-model checkpoints
}

// errStateNotFinite is wrapped by the errors of Save and LoadCheckpoint for
// optimizer moments or a carried state that hold NaN or ±Inf (the weights
// have model.ErrNotFinite): a run resumed from them would diverge at once.
var errStateNotFinite = errors.New("the training state is not finite (a diverged run?)")

// notFinite reports whether err is Save's or LoadCheckpoint's error for a
// float that is NaN or ±Inf (weights, optimizer moments or carried state).
func notFinite(err error) bool {
	return errors.Is(err, model.ErrNotFinite) || errors.Is(err, errStateNotFinite)
}

// checkStateFinite returns an error wrapping errStateNotFinite that names
// the tensor (what and name) and its first element that is not finite, or nil.
func checkStateFinite(what, name string, v []float32) error {
	if j := model.FirstNonFinite(v); j >= 0 {
		return fmt.Errorf("%s %q holds %v at element %d: %w", what, name, v[j], j, errStateNotFinite)
	}
	return nil
}

// Save writes c to dir atomically (see ckptdir.Write). It writes nothing
// and returns an error if a weight, an optimizer moment or a value of the
// carried state is NaN or ±Inf: LoadCheckpoint would refuse the checkpoint.
func (c *Checkpoint) Save(dir string) error {
	files := map[string][]byte{}
	w, err := model.EncodeWeights(c.Model)
	if err != nil {
		return err
	}
	files[fileWeights] = w
	var vb bytes.Buffer
	if _, err := c.Vocab.WriteTo(&vb); err != nil {
		return err
	}
	files[fileVocab] = vb.Bytes()
	if files[fileOptions], err = json.MarshalIndent(c.Options, "", "  "); err != nil {
		return err
	}
	if c.Optim != nil {
		meta := map[string]string{"step": strconv.FormatInt(c.Optim.Step, 10), "kind": c.Optim.Config.Kind}
		var ts []safetensors.Tensor
		if c.Optim.M != nil {
			if err := checkStateFinite("optimizer moment", "m", c.Optim.M); err != nil {
				return err
			}
			if err := checkStateFinite("optimizer moment", "v", c.Optim.V); err != nil {
				return err
			}
			ts = append(ts, safetensors.F32("m", []int{len(c.Optim.M)}, c.Optim.M), safetensors.F32("v", []int{len(c.Optim.V)}, c.Optim.V))
		}
		if files[fileOptimizer], err = safetensors.Marshal(ts, meta); err != nil {
			return err
		}
	}
	if c.State != nil {
		if files[fileState], err = json.MarshalIndent(c.State, "", "  "); err != nil {
			return err
		}
	}
	if c.Carry != nil {
		var ts []safetensors.Tensor
		for l := range c.Carry.S {
			if err := checkStateFinite("carried state", fmt.Sprintf("s.%d", l), c.Carry.S[l]); err != nil {
				return err
			}
			if err := checkStateFinite("carried state", fmt.Sprintf("c.%d", l), c.Carry.C[l]); err != nil {
				return err
			}
			ts = append(ts, safetensors.F32(fmt.Sprintf("s.%d", l), []int{c.Carry.B, len(c.Carry.S[l]) / c.Carry.B}, c.Carry.S[l]),
				safetensors.F32(fmt.Sprintf("c.%d", l), []int{c.Carry.B, len(c.Carry.C[l]) / c.Carry.B}, c.Carry.C[l]))
		}
		if files[fileCarry], err = safetensors.Marshal(ts, nil); err != nil {
			return err
		}
	}
	return ckptdir.Write(dir, files)
}

// LoadCheckpoint reads and verifies the checkpoint in dir. The model is
// built from the config in the weights file; options.json must hold no
// field that Options lacks and give that same model config (an error names
// the first field that differs), and a resumable checkpoint's options must
// validate. A weight, an optimizer moment or a value of the carried state
// that is NaN or ±Inf is an error naming the tensor and the element (see
// model.ErrNotFinite).
func LoadCheckpoint(dir string) (*Checkpoint, error) {
	files, err := ckptdir.Read(dir)
	if err != nil {
		return nil, err
	}
	need := func(name string) ([]byte, error) {
		b, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("checkpoint %s: %s is missing", dir, name)
		}
		return b, nil
	}
	c := &Checkpoint{}
	b, err := need(fileWeights)
	if err != nil {
		return nil, err
	}
	if c.Model, err = model.DecodeWeights(b); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	if b, err = need(fileVocab); err != nil {
		return nil, err
	}
	if c.Vocab, err = data.ReadVocab(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	if c.Vocab.Len() != c.Model.Config.Vocab {
		return nil, fmt.Errorf("checkpoint %s: vocabulary has %d words, the model %d", dir, c.Vocab.Len(), c.Model.Config.Vocab)
	}
	if b, err = need(fileOptions); err != nil {
		return nil, err
	}
	if err := c.Options.unmarshal(b, true); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %s: %w", dir, fileOptions, err)
	}
	// The weights' config builds the model; options.json must describe the
	// same one (which also makes its model config valid: DecodeWeights
	// validated the weights').
	if d := config.Diff(c.Options.Model, c.Model.Config); len(d) > 0 {
		return nil, fmt.Errorf("checkpoint %s: %s gives model.%s = %s, but %s holds a model with %s: the options are not those of these weights (edited, or copied from another run?)",
			dir, fileOptions, d[0].Path, formatValue(d[0].A), fileWeights, formatValue(d[0].B))
	}
	if b, ok := files[fileOptimizer]; ok {
		f, err := safetensors.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: %s: %w", dir, fileOptimizer, err)
		}
		o := &Optimizer{Config: c.Options.Optim}
		if o.Step, err = strconv.ParseInt(f.Metadata["step"], 10, 64); err != nil {
			return nil, fmt.Errorf("checkpoint %s: optimizer step: %w", dir, err)
		}
		if o.Config.Kind == AdamW {
			for _, moment := range []struct {
				name string
				dst  *[]float32
			}{{"m", &o.M}, {"v", &o.V}} {
				name, dst := moment.name, moment.dst
				t, ok := f.Get(name)
				if !ok {
					return nil, fmt.Errorf("checkpoint %s: optimizer moment %q missing", dir, name)
				}
				v, err := t.Float32s()
				if err != nil || len(v) != len(c.Model.Params.Data) {
					return nil, fmt.Errorf("checkpoint %s: optimizer moment %q does not match the model", dir, name)
				}
				if err := checkStateFinite("optimizer moment", name, v); err != nil {
					return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
				}
				*dst = append([]float32(nil), v...)
			}
		}
		c.Optim = o
	}
	if b, ok := files[fileState]; ok {
		// A resumable checkpoint's options are a run's: Runner.Run
		// validated them before the run wrote them.
		if err := c.Options.Validate(); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %s: %w", dir, fileOptions, err)
		}
		c.State = &RunState{}
		if err := json.Unmarshal(b, c.State); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %s: %w", dir, fileState, err)
		}
		if err := c.State.check(&c.Options); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %s: %w", dir, fileState, err)
		}
	}
	if b, ok := files[fileCarry]; ok {
		f, err := safetensors.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: %s: %w", dir, fileCarry, err)
		}
		// Check the batch of options.json against the file before allocating
		// a state of that size: a bad one is an error, not a panic or a
		// terabyte allocation.
		if t, ok := f.Get("s.0"); !ok || len(t.Shape) != 2 || t.Shape[0] != c.Options.Batch || c.Options.Batch < 1 {
			return nil, fmt.Errorf("checkpoint %s: %s does not hold a state for the batch of %d streams in %s", dir, fileCarry, c.Options.Batch, fileOptions)
		}
		st := c.Model.NewState(c.Options.Batch)
		for l := range st.S {
			for _, carried := range []struct {
				name string
				dst  []float32
			}{{fmt.Sprintf("s.%d", l), st.S[l]}, {fmt.Sprintf("c.%d", l), st.C[l]}} {
				name, dst := carried.name, carried.dst
				t, ok := f.Get(name)
				if !ok {
					return nil, fmt.Errorf("checkpoint %s: carried state %q missing", dir, name)
				}
				v, err := t.Float32s()
				if err != nil || len(v) != len(dst) {
					return nil, fmt.Errorf("checkpoint %s: carried state %q does not match the model", dir, name)
				}
				if err := checkStateFinite("carried state", name, v); err != nil {
					return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
				}
				copy(dst, v)
			}
		}
		c.Carry = st
	}
	return c, nil
}

// formatValue writes a configuration value for a message: strings quoted
// (an empty cell reads ""), the rest as config.Format writes it.
func formatValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return config.Format(v)
}

// check reports, as an error, a state that a resumed run could not follow:
// a count below zero, a window (within an epoch) or best epoch that indexes
// past its list, or a window that is empty, starts before the stream or is
// longer than the run's buffers (o.BPTT + data.VariableBPTTCap steps).
func (s *RunState) check(o *Options) error {
	switch {
	case s.Epoch < 0 || s.LossCount < 0 || s.BadEpochs < 0 || s.TrainedTokens < 0 || s.TrainedSeconds < 0:
		return fmt.Errorf("negative count (epoch %d, loss_count %d, bad_epochs %d, trained_tokens %d, trained_s %g)",
			s.Epoch, s.LossCount, s.BadEpochs, s.TrainedTokens, s.TrainedSeconds)
	case s.Windows != nil && (s.Window < 0 || s.Window > len(s.Windows)):
		// Between epochs Windows is nil and Window is left as it was: the
		// next epoch starts both afresh.
		return fmt.Errorf("window %d is outside the %d windows of the epoch", s.Window, len(s.Windows))
	case s.BestEpoch < 0 || s.BestEpoch > len(s.History):
		return fmt.Errorf("best_epoch %d is outside the history of %d epochs", s.BestEpoch, len(s.History))
	}
	for i, w := range s.Windows {
		if w.Start < 0 || w.Len < 1 || w.Len > o.BPTT+data.VariableBPTTCap {
			return fmt.Errorf("window %d (start %d, length %d) is empty, starts before the stream or is longer than bptt %d + %d", i, w.Start, w.Len, o.BPTT, data.VariableBPTTCap)
		}
	}
	return nil
}
