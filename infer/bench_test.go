package infer

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sparselm/sparselm/model"
)

// TestCompareCounts checks Compare's figures on every tiny case: positive
// times, and the counted reduction equal to the dense count computed here
// from the description over the MACs the event engine executes (counted a
// second time here, independently of Count).
func TestCompareCounts(t *testing.T) {
	for _, tc := range tinyCases(t) {
		ids := tc.corpus.Test
		o := BenchOptions{Steps: 20, Warmup: 2, Repeats: 3}
		c, err := Compare(context.Background(), tc.m, ids, o)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, r := range []BenchResult{c.Dense, c.Event, c.DenseLayers, c.EventLayers} {
			if !(r.NsPerToken > 0 && r.TokensPerS > 0) || len(r.NsPerTokenAll) != 3 {
				t.Errorf("%s: bench result %+v", tc.name, r)
			}
		}
		var dense int64
		d := tc.m.Describe()
		for _, l := range d.Layers {
			dense += int64((l.I + l.H) * l.G)
		}
		e, err := NewEvent(tc.m, 1)
		if err != nil {
			t.Fatal(err)
		}
		e.SetCounting(true)
		logits := make([]float32, e.Vocab())
		for i := range o.Steps {
			e.Step(ids[i:i+1], logits)
		}
		m := e.MACs()
		var layers int64
		for _, n := range m.Layers {
			layers += n
		}
		whole := float64(dense+int64(d.Decoder.E*d.Decoder.V)) / (float64(layers+m.Decoder) / float64(o.Steps))
		if got, want := c.LayerReduction(), float64(dense)/(float64(layers)/float64(o.Steps)); math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s: layer reduction %v, want %v", tc.name, got, want)
		}
		if got := c.Reduction(); math.Abs(got-whole) > 1e-9*whole {
			t.Errorf("%s: reduction %v, want %v", tc.name, got, whole)
		}
		for i, a := range c.Counts.Active {
			if !(a >= 0 && a <= 1) || (d.Layers[i].Cell == model.CellLSTM && a < 0.9) {
				t.Errorf("%s: layer %d active fraction %v", tc.name, i, a)
			}
		}
	}
}

