package infer

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/prune"
)

// Timing and accounting for `sparselm bench infer`, at batch 1 and on the
// calling goroutine: the engines are single-threaded (neither VecMat
// nor SparseRows splits a product over threads), so tensor.SetThreads does
// not change these figures.
//
//	figure           what is timed or counted
//	whole model      Step: embedding lookup, every layer, the decoder and its bias
//	layers           the embedding lookup and every layer, no decoder (the recurrent work)
//	executed MACs    Event's count (SetCounting) over the first Steps tokens, in a pass of its own, untimed
//	dense MACs       Σ_l (I_l + H_l)·G_l + E·V per token (DenseMACs), what Dense executes
//	counted          dense MACs / executed MACs, for the layers and for the whole model
//	reduction

// BenchOptions says how long to time an engine.
type BenchOptions struct {
	Steps   int // timed tokens per repeat
	Warmup  int // untimed tokens before the first repeat
	Repeats int // timed repeats; the result is their median
	// Layers times the recurrent layers alone (embedding lookup included,
	// decoder left out); the engine must be a *Dense or an *Event.
	Layers bool
}

// Validate returns an error naming the field that is out of range.
func (o BenchOptions) Validate() error {
	if o.Steps < 1 || o.Repeats < 1 || o.Warmup < 0 {
		return fmt.Errorf("infer: bench: Steps (%d) and Repeats (%d) must be positive and Warmup (%d) not negative", o.Steps, o.Repeats, o.Warmup)
	}
	return nil
}

// BenchResult is the time per token of one engine.
type BenchResult struct {
	NsPerToken    float64   `json:"ns_per_token"` // median over the repeats
	TokensPerS    float64   `json:"tokens_per_s"` // 1e9 / NsPerToken
	NsPerTokenAll []float64 `json:"ns_per_token_all"`
}

// layerStepper is what Dense and Event offer beyond Engine: a step without
// the decoder.
type layerStepper interface {
	embedIDs(ids []int32)
	stepLayers() []float32
}

// ctxEvery is how many tokens Bench and Count step between looks at their
// context: a look (ctx.Err) costs tens of nanoseconds and a token of even a
// tiny model microseconds, so the looks add well under 0.1% to the time
// measured, and a cancelled run stops within ctxEvery tokens.
const ctxEvery = 256

// stepCancellable calls step n times, looking at ctx before the first call
// and every ctxEvery calls after it. It returns context.Cause(ctx), and
// how many steps it made, once ctx is cancelled, and nil after n steps.
func stepCancellable(ctx context.Context, n int, step func()) (int, error) {
	for i := range n {
		if i%ctxEvery == 0 && ctx.Err() != nil {
			return i, context.Cause(ctx)
		}
		step()
	}
	return n, nil
}

// Bench resets e and feeds it ids [N] cycled, one token per step: o.Warmup
// untimed steps, then o.Repeats timed runs of o.Steps steps. It returns the
// median ns per token over the repeats. It panics if e.Batch() != 1 or ids
// is empty (programmer errors) and returns an error for bad options, for
// Layers on an engine of another package, or wrapping context.Cause(ctx)
// within ctxEvery tokens of ctx being cancelled (in the warmup or a repeat).
func Bench(ctx context.Context, e Engine, ids []int32, o BenchOptions) (BenchResult, error) {
	if e.Batch() != 1 || len(ids) == 0 {
		panic(fmt.Sprintf("infer: Bench: batch %d and %d ids, want batch 1 and some ids", e.Batch(), len(ids)))
	}
	if err := o.Validate(); err != nil {
		return BenchResult{}, err
	}
	logits := make([]float32, e.Vocab())
	x := make([]int32, 1)
	step := e.Step
	if o.Layers {
		ls, ok := e.(layerStepper)
		if !ok {
			return BenchResult{}, fmt.Errorf("infer: bench: %T cannot time its layers alone", e)
		}
		step = func(ids []int32, _ []float32) { ls.embedIDs(ids); ls.stepLayers() }
	}
	e.Reset()
	n := 0
	next := func() {
		x[0] = ids[n%len(ids)]
		step(x, logits)
		n++
	}
	if done, err := stepCancellable(ctx, o.Warmup, next); err != nil {
		return BenchResult{}, fmt.Errorf("infer: bench: stopped after %d of %d warmup tokens: %w", done, o.Warmup, err)
	}
	res := BenchResult{NsPerTokenAll: make([]float64, 0, o.Repeats)}
	for r := range o.Repeats {
		t0 := time.Now()
		if done, err := stepCancellable(ctx, o.Steps, next); err != nil {
			return res, fmt.Errorf("infer: bench: stopped after %d of %d tokens of repeat %d: %w", done, o.Steps, r+1, err)
		}
		res.NsPerTokenAll = append(res.NsPerTokenAll, float64(time.Since(t0).Nanoseconds())/float64(o.Steps))
	}
	res.NsPerToken = median(res.NsPerTokenAll)
	res.TokensPerS = 1e9 / res.NsPerToken
	return res, nil
}

