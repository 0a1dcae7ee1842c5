package prune

import (
	"fmt"
	"math"
	"slices"

	"github.com/sparselm/sparselm/config"
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

// CheckLevels returns an error unless every level is a sparsity in [0, 1),
// no level repeats (a repeat would fine-tune the same level twice) and, for
// the iterative schedule, the levels increase. Its errors are
// *config.FieldError for the field "levels".
func CheckLevels(levels []float64, s Schedule) error {
	bad := func(rule string) error {
		return fmt.Errorf("prune: %w", config.Invalid("levels", levels, rule))
	}
	if len(levels) == 0 {
		return bad("lists no sparsity level (give e.g. 0.5,0.75,0.9)")
	}
	for i, l := range levels {
		if err := CheckSparsity(l); err != nil {
			return bad(fmt.Sprintf("holds %v; levels must be in [0, 1) (a fraction of the weights, e.g. 0.9)", l))
		}
		if s == Iterative && i > 0 && !(l > levels[i-1]) {
			return bad(fmt.Sprintf("must increase for the iterative schedule: %v follows %v", l, levels[i-1]))
		}
		if slices.Contains(levels[:i], l) {
			return bad(fmt.Sprintf("holds %v twice", l))
		}
	}
	if s == Gradually && len(levels) != 1 {
		return bad(fmt.Sprintf("holds %d levels; the gradual schedule takes one target sparsity", len(levels)))
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
	Initial   float64   `json:"initial"` // s_i
	Final     float64   `json:"final"`   // s_f
	Start     int64     `json:"start"`   // t0
	Every     int64     `json:"every"`   // Δt
	Updates   int64     `json:"updates"` // n
	Criterion Criterion `json:"criterion"`
	Seed      uint64    `json:"seed"` // for Random: each update uses Seed + t
}

// Validate reports the first bad field as a *config.FieldError (initial,
// final, start, every, updates, criterion).
func (g *Gradual) Validate() error {
	bad := func(path string, v any, rule string) error {
		return fmt.Errorf("prune: gradual schedule: %w", config.Invalid(path, v, rule))
	}
	if err := CheckSparsity(g.Initial); err != nil {
		return bad("initial", g.Initial, "must be in [0, 1)")
	}
	if err := CheckSparsity(g.Final); err != nil {
		return bad("final", g.Final, "must be in [0, 1)")
	}
	if g.Initial > g.Final {
		return bad("initial", g.Initial, fmt.Sprintf("is above the final sparsity %v", g.Final))
	}
	switch {
	case g.Start < 0:
		return bad("start", g.Start, "must not be negative")
	case g.Every < 1:
		return bad("every", g.Every, "must be at least 1 step")
	case g.Updates < 1:
		return bad("updates", g.Updates, "must be at least 1 (the schedule needs a mask update)")
	}
	if _, err := ParseCriterion(string(g.Criterion)); err != nil {
		return bad("criterion", g.Criterion, "is an unknown criterion")
	}
	return nil
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