// TestSetActivity sets the thresholds of a random EGRU for 20% activity and
// checks that the measured fraction of events is near it (within 0.1: one ϑ
// per layer, calibrated on the same tokens).
func TestSetActivity(t *testing.T) {
	cfg := model.Config{Cell: model.CellEGRU, Vocab: 50, Embed: 16, Hidden: []int{32, 16},
		ThresholdMean: 0.1, PseudoHeight: 3.6, PseudoWidth: 3.6}
	m, err := model.New[float32](cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int32, 200)
	for i := range ids {
		ids[i] = int32(i * 7 % 50)
	}
	if err := SetActivity(m, ids, 0.2, 3); err != nil {
		t.Fatal(err)
	}
	e, err := NewEvent(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := Count(context.Background(), e, ids, len(ids))
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range counts.Active {
		if math.Abs(a-0.2) > 0.1 {
			t.Errorf("layer %d: %.3f of the units fire, want about 0.2", i, a)
		}
	}
	if err := SetActivity(m, ids, 1, 1); err == nil {
		t.Error("activity 1 accepted")
	}
}

// TestGridAndBadOptions runs a 2×2 grid on a random EGRU and checks bad options are refused.
func TestGridAndBadOptions(t *testing.T) {
	cfg := model.Config{Cell: model.CellEGRU, Vocab: 50, Embed: 16, Hidden: []int{32, 16},
		ThresholdMean: 0.1, PseudoHeight: 3.6, PseudoWidth: 3.6}
	m, err := model.New[float32](cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	ids := []int32{1, 5, 9, 3, 7, 2, 8, 4}
	var pts []GridPoint
	o := BenchOptions{Steps: 4, Warmup: 1, Repeats: 1}
	err = Grid(context.Background(), m, ids, ids, []float64{0, 0.9}, []float64{0.1, 0.4}, o, func(p GridPoint) error {
		pts = append(pts, p)
		return nil
	})
	if err != nil || len(pts) != 4 {
		t.Fatalf("grid: %v, %d points", err, len(pts))
	}
	if math.Abs(pts[3].WeightSparsity-0.9) > 0.01 || !(pts[3].LayerReduction() > pts[0].LayerReduction()) {
		t.Errorf("grid points %+v", pts)
	}
	if err := Grid(context.Background(), m, ids, ids, []float64{0.9, 0.5}, []float64{0.1}, o, nil); err == nil {
		t.Error("descending sparsities accepted")
	}
	// An LSTM has no thresholds: one point per sparsity, active 1, and
	// asking for an activity is an error.
	lcfg := cfg
	lcfg.Cell = model.CellLSTM
	lm, err := model.New[float32](lcfg, rand.New(rand.NewPCG(1, 3)))
	if err != nil {
		t.Fatal(err)
	}
	pts = pts[:0]
	if err := Grid(context.Background(), lm, ids, ids, []float64{0, 0.5}, nil, o, func(p GridPoint) error {
		pts = append(pts, p)
		return nil
	}); err != nil || len(pts) != 2 || pts[1].Active != 1 || pts[1].Counts.Active[0] != 1 {
		t.Fatalf("LSTM grid: %v, points %+v", err, pts)
	}
	if err := Grid(context.Background(), lm, ids, ids, []float64{0}, []float64{0.2}, o, nil); err == nil {
		t.Error("an activity for the LSTM accepted")
	}
	if err := Grid(context.Background(), m, ids, ids, []float64{0}, nil, o, nil); err == nil {
		t.Error("an EGRU grid without activities accepted")
	}
	e, _ := NewDense(m, 1)
	if _, err := Bench(context.Background(), e, ids, BenchOptions{Steps: 0, Repeats: 1}); err == nil {
		t.Error("Steps 0 accepted")
	}
}

// cancelAfter is an Engine that cancels a context after its after-th step,
// so a test can stop Bench at a known token of its loops, and fails the
// test at once if it is stepped ctxEvery times more (instead of hanging).
type cancelAfter struct {
	Engine
	t            *testing.T
	steps, after int
	cancel       context.CancelFunc
}

func (c *cancelAfter) Step(ids []int32, logits []float32) {
	c.Engine.Step(ids, logits)
	switch c.steps++; c.steps {
	case c.after:
		c.cancel()
	case c.after + ctxEvery + 1:
		c.t.Fatalf("still stepped %d tokens after the context was cancelled", ctxEvery+1)
	}
}

// returnsSoon fails the test if f does not return within a minute (it is
// left running: a loop that ignores its context cannot be stopped).
func returnsSoon(t *testing.T, name string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("%s did not return within a minute of being called with a cancelled context", name)
		return nil
	}
}

// TestBenchStopsWhenCancelled cancels the context in the middle of Bench's
// warmup and of its timed loop, each of 2^62 tokens (years of work), and
// checks that Bench stops within ctxEvery tokens of the cancellation with an
// error that wraps context.Canceled; then that Count and Compare, given a
// context cancelled before they start, return at once with that error
// (Compare with a warmup of 2^62 tokens, Count with 2^62 tokens to count).
func TestBenchStopsWhenCancelled(t *testing.T) {
	cfg := model.Config{Cell: model.CellEGRU, Vocab: 20, Embed: 4, Hidden: []int{6, 4},
		ThresholdMean: 0.1, PseudoHeight: 3.6, PseudoWidth: 3.6}
	m, err := model.New[float32](cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	ids := []int32{1, 5, 9, 3, 7, 2, 8, 4}
	const huge, after = 1 << 62, 1000
	for _, o := range []BenchOptions{
		{Warmup: huge, Steps: 1, Repeats: 1},
		{Warmup: 10, Steps: huge, Repeats: 1},
		{Warmup: 0, Steps: huge, Repeats: 3},
	} {
		dense, err := NewDense(m, 1)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		e := &cancelAfter{Engine: dense, t: t, after: after, cancel: cancel}
		_, err = Bench(ctx, e, ids, o)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%+v: error %v, want one wrapping context.Canceled", o, err)
		}
		if e.steps < after || e.steps > after+ctxEvery {
			t.Errorf("%+v: %d steps, want Bench to stop within %d of the cancellation at step %d", o, e.steps, ctxEvery, after)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	event, err := NewEvent(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	err = returnsSoon(t, "Count", func() error { _, err := Count(ctx, event, ids, huge); return err })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Count: error %v, want one wrapping context.Canceled", err)
	}
	err = returnsSoon(t, "Compare", func() error {
		_, err := Compare(ctx, m, ids, BenchOptions{Warmup: huge, Steps: 1, Repeats: 1})
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Compare: error %v, want one wrapping context.Canceled", err)
	}
}
