package train

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
)

// Optimizer kinds.
const (
	AdamW = "adamw"
	SGD   = "sgd"
)

// OptimizerConfig sets the update rule and its parameter groups.
type OptimizerConfig struct {
	Kind        string  `json:"kind"` // "adamw" or "sgd"
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"` // may be 0, as in the reference EGRU runs
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"` // decoupled (AdamW) or L2 (SGD); weights only, not biases or thresholds
	ThresholdLR float64 `json:"threshold_lr"` // learning rate of the EGRU thresholds; 0 means LR
}

// Validate reports the first bad setting as a *config.FieldError, which names
// the field by its JSON path (lr, beta1, ...).
func (c *OptimizerConfig) Validate() error {
	bad := func(path string, v any, rule string) error {
		return fmt.Errorf("train: %w", config.Invalid(path, v, rule))
	}
	switch {
	case c.Kind != AdamW && c.Kind != SGD:
		return bad("kind", c.Kind, fmt.Sprintf("is an unknown optimizer (want %q or %q)", AdamW, SGD))
	case !(c.LR > 0) || math.IsInf(c.LR, 1):
		return bad("lr", c.LR, "must be positive and finite")
	case c.Kind == AdamW && !(c.Beta1 >= 0 && c.Beta1 < 1):
		return bad("beta1", c.Beta1, "must be in [0, 1)")
	case c.Kind == AdamW && !(c.Beta2 >= 0 && c.Beta2 < 1):
		return bad("beta2", c.Beta2, "must be in [0, 1)")
	case c.Kind == AdamW && (!(c.Eps > 0) || math.IsInf(c.Eps, 1)):
		return bad("eps", c.Eps, "must be positive and finite")
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 1):
		return bad("weight_decay", c.WeightDecay, "must be finite and not negative")
	case !(c.ThresholdLR >= 0) || math.IsInf(c.ThresholdLR, 1):
		return bad("threshold_lr", c.ThresholdLR, "must be finite and not negative")
	}
	return nil
}

// Optimizer updates a parameter slab in place. Its moments are slabs
// parallel to the parameters, so masking and checkpointing are single loops.
type Optimizer struct {
	Config OptimizerConfig
	Step   int64     // updates done
	M, V   []float32 // first and second moments (AdamW; M unused when β1 = 0)

	job updateJob // the Update in progress (kept here so Update does not allocate)
}

// NewOptimizer returns an optimizer with zero moments for n parameters.
func NewOptimizer(c OptimizerConfig, n int) *Optimizer {
	o := &Optimizer{Config: c}
	if c.Kind == AdamW {
		o.M, o.V = make([]float32, n), make([]float32, n)
	}
	return o
}

// Update applies one step with learning-rate multiplier scale (the schedule)
// to p using p.Grad. Thresholds are updated only when learn is true and are
// clipped to [0, 1]. Pruned weights (mask 0) and their moments stay zero.
// The slab is split across tensor.Threads() goroutines; every element is
// updated on its own, so the result does not depend on the split.
func (o *Optimizer) Update(p *model.Params[float32], scale float64, learnThreshold bool) {
	o.Step++
	c := &o.Config
	o.job = updateJob{o: o, p: p, scale: scale, learn: learnThreshold,
		bc1: 1 - math.Pow(c.Beta1, float64(o.Step)),
		bc2: 1 - math.Pow(c.Beta2, float64(o.Step))}
	tensor.Parallel(len(p.Data), updateGrain, &o.job)
	o.job = updateJob{}
}

// updateGrain is the least number of parameters per goroutine (~20 µs).
const updateGrain = 1 << 14

// updateJob is one Update, run on ranges of the parameter slab.
type updateJob struct {
	o        *Optimizer
	p        *model.Params[float32]
	scale    float64
	bc1, bc2 float64
	learn    bool
}