// median returns the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// DenseMACs returns the multiply-accumulates per token of the Dense engine
// on a model of description d: layers Σ_l (I_l·G_l + H_l·G_l), decoder E·V.
func DenseMACs(d model.Desc) (layers, decoder int64) {
	for _, l := range d.Layers {
		layers += int64(l.I*l.G + l.H*l.G)
	}
	return layers, int64(d.Decoder.E * d.Decoder.V)
}

// Counts are what an Event engine executes per token over a pass, and how
// many of each layer's outputs are non-zero.
type Counts struct {
	Tokens      int       `json:"tokens"`
	LayerMACs   float64   `json:"layer_macs"`   // per token, all layers
	DecoderMACs float64   `json:"decoder_macs"` // per token
	Active      []float64 `json:"active"`       // per layer: fraction of non-zero outputs (events for the EGRU)
}

// Count resets e and steps it through the first steps tokens of ids
// (cycled) with counting on, then turns counting off and clears the counts.
// It panics if e.Batch() != 1, ids is empty or steps < 1, and returns an
// error wrapping context.Cause(ctx) within ctxEvery tokens of ctx being
// cancelled.
func Count(ctx context.Context, e *Event, ids []int32, steps int) (Counts, error) {
	if e.Batch() != 1 || len(ids) == 0 || steps < 1 {
		panic(fmt.Sprintf("infer: Count: batch %d, %d ids, %d steps", e.Batch(), len(ids), steps))
	}
	e.Reset()
	e.ResetMACs()
	e.SetCounting(true)
	defer func() { e.SetCounting(false); e.ResetMACs() }()
	nonzero := make([]int64, len(e.layers))
	logits := make([]float32, e.V)
	x := make([]int32, 1)
	t := 0
	done, err := stepCancellable(ctx, steps, func() {
		x[0] = ids[t%len(ids)]
		t++
		e.Step(x, logits)
		for i := range e.layers {
			for _, v := range e.layers[i].s {
				if v != 0 {
					nonzero[i]++
				}
			}
		}
	})
	if err != nil {
		return Counts{}, fmt.Errorf("infer: count: stopped after %d of %d tokens: %w", done, steps, err)
	}
	m := e.MACs()
	c := Counts{Tokens: steps, DecoderMACs: float64(m.Decoder) / float64(steps)}
	for i, l := range e.layers {
		c.LayerMACs += float64(m.Layers[i]) / float64(steps)
		c.Active = append(c.Active, float64(nonzero[i])/float64(steps*l.H))
	}
	return c, nil
}

// Comparison is the two engines on one model at batch 1.
type Comparison struct {
	Dense            BenchResult `json:"dense"` // whole model
	Event            BenchResult `json:"event"`
	DenseLayers      BenchResult `json:"dense_layers"` // the recurrent layers alone
	EventLayers      BenchResult `json:"event_layers"`
	DenseLayerMACs   int64       `json:"dense_layer_macs"`   // per token
	DenseDecoderMACs int64       `json:"dense_decoder_macs"` // per token
	Counts           Counts      `json:"executed"`
}

// Speedup is the event engine's tokens/s over the dense engine's, whole model.
func (c Comparison) Speedup() float64 { return c.Dense.NsPerToken / c.Event.NsPerToken }

// LayerSpeedup is Speedup for the recurrent layers alone.
func (c Comparison) LayerSpeedup() float64 {
	return c.DenseLayers.NsPerToken / c.EventLayers.NsPerToken
}

// Reduction is the counted reduction of the whole model: dense MACs / executed MACs.
func (c Comparison) Reduction() float64 {
	return float64(c.DenseLayerMACs+c.DenseDecoderMACs) / (c.Counts.LayerMACs + c.Counts.DecoderMACs)
}

// LayerReduction is Reduction for the recurrent layers alone.
func (c Comparison) LayerReduction() float64 {
	return float64(c.DenseLayerMACs) / c.Counts.LayerMACs
}

// Compare builds a Dense and an Event engine of m at batch 1 and times
// each (Bench) on the whole model and on its layers alone, then counts the
// event engine's MACs over the first o.Steps tokens of ids (Count). It
// returns an error for bad options, a model the engines cannot run, or a
// cancelled ctx (within ctxEvery tokens, see Bench and Count).
func Compare(ctx context.Context, m *model.LM[float32], ids []int32, o BenchOptions) (Comparison, error) {
	if err := o.Validate(); err != nil {
		return Comparison{}, err
	}
	dense, err := NewDense(m, 1)
	if err != nil {
		return Comparison{}, err
	}
	event, err := NewEvent(m, 1)
	if err != nil {
		return Comparison{}, err
	}
	var c Comparison
	c.DenseLayerMACs, c.DenseDecoderMACs = DenseMACs(m.Describe())
	layers := o
	layers.Layers = true
	for _, run := range []struct {
		e   Engine
		o   BenchOptions
		dst *BenchResult
	}{{dense, o, &c.Dense}, {event, o, &c.Event}, {dense, layers, &c.DenseLayers}, {event, layers, &c.EventLayers}} {
		if *run.dst, err = Bench(ctx, run.e, ids, run.o); err != nil {
			return c, err
		}
	}
	if c.Counts, err = Count(ctx, event, ids, o.Steps); err != nil {
		return c, err
	}
	return c, nil
}

