package study

import (
	"errors"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/config"
)

// TestSpecValidate: each bad field is reported as a field error of its own
// path, with a message that begins with it and has no other package's
// prefix inside.
func TestSpecValidate(t *testing.T) {
	if s := DefaultSpec("tiny"); s.Validate() != nil {
		t.Fatalf("the default spec is invalid: %v", s.Validate())
	}
	for _, c := range []struct {
		path string
		bad  func(*Spec)
	}{
		{"dataset", func(s *Spec) { s.Dataset = "" }},
		{"preset", func(s *Spec) { s.Preset = "huge" }},
		{"models", func(s *Spec) { s.Models = nil }},
		{"seeds", func(s *Spec) { s.Seeds = nil }},
		{"seeds", func(s *Spec) { s.Seeds = make([]uint64, MaxSeeds+1) }},
		{"criterion", func(s *Spec) { s.Criterion = "foo" }},
		{"schedule", func(s *Spec) { s.Schedule = "weekly" }},
		{"finetune_epochs", func(s *Spec) { s.FinetuneEpochs = 0 }},
		{"bench_tokens", func(s *Spec) { s.BenchTokens = 0 }},
		{"bench_repeats", func(s *Spec) { s.BenchRepeats = 0 }},
		{"threads", func(s *Spec) { s.Threads = 0 }},
		{"epoch_tokens", func(s *Spec) { s.EpochTokens = -1 }},
		{"stats_batch", func(s *Spec) { s.StatsBatch = 0 }},
		{"stats_bptt", func(s *Spec) { s.StatsBPTT = 0 }},
	} {
		s := DefaultSpec("tiny")
		c.bad(&s)
		err := s.Validate()
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Path != c.path {
			t.Errorf("%s: %v, want a field error for %s", c.path, err, c.path)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, c.path+" = ") || strings.Contains(msg, "prune:") || strings.Contains(msg, " =  ") {
			t.Errorf("%s: message %q: want it to begin with the field, no package prefix inside, no blank value", c.path, msg)
		}
	}
}
