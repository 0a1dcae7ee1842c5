package config

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

type inner struct {
	Rate  float64 `json:"rate"`
	Sizes []int   `json:"sizes"`
}

type outer struct {
	Name    string        `json:"name"`
	In      inner         `json:"inner"`
	Opt     *inner        `json:"opt,omitempty"`
	Every   time.Duration `json:"every"`
	Skipped int           `json:"-"`
	Bare    bool
	hidden  int
}

func TestDiff(t *testing.T) {
	a := outer{Name: "a", In: inner{Rate: 0.5, Sizes: []int{2, 3}}, Opt: &inner{Rate: 1}, Every: time.Second, Skipped: 1, hidden: 1}
	if d := Diff(a, a); d != nil {
		t.Errorf("Diff(a, a) = %v", d)
	}
	b := a
	b.In.Sizes = []int{2, 4}
	b.Opt = &inner{Rate: 2}
	b.Skipped, b.hidden, b.Bare = 2, 2, true
	want := []Difference{{"inner.sizes", []int{2, 3}, []int{2, 4}}, {"opt.rate", 1.0, 2.0}, {"Bare", false, true}}
	if d := Diff(a, b); !reflect.DeepEqual(d, want) {
		t.Errorf("Diff = %v, want %v", d, want)
	}
	b = a
	b.Opt = nil
	if d := Diff(a, b); len(d) != 1 || d[0].Path != "opt" || d[0].B != (*inner)(nil) {
		t.Errorf("Diff with a nil pointer = %v", d)
	}
	defer func() {
		if recover() == nil {
			t.Error("Diff of different types did not panic")
		}
	}()
	Diff(a, inner{})
}

func TestErrorAndWithin(t *testing.T) {
	err := fmt.Errorf("model: %w", Invalid("drop_word", 1.2, "must be in [0, 1)"))
	if got := err.Error(); got != "model: drop_word = 1.2 must be in [0, 1)" {
		t.Errorf("Error() = %q", got)
	}
	if got := Invalid("cell", "gru", "is unknown").Error(); got != `cell = "gru" is unknown` {
		t.Errorf("string value: %q", got)
	}
	var fe *FieldError
	if w := Within("model", err); !errors.As(w, &fe) || fe.Path != "model.drop_word" || w.Error() != "model.drop_word = 1.2 must be in [0, 1)" {
		t.Errorf("Within: %v", w)
	}
	plain := errors.New("no field")
	if Within("model", plain) != plain {
		t.Error("Within changed an error without a field")
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{{0.1, "0.1"}, {3e-3 / 4, "0.00075"}, {[]int{256, 256}, "256,256"}, {[]float64{0.5, 0.75}, "0.5,0.75"},
		{5 * time.Minute, "5m0s"}, {uint64(7), "7"}, {true, "true"}, {nil, "none"}, {(*inner)(nil), "none"}, {"ptb", "ptb"}, {"", `""`}, {[]string{}, "none"}, {[]uint64(nil), "none"}} {
		if got := Format(c.v); got != c.want {
			t.Errorf("Format(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}
