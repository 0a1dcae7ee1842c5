package study

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/train"
)

// SpecFile is the study's spec inside its directory, written on the first
// run; a later run of the same directory must have the same spec.
const SpecFile = "study.json"

// Spec is everything that defines a study: which models are trained on
// which data with which preset and seeds, how each is pruned, and which
// inference engines time the checkpoints.
type Spec struct {
	// Dataset is ptb, wikitext-2 or a directory holding the three split
	// files (see data.Resolve).
	Dataset string   `json:"dataset"`
	Preset  string   `json:"preset"` // tiny, small or paper (train.Presets)
	Models  []string `json:"models"` // cells: lstm, egru
	// Seeds are the training seeds; each model is trained once per seed,
	// and its pruning (random criterion, fine-tuning order) uses the same.
	Seeds []uint64 `json:"seeds"`

	Criterion prune.Criterion `json:"criterion"`
	Schedule  prune.Schedule  `json:"schedule"` // oneshot or iterative
	Levels    []float64       `json:"levels"`   // target sparsities, increasing
	Embedding bool            `json:"prune_embedding"`
	// FinetuneEpochs is the fine-tuning after each pruning step, at a
	// quarter of the training learning rate (as `sparselm prune`).
	FinetuneEpochs int `json:"finetune_epochs"`

	// Bench times the dense and the event-driven inference engines on
	// every checkpoint (as bench infer --sweep; the measured speedup needs
	// both); false: the study counts MACs and perplexity only.
	Bench bool `json:"bench"`
	// BenchTokens and BenchRepeats set the timing: the median of repeats
	// runs of that many test tokens, batch 1, one thread.
	BenchTokens  int `json:"bench_tokens"`
	BenchRepeats int `json:"bench_repeats"`

	// Threads is the threads per job (training, fine-tuning, measuring).
	Threads int `json:"threads"`
	// EpochTokens, if positive, caps the training tokens of every epoch
	// (training and fine-tuning): for smoke runs and tests.
	EpochTokens int `json:"epoch_tokens,omitempty"`
	// StatsBatch and StatsBPTT are the streams and window of the accounting
	// pass on the test split (sparselm stats).
	StatsBatch int `json:"stats_batch"`
	StatsBPTT  int `json:"stats_bptt"`
}

// DefaultSpec returns the spec of `sparselm study` without flags for a
// preset: both models, one seed, magnitude pruning, iterative (as
// `sparselm prune`), to 50 … 98%,
// one fine-tuning epoch, the engines timed.
func DefaultSpec(preset string) Spec {
	return Spec{
		Dataset: "ptb", Preset: preset, Models: []string{model.CellLSTM, model.CellEGRU}, Seeds: []uint64{1},
		Criterion: prune.Magnitude, Schedule: prune.Iterative, Levels: []float64{0.5, 0.75, 0.9, 0.95, 0.98},
		FinetuneEpochs: 1, Bench: true, BenchTokens: 200, BenchRepeats: 5,
		Threads: 1, StatsBatch: 1, StatsBPTT: 70,
	}
}

// MaxSeeds is the most seeds a study takes: far more than any study needs
// (each trains every model once), few enough that a mistyped count is an
// error and not a plan that exhausts memory.
const MaxSeeds = 1000

// Validate reports the first bad field as a *config.FieldError.
func (s *Spec) Validate() error {
	bad := config.Invalid
	if s.Dataset == "" {
		return bad("dataset", s.Dataset, "must name ptb, wikitext-2 or a directory")
	}
	if !slices.Contains(train.Presets, s.Preset) {
		return bad("preset", s.Preset, fmt.Sprintf("must be one of %v", train.Presets))
	}
	if len(s.Models) == 0 {
		return bad("models", s.Models, "must name at least one of lstm, egru")
	}
	for i, m := range s.Models {
		if m != model.CellLSTM && m != model.CellEGRU {
			return bad(fmt.Sprintf("models.%d", i), m, "must be lstm or egru")
		}
		if slices.Index(s.Models, m) != i {
			return bad(fmt.Sprintf("models.%d", i), m, "is named twice")
		}
	}
	if len(s.Seeds) == 0 {
		return bad("seeds", s.Seeds, "must hold at least one seed")
	}
	if len(s.Seeds) > MaxSeeds {
		return bad("seeds", len(s.Seeds), fmt.Sprintf("seeds are more than %d", MaxSeeds))
	}
	for i, x := range s.Seeds {
		if x == 0 {
			return bad(fmt.Sprintf("seeds.%d", i), x, "must be positive")
		}
		if slices.Index(s.Seeds, x) != i {
			return bad(fmt.Sprintf("seeds.%d", i), x, "is given twice")
		}
	}
	if _, err := prune.ParseCriterion(string(s.Criterion)); err != nil {
		return bad("criterion", s.Criterion, fmt.Sprintf("is unknown (want %s, %s or %s)", prune.Magnitude, prune.Global, prune.Random))
	}
	if s.Schedule != prune.OneShot && s.Schedule != prune.Iterative {
		return bad("schedule", s.Schedule, "must be oneshot or iterative (a gradual sweep is `sparselm prune --schedule gradual`)")
	}
	if err := prune.CheckLevels(s.Levels, s.Schedule); err != nil {
		return err // a *config.FieldError for "levels"
	}
	if s.FinetuneEpochs < 1 {
		return bad("finetune_epochs", s.FinetuneEpochs, "must be positive")
	}
	if s.Bench && s.BenchTokens < 1 {
		return bad("bench_tokens", s.BenchTokens, "must be positive when engines are timed")
	}
	if s.Bench && s.BenchRepeats < 1 {
		return bad("bench_repeats", s.BenchRepeats, "must be positive when engines are timed")
	}
	if s.Threads < 1 {
		return bad("threads", s.Threads, "must be positive")
	}
	if s.EpochTokens < 0 {
		return bad("epoch_tokens", s.EpochTokens, "must not be negative")
	}
	if s.StatsBatch < 1 {
		return bad("stats_batch", s.StatsBatch, "must be positive")
	}
	if s.StatsBPTT < 1 {
		return bad("stats_bptt", s.StatsBPTT, "must be positive")
	}
	return nil
}

// ReadSpec reads a spec file. Unknown fields are an error: a misspelt
// field would otherwise be silently left at its default.
func ReadSpec(path string) (Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) == nil && fields["dataset"] == nil && fields["preset"] == nil && fields["levels"] == nil && fields["models"] == nil {
		// Another JSON file (a run's result.json, say): say so, not which
		// of its fields a spec lacks.
		return Spec{}, fmt.Errorf("%s is not a study spec (it has no dataset, preset, models or levels; a study's is DIR/%s)", path, SpecFile)
	}
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Spec{}, fmt.Errorf("%s: trailing data after the spec's JSON object", path)
	}
	if err := s.Validate(); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Marshal returns the spec as indented JSON with a final newline.
func (s Spec) Marshal() []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // plain fields only
	}
	return append(b, '\n')
}

// ErrSpecDiffers is returned (wrapped) when a study directory holds a study
// of another spec.
var ErrSpecDiffers = errors.New("the study directory holds a study of another spec")