// SetActivity sets the thresholds ϑ of every event layer of m so that about
// a fraction active of its units fire per step on ids: each of rounds
// passes streams ids through a Dense engine at batch 1 with the current
// thresholds, and sets every ϑ of layer l to the (1 − active)-quantile of
// all ĉ values of that layer over the pass (units and steps pooled). The
// passes repeat because ϑ changes the dynamics (c = ĉ − o⊙ϑ after an event).
// One ϑ per layer, not per unit: the fraction holds for the layer as a
// whole, units with a larger ĉ fire more often. It returns an error if m
// has a layer without thresholds or active is not in (0, 1).
func SetActivity(m *model.LM[float32], ids []int32, active float64, rounds int) error {
	if !(active > 0 && active < 1) || len(ids) == 0 || rounds < 1 {
		return fmt.Errorf("infer: set activity: fraction %v must be in (0, 1), with some ids (%d) and rounds (%d)", active, len(ids), rounds)
	}
	d := m.Describe()
	for i, l := range d.Layers {
		if l.Threshold < 0 {
			return fmt.Errorf("infer: set activity: layer %d (%s) has no thresholds", i, l.Cell)
		}
	}
	// One engine for every round: only ϑ changes between rounds, and the
	// engine's copy of it is refreshed in place (not all the weights).
	e, err := NewDense(m, 1)
	if err != nil {
		return err
	}
	chat := make([][]float32, len(d.Layers))
	logits := make([]float32, e.V)
	id := make([]int32, 1)
	for range rounds {
		e.Reset()
		for i := range chat {
			chat[i] = chat[i][:0]
		}
		for _, id[0] = range ids {
			e.Step(id, logits)
			for i := range e.layers {
				chat[i] = append(chat[i], e.layers[i].chat...)
			}
		}
		for i, l := range d.Layers {
			slices.Sort(chat[i])
			k := min(len(chat[i])-1, int(math.Floor((1-active)*float64(len(chat[i])))))
			theta := m.Params.Value(l.Threshold)
			for j := range theta {
				theta[j] = chat[i][k]
			}
			copy(e.layers[i].theta, theta)
		}
	}
	return nil
}

// GridPoint is one setting of Grid: the model pruned to Sparsity with
// thresholds set for Active, and what Compare measured on it.
type GridPoint struct {
	Sparsity       float64 `json:"sparsity"`        // target weight sparsity of each prunable matrix
	WeightSparsity float64 `json:"weight_sparsity"` // measured over the prunable matrices (prune.Sparsity)
	Active         float64 `json:"active"`          // target fraction of units firing; Counts.Active has the measured one
	Comparison
}

// Grid runs Compare on m at every weight sparsity × activity: for each of
// sparsities (ascending; pruning only ever adds zeros) it prunes the
// prunable matrices of m in place by magnitude, per matrix (prune.Prune),
// then for each of actives sets the thresholds on calib (SetActivity, three
// rounds) and calls Compare on ids. With actives empty (an LSTM, whose
// units all fire) each sparsity is one point, with Active 1 and no
// calibration. Each point is handed to each as soon as it is measured. It
// returns the first error of pruning, calibration, Compare or each.
func Grid(ctx context.Context, m *model.LM[float32], ids, calib []int32, sparsities, actives []float64, o BenchOptions, each func(GridPoint) error) error {
	if !slices.IsSorted(sparsities) {
		return fmt.Errorf("infer: grid: sparsities %v must be ascending", sparsities)
	}
	for _, s := range sparsities {
		if err := prune.Prune(&m.Params, prune.Magnitude, s, 0); err != nil {
			return fmt.Errorf("infer: grid: %w", err)
		}
		points := actives
		if len(actives) == 0 {
			if hasThresholds(m) {
				return fmt.Errorf("infer: grid: an event model needs the fractions of units to fire (actives)")
			}
			points = []float64{1}
		}
		for _, a := range points {
			if len(actives) > 0 {
				if err := SetActivity(m, calib, a, 3); err != nil {
					return err
				}
			}
			c, err := Compare(ctx, m, ids, o)
			if err != nil {
				return err
			}
			if err := each(GridPoint{Sparsity: s, WeightSparsity: prune.Sparsity(&m.Params), Active: a, Comparison: c}); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasThresholds reports whether a layer of m has event thresholds.
func hasThresholds(m *model.LM[float32]) bool {
	for _, l := range m.Describe().Layers {
		if l.Threshold >= 0 {
			return true
		}
	}
	return false
}