func (u *updateJob) Range(lo, hi int) {
	c, p := &u.o.Config, u.p
	for _, v := range p.Views {
		lr, decay := c.LR*u.scale, c.WeightDecay
		switch v.Group {
		case model.GroupBias:
			decay = 0
		case model.GroupThreshold:
			if !u.learn {
				continue
			}
			decay = 0
			if c.ThresholdLR > 0 {
				lr = c.ThresholdLR * u.scale
			}
		}
		a, b := max(lo, v.Offset), min(hi, v.Offset+v.Len())
		if a >= b {
			continue
		}
		x, g := p.Data[a:b], p.Grad[a:b]
		switch c.Kind {
		case AdamW:
			var m []float32
			if c.Beta1 != 0 {
				m = u.o.M[a:b]
			}
			tensor.AdamW(x, g, m, u.o.V[a:b], tensor.AdamWStep{LR: float32(lr), Decay: float32(decay),
				Beta1: float32(c.Beta1), Beta2: float32(c.Beta2), Eps: float32(c.Eps), BC1: float32(u.bc1), BC2: float32(u.bc2)})
		case SGD:
			sgd(x, g, float32(lr), float32(decay))
		}
		if v.Group == model.GroupThreshold {
			for i := range x {
				x[i] = min(1, max(0, x[i]))
			}
		}
	}
	if p.Mask != nil {
		for i := lo; i < hi; i++ {
			if p.Mask[i] == 0 {
				p.Data[i] = 0
				if u.o.M != nil {
					u.o.M[i], u.o.V[i] = 0, 0
				}
			}
		}
	}
}

// sgd is plain gradient descent with L2 weight decay.
func sgd(x, g []float32, lr, decay float32) {
	for i := range x {
		x[i] -= lr * (g[i] + decay*x[i])
	}
}

// ClipGradNorm scales g so that its Euclidean norm is at most maxNorm (if
// maxNorm > 0) and returns the norm before clipping. The sum of squares is
// taken in float64 over fixed blocks of normBlock elements, in parallel, and
// the block sums are added in order: the norm does not depend on the
// thread count.
func ClipGradNorm(g []float32, maxNorm float64) float64 {
	j := normPool.Get().(*normJob)
	j.g = g
	blocks := (len(g) + normBlock - 1) / normBlock
	j.partial = slices.Grow(j.partial[:0], blocks)[:blocks]
	tensor.Parallel(blocks, 1, j)
	var s float64
	for _, v := range j.partial {
		s += v
	}
	norm := math.Sqrt(s)
	if maxNorm > 0 && norm > maxNorm {
		j.k = float32(maxNorm / (norm + 1e-6))
		tensor.Parallel(blocks, 1, (*scaleJob)(j))
	}
	j.g = nil
	normPool.Put(j)
	return norm
}

// normBlock is the block of ClipGradNorm's partial sums (~15 µs of work).
const normBlock = 1 << 14

type normJob struct {
	g       []float32
	partial []float64
	k       float32
}

var normPool = sync.Pool{New: func() any { return new(normJob) }}

// Range computes the sums of squares of blocks lo..hi-1.
func (j *normJob) Range(lo, hi int) {
	for b := lo; b < hi; b++ {
		var s float64
		for _, v := range j.g[b*normBlock : min(len(j.g), (b+1)*normBlock)] {
			s += float64(v) * float64(v)
		}
		j.partial[b] = s
	}
}

// scaleJob multiplies blocks lo..hi-1 by k.
type scaleJob normJob

func (j *scaleJob) Range(lo, hi int) {
	tensor.Scale(j.k, j.g[lo*normBlock:min(len(j.g), hi*normBlock)])
}

// Schedule is a constant learning rate for a first fraction of the steps,
// then a cosine decay to MinScale at the last step.
type Schedule struct {
	TotalSteps    int64
	ConstantSteps int64
	MinScale      float64 // final multiplier, e.g. 0.01
}

// Scale returns the learning-rate multiplier for step (0-based):
// 1 while step < ConstantSteps, then MinScale + (1−MinScale)·(1+cos(π·f))/2
// with f the fraction of the decay phase done.
func (s Schedule) Scale(step int64) float64 {
	if step < s.ConstantSteps || s.TotalSteps <= s.ConstantSteps {
		return 1
	}
	f := float64(step-s.ConstantSteps) / float64(s.TotalSteps-s.ConstantSteps)
	f = min(1, f)
	return s.MinScale + (1-s.MinScale)*(1+math.Cos(math.Pi*f))/2
}
