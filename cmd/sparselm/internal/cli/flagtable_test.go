package cli

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/train"
)

// changeValue sets *p (a pointer to a field) to another value of its type.
func changeValue(t *testing.T, p any) {
	t.Helper()
	v := reflect.ValueOf(p).Elem()
	switch x := p.(type) {
	case *string:
		*x += "x"
	case *bool:
		*x = !*x
	case *time.Duration:
		*x += time.Second
	case *[]int:
		*x = append(append([]int(nil), *x...), 3)
	case *[]float64:
		*x = append(append([]float64(nil), *x...), 0.3)
	default:
		switch v.Kind() {
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 7)
		case reflect.Uint64:
			v.SetUint(v.Uint() + 7)
		case reflect.Float64:
			v.SetFloat(v.Float() + 0.5)
		case reflect.String:
			v.SetString(v.String() + "x")
		default:
			t.Fatalf("no change for %T", p)
		}
	}
}

// TestTrainFlagPaths checks that each row of trainFlags names the JSON path
// of the field it sets, and that no flag or path is listed twice.
func TestTrainFlagPaths(t *testing.T) {
	base, err := train.Preset("tiny", model.CellEGRU, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	names, paths := map[string]bool{}, map[string]bool{}
	for _, f := range trainFlags {
		if names[f.name] || paths[f.path] {
			t.Errorf("--%s (%s) is listed twice", f.name, f.path)
		}
		names[f.name], paths[f.path] = true, true
		o := base
		o.Model.Hidden = append([]int(nil), base.Model.Hidden...)
		changeValue(t, f.field(&o))
		if d := config.Diff(base, o); len(d) != 1 || d[0].Path != f.path {
			t.Errorf("--%s: the row says %s, the field changed is %v", f.name, f.path, d)
		}
	}
}

// badValues are values that break some rule of Validate, by field type.
var badValues = map[reflect.Kind][]any{
	reflect.Int:     {0, 1, -1, -2},
	reflect.Float64: {-1.0, 0.0, 1.0, 1.5},
	reflect.String:  {"bogus"},
	reflect.Int64:   {time.Duration(-1)},
	reflect.Slice:   {[]int{}, []int{0, 16}, []int{32, 24}},
}

// TestEveryFieldErrorNamesItsFlag puts bad values into every field that
// train has a flag for and checks each error of Validate: the library's
// message names no flag, the field has a flag or is one no flag sets, and
// the user sees the flag (issue 10, structure).
func TestEveryFieldErrorNamesItsFlag(t *testing.T) {
	noFlag := map[string]bool{"model.vocab": true, "model.init_scale": true, "optimizer.eps": true}
	seen := map[string]bool{}
	for _, f := range trainFlags {
		for _, bad := range badValues[reflect.ValueOf(f.field(&train.Options{})).Elem().Kind()] {
			o, err := train.Preset("tiny", model.CellEGRU, "tiny")
			if err != nil {
				t.Fatal(err)
			}
			o.Model.Vocab = 10
			reflect.ValueOf(f.field(&o)).Elem().Set(reflect.ValueOf(bad))
			err = o.Validate()
			if err == nil {
				continue
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("--%s %v: %v is not a field error", f.name, bad, err)
				continue
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("--%s %v: the library names a flag: %v", f.name, bad, err)
			}
			row, ok := trainFlagByPath(fe.Path)
			if !ok && !noFlag[fe.Path] {
				t.Errorf("--%s %v: %v: no flag sets %s", f.name, bad, err, fe.Path)
				continue
			}
			shown := flagged("train", err, trainFlagOf)
			if ok && !strings.Contains(shown.Error(), "--"+row.name+" = ") {
				t.Errorf("--%s %v: the user sees %q, without --%s", f.name, bad, shown, row.name)
			}
			seen[fe.Path] = true
		}
	}
	// Every rule of Validate was reached, so none went unchecked.
	for _, path := range []string{"preset", "model.cell", "model.embed", "model.hidden", "model.drop_word", "model.threshold_mean",
		"model.pseudo_width", "model.activity_reg", "optimizer.kind", "optimizer.lr", "optimizer.beta1", "optimizer.beta2",
		"optimizer.weight_decay", "optimizer.threshold_lr", "batch", "bptt", "epochs", "epoch_tokens", "constant_frac",
		"min_lr_scale", "clip", "eval_batch", "eval_bptt", "patience", "threads", "save_every"} {
		if !seen[path] && path != "preset" {
			t.Errorf("no bad value reached the rule of %s", path)
		}
	}
	// The preset is checked by train.Preset.
	_, err := train.Preset("huge", model.CellLSTM, "ptb")
	if shown := flagged("train", err, trainFlagOf); !strings.Contains(shown.Error(), `--preset = "huge"`) {
		t.Errorf("unknown preset: %v", shown)
	}
}

// TestPruneFieldFlags checks that every path in pruneFieldFlags is a field
// of pruneSpec, and that prune's field errors reach the user with flags.
func TestPruneFieldFlags(t *testing.T) {
	probe := pruneSpec{Levels: []float64{0.5}, Gradual: &prune.Gradual{}, FineTune: tinyOptions(t)}
	paths := map[string]bool{"gradual": true} // the pointer itself: set by the schedule
	for _, p := range allLeafPaths(t, &probe) {
		paths[p] = true
	}
	for _, r := range pruneFieldFlags {
		if !paths[r.path] {
			t.Errorf("%s (%v) is not a field of prune.json", r.path, r.flags)
		}
	}
	s := pruneSpec{Schedule: prune.OneShot, Levels: []float64{0.5, 0.5}, FineTune: tinyOptions(t), StatsB: 1, StatsT: 1}
	for _, c := range []struct {
		bad  func(s *pruneSpec)
		want string
	}{
		{func(s *pruneSpec) {}, "--levels = 0.5,0.5 holds 0.5 twice"},
		{func(s *pruneSpec) { s.Levels = []float64{0.5}; s.FineTune.Optim.LR = -1 }, "--lr = -1"},
		{func(s *pruneSpec) { s.Levels = []float64{0.5}; s.FineTune.EpochTokens = -2 }, "--epoch-tokens = -2"},
		{func(s *pruneSpec) { s.Levels = []float64{0.5}; s.FineTune.Epochs = 0 }, "--finetune-epochs = 0"},
		{func(s *pruneSpec) { s.Levels = []float64{0.5}; s.StatsT = 0 }, "--stats-bptt = 0"},
	} {
		bad := s
		c.bad(&bad)
		err := validatePruneSpec(&bad)
		if err == nil || strings.Contains(err.Error(), "--") {
			t.Errorf("%s: the library error %v", c.want, err)
			continue
		}
		shown := flagged("prune", err, func(path string) (string, bool) {
			_, name, ok := pruneFlagOf(path, nil)
			return name, ok
		})
		if !strings.Contains(shown.Error(), c.want) {
			t.Errorf("the user sees %q, want %q", shown, c.want)
		}
	}
}

// allLeafPaths returns the JSON paths of every leaf field of s.
func allLeafPaths(t *testing.T, s *pruneSpec) []string {
	t.Helper()
	var out []string
	v := reflect.ValueOf(s).Elem()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch {
		case v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct:
			walk(v.Elem())
		case v.Kind() == reflect.Struct && v.Type() != reflect.TypeOf(time.Duration(0)):
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		default:
			before := *s
			if g := s.Gradual; g != nil {
				gg := *g
				before.Gradual = &gg
			}
			before.Levels = append([]float64(nil), s.Levels...)
			before.FineTune.Model.Hidden = append([]int(nil), s.FineTune.Model.Hidden...)
			changeValue(t, v.Addr().Interface())
			for _, d := range config.Diff(before, *s) {
				out = append(out, d.Path)
			}
		}
	}
	walk(v)
	return out
}

func tinyOptions(t *testing.T) train.Options {
	o, err := train.Preset("tiny", model.CellLSTM, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	o.Model.Vocab = 10
	return o
}
