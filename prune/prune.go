package prune

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sparselm/sparselm/model"
)

// Criterion chooses which weights a pruning step removes.
type Criterion string

// The criteria (see the package doc).
const (
	Magnitude Criterion = "magnitude" // per matrix: every chosen matrix at the same sparsity
	Global    Criterion = "global"    // one magnitude threshold across the chosen matrices
	Random    Criterion = "random"    // per matrix, uniformly at random: the control
)

// ParseCriterion returns the criterion called s.
func ParseCriterion(s string) (Criterion, error) {
	switch c := Criterion(s); c {
	case Magnitude, Global, Random:
		return c, nil
	}
	return "", fmt.Errorf("prune: unknown criterion %q (want %s, %s or %s)", s, Magnitude, Global, Random)
}

// EmbeddingView is the name of the embedding matrix [V×E], also the tied decoder.
const EmbeddingView = "embedding"

// MarkEmbedding makes the embedding, and so the tied decoder, prunable.
func MarkEmbedding(p *model.Params[float32]) error {
	i, ok := p.Lookup(EmbeddingView)
	if !ok {
		return fmt.Errorf("prune: the model has no %q matrix", EmbeddingView)
	}
	p.Views[i].Prunable = true
	return nil
}

// Targets returns the indices of the prunable views of p, in slab order.
func Targets(p *model.Params[float32]) []int {
	var idx []int
	for i, v := range p.Views {
		if v.Prunable {
			idx = append(idx, i)
		}
	}
	return idx
}

// CheckSparsity returns an error unless 0 ≤ s < 1.
func CheckSparsity(s float64) error {
	if !(s >= 0 && s < 1) {
		return fmt.Errorf("prune: sparsity %v must be in [0, 1) (a fraction of the weights, e.g. 0.9)", s)
	}
	return nil
}

// ensureMask gives p an all-ones mask if it has none.
func ensureMask(p *model.Params[float32]) {
	if p.Mask != nil {
		return
	}
	p.Mask = make([]float32, len(p.Data))
	for i := range p.Mask {
		p.Mask[i] = 1
	}
}

// rankKey orders weights for removal: smallest value first, then slab position.
// Pruned weights get value −1, so they stay pruned.
type rankKey struct {
	value float64
	pos   int
}

func compareKeys(a, b rankKey) int {
	if c := cmp.Compare(a.value, b.value); c != 0 {
		return c
	}
	return cmp.Compare(a.pos, b.pos)
}

// keys returns the rank keys of view i: |w| for magnitude, a uniform draw for
// random (from a generator seeded by seed and the view index).
func keys(p *model.Params[float32], i int, c Criterion, seed uint64, dst []rankKey) []rankKey {
	v := p.Views[i]
	var rng *rand.Rand
	if c == Random {
		rng = rand.New(rand.NewPCG(seed, uint64(i)))
	}
	for j := v.Offset; j < v.Offset+v.Len(); j++ {
		var k float64
		if c == Random {
			k = rng.Float64() // drawn for every weight, so the draws do not depend on the mask
		} else {
			k = math.Abs(float64(p.Data[j]))
		}
		if p.Mask != nil && p.Mask[j] == 0 {
			k = -1
		}
		dst = append(dst, rankKey{k, j})
	}
	return dst
}

// Prune masks the prunable matrices of p (see Targets) so that they reach
// sparsity s by criterion c: round(s·n) pruned weights in each matrix of n
// weights (magnitude, random) or round(s·N) across all N of them (global).
// Weights pruned before stay pruned, so s must not be below the current
// sparsity. The seed matters only for Random. Pruned weights and their
// gradients are set to zero.
func Prune(p *model.Params[float32], c Criterion, s float64, seed uint64) error {
	if _, err := ParseCriterion(string(c)); err != nil {
		return err
	}
	if err := CheckSparsity(s); err != nil {
		return err
	}
	targets := Targets(p)
	if len(targets) == 0 {
		return errors.New("prune: the model has no prunable matrices")
	}
	groups := make([][]int, 0, len(targets))
	if c == Global {
		groups = append(groups, targets)
	} else {
		for _, i := range targets {
			groups = append(groups, []int{i})
		}
	}
	ensureMask(p)
	var ks []rankKey
	for _, g := range groups {
		ks = ks[:0]
		for _, i := range g {
			ks = keys(p, i, c, seed, ks)
		}
		k := int(math.Round(s * float64(len(ks))))
		already := 0
		for _, key := range ks {
			if key.value < 0 {
				already++
			}
		}
		if k < already {
			what := p.Views[g[0]].Name
			if len(g) > 1 {
				what = "the chosen matrices"
			}
			return fmt.Errorf("prune: %s already have %.4g%% of the weights pruned, more than the requested %.4g%% (masks only grow)",
				what, 100*float64(already)/float64(len(ks)), 100*s)
		}
		slices.SortFunc(ks, compareKeys)
		for _, key := range ks[:k] {
			p.Mask[key.pos] = 0
		}
	}
	p.ApplyMask()
	return nil
}

// Sparsity returns the fraction of pruned weights over the prunable matrices
// of p (0 without masks).
func Sparsity(p *model.Params[float32]) float64 {
	n, pruned := 0, 0
	for _, i := range Targets(p) {
		v := p.Views[i]
		n += v.Len()
		if p.Mask != nil {
			for _, m := range p.Mask[v.Offset : v.Offset+v.Len()] {
				if m == 0 {
					pruned++
				}
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(pruned) / float64(n)
}

// SetMask installs mask (1 keeps a weight, 0 prunes it) on the prunable
// matrix called name and zeroes the pruned weights. The mask must match the
// matrix element for element.
func SetMask(p *model.Params[float32], name string, mask []uint8) error {
	i, ok := p.Lookup(name)
	if !ok {
		return fmt.Errorf("prune: no matrix %q in the model", name)
	}
	v := p.Views[i]
	if !v.Prunable {
		return fmt.Errorf("prune: %q is not prunable", name)
	}
	if len(mask) != v.Len() {
		return fmt.Errorf("prune: the mask for %q has %d elements, the matrix %v has %d", name, len(mask), v.Shape, v.Len())
	}
	for j, b := range mask {
		if b > 1 {
			return fmt.Errorf("prune: the mask for %q holds %d at %d; masks are 0 or 1", name, b, j)
		}
	}
	ensureMask(p)
	for j, b := range mask {
		p.Mask[v.Offset+j] = float32(b)
	}
	p.ApplyMask()
	return nil
}

// RequireMasks returns an error unless p carries masks with at least sparsity
// min over its prunable matrices (up to one weight of rounding). what names
// the model's source in the message, e.g. a checkpoint directory.
func RequireMasks(p *model.Params[float32], min float64, what string) error {
	if p.Mask == nil {
		return fmt.Errorf("prune: %s has no pruning masks; it must come from sparselm prune", what)
	}
	n := 0
	for _, i := range Targets(p) {
		n += p.Views[i].Len()
	}
	if s := Sparsity(p); s < min-1/float64(max(1, n)) {
		return fmt.Errorf("prune: %s is %.4g%% sparse, expected at least %.4g%%", what, 100*s, 100*min)
	}
	return nil
}
