package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/model"
)

// TestEvaluateStopsWhenCancelled cancels the context when the bar prints
// its first line (a log gets one at every tenth: after the window that
// passes 10% of the tokens) and checks that Evaluate scores no further
// window, returns what it scored with an error wrapping the cause, and
// returns at once for a context cancelled before it starts.
func TestEvaluateStopsWhenCancelled(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellEGRU, corpus.Vocab.Len())
	m, err := model.New[float32](o.Model, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	const B, bptt = 2, 8
	ids := corpus.Valid
	total := (len(ids)/B - 1) * B
	window := bptt * B
	// The bar's first line comes after the first window that reaches a
	// tenth: the smallest k with 10·k·window ≥ total.
	windows := (total + 10*window - 1) / (10 * window)
	cause := errors.New("test stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	w := &cancelOn{text: "valid", cancel: func() { cancel(cause) }}
	res, err := Evaluate(ctx, m, ids, B, bptt, w, "valid")
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "stopped after") {
		t.Fatalf("error %v, want one that wraps the cause and says where it stopped", err)
	}
	if !w.seen {
		t.Fatal("the bar printed no line, so the context was never cancelled")
	}
	if res.Tokens != windows*window {
		t.Errorf("%d tokens scored, want %d (%d windows: none after the cancellation)", res.Tokens, windows*window, windows)
	}
	if res.PPL <= 1 || len(res.Sparsity) != len(o.Model.Hidden) {
		t.Errorf("partial result %+v lacks the figures of the windows scored", res)
	}

	res, err = Evaluate(ctx, m, ids, B, bptt, nil, "valid")
	if !errors.Is(err, cause) || res.Tokens != 0 {
		t.Errorf("already cancelled: %d tokens scored, error %v; want none and the cause", res.Tokens, err)
	}
}

// TestInterruptedTestPassResumes interrupts a run in its final test pass:
// Run returns ErrInterrupted and writes no result; the resumed run trains no
// step, runs only the test pass, and ends as the uninterrupted run does.
func TestInterruptedTestPassResumes(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellEGRU, corpus.Vocab.Len())
	o.EpochTokens = 400
	refOut := t.TempDir()
	ref, err := (&Runner{Options: o, Corpus: corpus, Out: refOut}).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOn{text: "  test [", cancel: cancel}
	_, err = (&Runner{Options: o, Corpus: corpus, Out: out, Progress: w}).Run(ctx, false)
	if !w.seen {
		t.Fatalf("the test pass printed no progress line (%v)", err)
	}
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "test evaluation") {
		t.Fatalf("interrupted in the test pass: %v, want ErrInterrupted saying only the test evaluation is left", err)
	}
	if _, err := os.Stat(filepath.Join(out, FileResult)); err == nil {
		t.Fatalf("the interrupted run wrote %s", FileResult)
	}
	steps := 0
	r := &Runner{Options: o, Corpus: corpus, Out: out}
	r.afterStep = func(int64) { steps++ }
	got, err := r.Run(context.Background(), true)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if steps != 0 {
		t.Errorf("the resumed run trained %d steps; only the test pass was left", steps)
	}
	compareRuns(t, "interrupted in the test pass", ref, got, refOut, out)
}

// TestInterruptedValidationResumes interrupts a run in the validation of
// its first epoch: the checkpoint holds the finished windows of the epoch
// (not the next epoch), and the resumed run repeats the uninterrupted one.
func TestInterruptedValidationResumes(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
	o.EpochTokens, o.SkipTest = 400, true
	refOut := t.TempDir()
	ref, err := (&Runner{Options: o, Corpus: corpus, Out: refOut}).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOn{text: "  valid [", cancel: cancel}
	_, err = (&Runner{Options: o, Corpus: corpus, Out: out, Progress: w}).Run(ctx, false)
	if !w.seen || !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted in the validation (progress line seen: %v): %v, want ErrInterrupted", w.seen, err)
	}
	c, err := LoadCheckpoint(filepath.Join(out, DirLast))
	if err != nil {
		t.Fatal(err)
	}
	if st := c.State; st.Epoch != 0 || st.Windows == nil || st.Window != len(st.Windows) {
		t.Fatalf("checkpoint at epoch %d, window %d of %d; want epoch 0 with all its windows done", st.Epoch, st.Window, len(st.Windows))
	}
	got, err := (&Runner{Options: o, Corpus: corpus, Out: out}).Run(context.Background(), true)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	compareRuns(t, "interrupted in the validation", ref, got, refOut, out)
}

// TestInterruptedValidationKeepsThroughput interrupts a run in the
// validation of its first epoch and resumes it on a clock that moves an
// hour at every reading. The epoch's windows were all trained in the first
// session, so its throughput is theirs: the same positive figure in the
// history, result.json, log.jsonl and the console line, and not diluted by
// the hours of the resumed session (400 tokens in an hour are 0.1 tok/s).
// Before the fix the resumed session, which trained no token, recorded 0.
func TestInterruptedValidationKeepsThroughput(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
	o.EpochTokens, o.SkipTest, o.Epochs = 400, true, 1
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOn{text: "  valid [", cancel: cancel}
	_, err := (&Runner{Options: o, Corpus: corpus, Out: out, Progress: w}).Run(ctx, false)
	if !w.seen || !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted in the validation (progress line seen: %v): %v, want ErrInterrupted", w.seen, err)
	}
	now := time.Unix(0, 0)
	hourly := func() time.Time { now = now.Add(time.Hour); return now }
	var console strings.Builder
	res, err := (&Runner{Options: o, Corpus: corpus, Out: out, Progress: &console, Now: hourly}).Run(context.Background(), true)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	rate := res.History[0].TokensPerS
	if !(rate > 10) {
		t.Errorf("epoch 1 recorded %v tok/s; its windows ran at full speed before the interruption", rate)
	}
	var stored Result
	if b, err := os.ReadFile(filepath.Join(out, FileResult)); err != nil || json.Unmarshal(b, &stored) != nil || stored.History[0].TokensPerS != rate {
		t.Errorf("%s does not hold the epoch's %v tok/s: %v", FileResult, rate, err)
	}
	if evs := logEvents(t, out, "epoch"); len(evs) != 1 || evs[0]["tokens_per_s"] != rate {
		t.Errorf("%s epoch lines %v, want one with tokens_per_s %v", FileLog, evs, rate)
	}
	if line := fmt.Sprintf(", %s tok/s\n", fmtRate(rate)); !strings.Contains(console.String(), "epoch 1: ") || !strings.Contains(console.String(), line) {
		t.Errorf("the console does not end the epoch line with %q:\n%s", line, console.String())
	}
}
