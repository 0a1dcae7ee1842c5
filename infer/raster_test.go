package infer

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/sparselm/sparselm/model"
)

// egruCases returns the EGRU models of tinyCases (unpruned and pruned).
func egruCases(t *testing.T) []tinyCase {
	t.Helper()
	var out []tinyCase
	for _, c := range tinyCases(t) {
		if c.m.Config.Cell == model.CellEGRU {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatal("no EGRU case")
	}
	return out
}

// TestRecorderRecordsOutputs: after every step, the recorded bit of unit j
// of layer l is set exactly where the wrapped engine's Output(l)[j] is
// non-zero, Events counts them and Activity is Events / (H·T), for both
// engines on the tiny EGRUs. The record must hold events and silences in
// every layer, else the check could not fail on either side.
func TestRecorderRecordsOutputs(t *testing.T) {
	for _, c := range egruCases(t) {
		for _, eng := range engines {
			e, err := eng.make(c.m, 1)
			if err != nil {
				t.Fatal(err)
			}
			rec := NewRecorder(e, 1000)
			logits := make([]float32, rec.Vocab())
			ids := c.corpus.Test[:80]
			nonZero := make([]int, rec.Layers())
			for step, id := range ids {
				rec.Step([]int32{id}, logits)
				r := rec.Raster()
				for l := range rec.Layers() {
					out := e.Output(l)
					if r.Units(l) != len(out) {
						t.Fatalf("%s %s: layer %d: %d units recorded, output has %d", c.name, eng.name, l, r.Units(l), len(out))
					}
					for j, v := range out {
						if r.Fired(l, step, j) != (v != 0) {
							t.Fatalf("%s %s: step %d layer %d unit %d: recorded %v, output %v", c.name, eng.name, step, l, j, r.Fired(l, step, j), v)
						}
						if v != 0 {
							nonZero[l]++
						}
					}
				}
			}
			r := rec.Raster()
			if r.Tokens() != len(ids) || r.Seen != len(ids) || !slices.Equal(r.IDs, ids) {
				t.Fatalf("%s %s: %d tokens (seen %d) recorded of %d fed, ids %v", c.name, eng.name, r.Tokens(), r.Seen, len(ids), r.IDs)
			}
			var events, units int
			for l, n := range nonZero {
				H := r.Units(l)
				if n == 0 || n == H*len(ids) {
					t.Fatalf("%s %s: layer %d: %d of %d outputs non-zero: the check cannot tell", c.name, eng.name, l, n, H*len(ids))
				}
				if r.Events(l) != n {
					t.Errorf("%s %s: layer %d: Events %d, outputs non-zero %d", c.name, eng.name, l, r.Events(l), n)
				}
				if want := float64(n) / float64(H*len(ids)); r.Activity(l) != want {
					t.Errorf("%s %s: layer %d: Activity %v, want %v", c.name, eng.name, l, r.Activity(l), want)
				}
				events += n
				units += H
			}
			if want := float64(events) / float64(units*len(ids)); math.Abs(r.OverallActivity()-want) > 1e-15 {
				t.Errorf("%s %s: OverallActivity %v, want %v", c.name, eng.name, r.OverallActivity(), want)
			}
		}
	}
}

// TestRecorderScoresUnchanged: ScoreTokens through a Recorder gives the
// wrapped engine's result bit for bit (the recorder only reads the
// outputs), and records the tokens fed, ids[:n−1] (the last is only
// predicted).
func TestRecorderScoresUnchanged(t *testing.T) {
	c := egruCases(t)[0]
	ctx := context.Background()
	ids := c.corpus.Test[:120]
	bare, _ := NewEvent(c.m, 1)
	want, err := ScoreTokens(ctx, bare, ids, func(TokenScore) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	e, _ := NewEvent(c.m, 1)
	rec := NewRecorder(e, 500)
	got, err := ScoreTokens(ctx, rec, ids, func(TokenScore) error { return nil })
	if err != nil || got != want {
		t.Fatalf("through a Recorder %+v (%v), bare %+v", got, err, want)
	}
	if r := rec.Raster(); !slices.Equal(r.IDs, ids[:len(ids)-1]) {
		t.Errorf("recorded ids %v, want the %d fed", r.IDs, len(ids)-1)
	}
}

// TestRecorderCapAndReset: a recorder of at most 5 tokens records the first
// 5 steps (the same bits as an uncapped one) and counts every step in Seen;
// Reset clears the record; Step allocates nothing within the preallocated
// room; and the recorder refuses a batch engine or a cap below 1.
func TestRecorderCapAndReset(t *testing.T) {
	c := egruCases(t)[0]
	a, _ := NewDense(c.m, 1)
	b, _ := NewDense(c.m, 1)
	capped, full := NewRecorder(a, 5), NewRecorder(b, 100)
	logits := make([]float32, a.Vocab())
	for _, id := range c.corpus.Test[:12] {
		capped.Step([]int32{id}, logits)
		full.Step([]int32{id}, logits)
	}
	rc, rf := capped.Raster(), full.Raster()
	if rc.Tokens() != 5 || rc.Seen != 12 || !slices.Equal(rc.IDs, c.corpus.Test[:5]) {
		t.Fatalf("capped at 5 after 12 steps: %d tokens, seen %d, ids %v", rc.Tokens(), rc.Seen, rc.IDs)
	}
	for l := range rc.Layers() {
		events := 0
		for tok := range 5 {
			for j := range rc.Units(l) {
				if rc.Fired(l, tok, j) != rf.Fired(l, tok, j) {
					t.Fatalf("layer %d token %d unit %d: capped %v, uncapped %v", l, tok, j, rc.Fired(l, tok, j), rf.Fired(l, tok, j))
				}
				if rc.Fired(l, tok, j) {
					events++
				}
			}
		}
		if rc.Events(l) != events {
			t.Errorf("layer %d: Events %d counts the steps after the cap (the first 5 hold %d)", l, rc.Events(l), events)
		}
	}

	capped.Reset()
	if rc.Tokens() != 0 || rc.Seen != 0 || rc.Events(0) != 0 || rc.Activity(0) != 0 || rc.OverallActivity() != 0 {
		t.Errorf("after Reset: %d tokens, seen %d, %d events, activity %v", rc.Tokens(), rc.Seen, rc.Events(0), rc.Activity(0))
	}
	id := c.corpus.Test[:1]
	if n := testing.AllocsPerRun(20, func() { full.Step(id, logits) }); n != 0 {
		t.Errorf("Recorder.Step: %v allocations per step within its room", n)
	}

	batch, _ := NewDense(c.m, 2)
	for name, f := range map[string]func(){
		"batch 2":     func() { NewRecorder(batch, 5) },
		"maxTokens 0": func() { NewRecorder(a, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRecorder with %s did not panic", name)
				}
			}()
			f()
		}()
	}
}
