package prune

import (
	"fmt"
	"math"

	"github.com/sparselm/sparselm/model"
)

// Schedule names how the target sparsity is reached.
type Schedule string

// The schedules (see the package doc).
const (
	OneShot   Schedule = "oneshot"   // prune once to each level from the start model, then fine-tune
	Iterative Schedule = "iterative" // prune to increasing levels, fine-tuning after each
	Gradually Schedule = "gradual"   // Zhu & Gupta's cubic schedule during training
)

// ParseSchedule returns the schedule called s.
func ParseSchedule(s string) (Schedule, error) {
	switch c := Schedule(s); c {
	case OneShot, Iterative, Gradually:
		return c, nil
	}
	return "", fmt.Errorf("prune: unknown schedule %q (want %s, %s or %s)", s, OneShot, Iterative, Gradually)
}

// CheckLevels returns an error unless every level is a sparsity in [0, 1)
// and, for the iterative schedule, the levels increase strictly.
func CheckLevels(levels []float64, s Schedule) error {
	if len(levels) == 0 {
		return fmt.Errorf("prune: no sparsity levels given (e.g. --levels 0.5,0.75,0.9)")
	}
	for i, l := range levels {
		if err := CheckSparsity(l); err != nil {
			return err
		}
		if s == Iterative && i > 0 && !(l > levels[i-1]) {
			return fmt.Errorf("prune: iterative levels must increase: %v follows %v", l, levels[i-1])
		}
	}
	if s == Gradually && len(levels) != 1 {
		return fmt.Errorf("prune: the gradual schedule takes one target sparsity, got %d levels", len(levels))
	}
	return nil
}

// Gradual is the schedule of Zhu & Gupta (2017): starting at step Start
// (t0), every Every steps (Δt) for Updates updates (n), the masks are
// recomputed for the sparsity
//
//	s_t = s_f + (s_i − s_f)·(1 − (t − t0)/(n·Δt))³,
//
// which rises fast at first and levels off at s_f at step t0 + n·Δt, after
// which the masks are frozen. Steps count optimizer updates done.
type Gradual struct {
	Initial, Final float64 // s_i and s_f
	Start          int64   // t0
	Every          int64   // Δt
	Updates        int64   // n
	Criterion      Criterion
	Seed           uint64 // for Random: each update uses Seed + t
}

// Validate reports the first bad field.
func (g *Gradual) Validate() error {
	if err := CheckSparsity(g.Initial); err != nil {
		return err
	}
	if err := CheckSparsity(g.Final); err != nil {
		return err
	}
	if g.Initial > g.Final {
		return fmt.Errorf("prune: gradual initial sparsity %v is above the final %v", g.Initial, g.Final)
	}
	if g.Start < 0 || g.Every < 1 || g.Updates < 1 {
		return fmt.Errorf("prune: gradual schedule needs start ≥ 0, every ≥ 1 and at least one update (got %d, %d, %d)", g.Start, g.Every, g.Updates)
	}
	_, err := ParseCriterion(string(g.Criterion))
	return err
}

// End returns the step t0 + n·Δt after which the masks are frozen.
func (g *Gradual) End() int64 { return g.Start + g.Updates*g.Every }

// Sparsity returns s_t: s_i before t0, s_f from the end step on.
func (g *Gradual) Sparsity(t int64) float64 {
	switch {
	case t <= g.Start:
		return g.Initial
	case t >= g.End():
		return g.Final
	}
	f := 1 - float64(t-g.Start)/float64(g.Updates*g.Every)
	return g.Final + (g.Initial-g.Final)*math.Pow(f, 3)
}

// Due reports whether the masks are recomputed at step t: t0, t0 + Δt, …, t0 + n·Δt.
func (g *Gradual) Due(t int64) bool {
	return t >= g.Start && t <= g.End() && (t-g.Start)%g.Every == 0
}

// Step recomputes the masks of p for s_t when step t is due and reports
// whether it did.
func (g *Gradual) Step(t int64, p *model.Params[float32]) (bool, error) {
	if !g.Due(t) {
		return false, nil
	}
	return true, Prune(p, g.Criterion, g.Sparsity(t), g.Seed+uint64(t))
}
