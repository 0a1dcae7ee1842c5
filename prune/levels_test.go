package prune

import (
	"errors"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/config"
)

// TestCheckLevelsAndGradualNameFields checks the level and schedule rules
// and that their errors name the field (levels, or the Gradual field's JSON
// name), never a command-line flag (issue 10, defect 3 and structure).
func TestCheckLevelsAndGradualNameFields(t *testing.T) {
	for _, c := range []struct {
		levels []float64
		s      Schedule
		want   string // "" for accepted
	}{
		{[]float64{0.5, 0.75, 0.9}, Iterative, ""},
		{[]float64{0.9, 0.5}, OneShot, ""},
		{[]float64{0}, OneShot, ""},
		{[]float64{0.9}, Gradually, ""},
		{nil, OneShot, "no sparsity level"},
		{[]float64{0.5, 0.5}, OneShot, "0.5 twice"},
		{[]float64{0.5, 0.9, 0.5}, OneShot, "0.5 twice"},
		{[]float64{0.9, 0.5}, Iterative, "must increase"},
		{[]float64{0.5, 0.5, 0.9}, Iterative, "must increase"},
		{[]float64{0.5, 0.9, 0.7}, Iterative, "must increase"},
		{[]float64{0.5, 1}, OneShot, "must be in [0, 1)"},
		{[]float64{-0.1}, Iterative, "must be in [0, 1)"},
		{[]float64{0.5, 0.9}, Gradually, "one target"},
	} {
		err := CheckLevels(c.levels, c.s)
		if c.want == "" {
			if err != nil {
				t.Errorf("%v %s: %v", c.levels, c.s, err)
			}
			continue
		}
		var fe *config.FieldError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &fe) || fe.Path != "levels" || strings.Contains(err.Error(), "--") {
			t.Errorf("%v %s: err = %v, want a field error for levels that says %q", c.levels, c.s, err, c.want)
		}
	}
	good := Gradual{Initial: 0, Final: 0.9, Start: 0, Every: 10, Updates: 5, Criterion: Magnitude}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		bad  func(g *Gradual)
	}{
		{"initial", func(g *Gradual) { g.Initial = -0.1 }},
		{"final", func(g *Gradual) { g.Final = 1 }},
		{"initial", func(g *Gradual) { g.Initial = 0.95 }},
		{"start", func(g *Gradual) { g.Start = -1 }},
		{"every", func(g *Gradual) { g.Every = 0 }},
		{"updates", func(g *Gradual) { g.Updates = 0 }},
		{"criterion", func(g *Gradual) { g.Criterion = "largest" }},
	} {
		g := good
		c.bad(&g)
		err := g.Validate()
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Path != c.path || strings.Contains(err.Error(), "--") {
			t.Errorf("%s: err = %v, want a field error for %s", c.path, err, c.path)
		}
		if d := config.Diff(good, g); len(d) != 1 || d[0].Path != c.path {
			t.Errorf("%s: the field changed is %v", c.path, d)
		}
	}
}
