package train

import (
	"math/rand/v2"

	"github.com/sparselm/sparselm/model"
)

// Step trains m on one window, the unit of work that the training loop, the
// benchmarks and the examples share: it clears the gradients, runs forward
// and backward over x and y [T×B] from st (updated), zeroes the gradients of
// pruned weights (so they take no share of the clipping norm), clips the
// gradient norm to clip (0: off) and applies one update of opt with
// learning-rate multiplier scale. Thresholds are updated only when the model
// learns them.
func Step(m *model.LM[float32], opt *Optimizer, x, y []int32, T, B int, st *model.State[float32], rng *rand.PCG, clip, scale float64) model.StepStats {
	m.Params.ZeroGrad()
	s := m.TrainStep(x, y, T, B, st, rng)
	m.Params.ApplyMask()
	ClipGradNorm(m.Params.Grad, clip)
	opt.Update(&m.Params, scale, m.Config.LearnThreshold)
	return s
}
