package train

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/provenance"
)

// TestTrainerAppliesSchedule measures the learning rate that the training
// loop applies at every step and compares it with the schedule's formula at
// that step (and checks each epoch's recorded rate and mean train loss): SGD without decay or clipping moves the parameters by
// x ← x − lr·s·g, so the multiplier s is Σ Δ·g / (lr·Σ g²). 4 epochs of 13
// windows, the first 25 % at the full rate, then a cosine to 0.1; with
// variable windows each step's multiplier is also scaled by T/bptt.
//
// Tolerance: Δ is rounded to float32 at |x| ≈ 0.1 while lr·s·g ≈ 1e-4, so
// each Δ is off by up to 6e-8·|x|/|Δ| ≈ 1e-4 relative, and the sum over the
// 5k parameters averages that down: the measured s is within 2e-6 of the
// formula, so 1e-4 leaves a wide margin. Errors that matter move s by
// much more: an inverted cosine by up to 0.9, one step late by ~4 %.
func TestTrainerAppliesSchedule(t *testing.T) {
	corpus := tinyCorpus(t)
	for _, variable := range []bool{false, true} {
		name := map[bool]string{false: "fixed", true: "variable"}[variable]
		t.Run(name, func(t *testing.T) {
			o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
			o.Optim = OptimizerConfig{Kind: SGD, LR: 0.1}
			o.Clip = 0
			o.Epochs, o.EpochTokens = 4, 600
			o.ConstantFrac, o.MinLRScale = 0.25, 0.1
			o.VariableBPTT = variable
			o.SkipTest = true
			init, err := model.New[float32](o.Model, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			prev := append([]float32(nil), init.Params.Data...)
			var applied, losses []float64
			var lens []int
			r := &Runner{Options: o, Corpus: corpus, Out: t.TempDir(), Init: init}
			r.OnStep = func(step int64, p *model.Params[float32]) {
				var dg, gg float64
				for i := range p.Data {
					d, g := float64(prev[i])-float64(p.Data[i]), float64(p.Grad[i])
					dg += d * g
					gg += g * g
				}
				applied = append(applied, dg/(o.Optim.LR*gg))
				copy(prev, p.Data)
			}
			r.onWindow = func(T int, loss float64) { lens, losses = append(lens, T), append(losses, loss) }
			res, err := r.Run(context.Background(), false)
			if err != nil {
				t.Fatal(err)
			}
			// The schedule spans the steps that StepsPerEpoch plans: exact for
			// fixed windows, an estimate for variable ones.
			perEpoch := StepsPerEpoch(&o, len(corpus.Train))
			total := perEpoch * int64(o.Epochs)
			constant := int64(o.ConstantFrac * float64(total))
			if !variable && int64(len(applied)) != total {
				t.Errorf("%d steps, StepsPerEpoch plans %d", len(applied), total)
			}
			formula := func(step int64) float64 {
				if step < constant {
					return 1
				}
				f := min(1, float64(step-constant)/float64(total-constant))
				return 0.1 + 0.9*(1+math.Cos(math.Pi*f))/2
			}
			worst, other := 0.0, 0
			for i, s := range applied {
				want := formula(int64(i))
				if variable {
					want *= float64(lens[i]) / float64(o.BPTT)
					if lens[i] != o.BPTT {
						other++
					}
				}
				rel := math.Abs(s-want) / want
				worst = max(worst, rel)
				if rel > 1e-4 {
					t.Errorf("step %d: multiplier %.6f applied, the schedule gives %.6f", i+1, s, want)
				}
			}
			t.Logf("largest relative difference from the formula: %.2g", worst)
			if variable && other == 0 {
				t.Fatalf("every window had %d steps: the T/bptt scaling was not exercised", o.BPTT)
			}
			if variable {
				return
			}
			for e, h := range res.History {
				last := int64(e+1)*perEpoch - 1
				if want := o.Optim.LR * formula(last); math.Abs(h.LR-want) > 1e-12 {
					t.Errorf("epoch %d: history lr %v, want the last window's %v", e+1, h.LR, want)
				}
				var sum float64
				for _, l := range losses[int64(e)*perEpoch : last+1] {
					sum += l
				}
				if want := sum / float64(perEpoch); h.TrainLoss != want {
					t.Errorf("epoch %d: history train loss %v, the mean of its windows' losses %v", e+1, h.TrainLoss, want)
				}
			}
		})
	}
}

// TestEpochLength checks what one epoch trains on: without a cap every
// stream's tokens but the last (the input of each prediction), in windows of
// bptt, as many as StepsPerEpoch plans; with a cap the first windows that
// reach it.
func TestEpochLength(t *testing.T) {
	corpus := tinyCorpus(t)
	for _, cap := range []int{0, 1000} {
		o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
		o.Batch, o.Epochs, o.EpochTokens, o.SkipTest = 16, 1, cap, true
		var lens []int
		r := &Runner{Options: o, Corpus: corpus, Out: t.TempDir()}
		r.onWindow = func(T int, _ float64) { lens = append(lens, T) }
		if _, err := r.Run(context.Background(), false); err != nil {
			t.Fatal(err)
		}
		tokens := 0
		for _, T := range lens {
			tokens += T * o.Batch
		}
		L := len(corpus.Train) / o.Batch // each stream's length
		wantSteps := (L - 1 + o.BPTT - 1) / o.BPTT
		if cap > 0 {
			wantSteps = (cap + o.Batch*o.BPTT - 1) / (o.Batch * o.BPTT)
		}
		if int64(len(lens)) != StepsPerEpoch(&o, len(corpus.Train)) || len(lens) != wantSteps {
			t.Errorf("cap %d: %d windows, StepsPerEpoch %d, want %d", cap, len(lens), StepsPerEpoch(&o, len(corpus.Train)), wantSteps)
		}
		if cap == 0 && tokens != (L-1)*o.Batch {
			t.Errorf("whole split: %d tokens trained, want %d (%d streams of %d)", tokens, (L-1)*o.Batch, o.Batch, L)
		}
		if cap > 0 && !(tokens >= cap && tokens-lens[len(lens)-1]*o.Batch < cap) {
			t.Errorf("cap %d: %d tokens trained in windows %v", cap, tokens, lens)
		}
	}
}

// bestRule is the selection rule spelled out over a history of validation
// perplexities: an epoch from eligible on is best when it is the first or
// beats the best so far; with patience > 0 the run stops once that many
// epochs in a row failed to. It returns the best epoch (1-based) and the
// epoch the run stops after, 0 if it does not stop early.
func bestRule(ppl []float64, eligible, patience int) (best, stop int) {
	bad := 0
	for i, p := range ppl {
		e := i + 1
		if e < eligible {
			continue
		}
		if best == 0 || p < ppl[best-1] {
			best, bad = e, 0
			continue
		}
		if bad++; patience > 0 && bad >= patience {
			return best, e
		}
	}
	return best, 0
}

// TestBestEpochAndEarlyStopping runs selectionOptions, whose validation
// perplexity goes up and down, and checks model selection against bestRule
// applied to the run's own history: the best epoch has the lowest
// perplexity; the best checkpoint holds that epoch's model (it scores the
// recorded perplexity on the validation split, and the final test
// perplexity is its); the run stops after Patience epochs without
// improvement, counted from the last improvement; epochs that end before
// BestAfterStep are never chosen.
func TestBestEpochAndEarlyStopping(t *testing.T) {
	corpus := tinyCorpus(t)
	o := selectionOptions(model.CellEGRU, corpus.Vocab.Len())
	const patience = 3
	o.Patience = patience
	out := t.TempDir()
	res, err := (&Runner{Options: o, Corpus: corpus, Out: out}).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	var ppl []float64
	for _, h := range res.History {
		ppl = append(ppl, h.Valid.PPL)
	}
	t.Logf("validation perplexities %.2f", ppl)
	// The history must exercise the rule: an epoch worse than the first, a
	// later improvement (the count restarts), then the stop.
	best, stop := bestRule(ppl, 1, patience)
	firstBad := slices.IndexFunc(ppl[1:], func(p float64) bool { return p >= ppl[0] }) + 2
	if !(res.Epochs < o.Epochs && firstBad > 1 && firstBad < best && best < res.Epochs) {
		t.Fatalf("the history does not exercise early stopping (%d of %d epochs, first bad %d, best %d): choose other options",
			res.Epochs, o.Epochs, firstBad, best)
	}
	if res.BestEpoch != best || best != 1+slices.Index(ppl, slices.Min(ppl)) {
		t.Errorf("best epoch %d; the lowest perplexity is at epoch %d", res.BestEpoch, best)
	}
	if stop != res.Epochs {
		t.Errorf("patience %d: the run stopped after %d epochs; the rule stops after %d (0: not yet)", patience, res.Epochs, stop)
	}
	if !reflect.DeepEqual(res.BestValid, res.History[res.BestEpoch-1].Valid) {
		t.Errorf("best valid %+v, epoch %d had %+v", res.BestValid, res.BestEpoch, res.History[res.BestEpoch-1].Valid)
	}
	c, err := LoadCheckpoint(filepath.Join(out, DirBest))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := Evaluate(context.Background(), c.Model, corpus.Valid, o.EvalBatch, o.EvalBPTT, nil, ""); err != nil || !reflect.DeepEqual(v, res.History[best-1].Valid) {
		t.Errorf("the best checkpoint scores %+v on the validation split (%v); epoch %d recorded %+v", v, err, best, res.History[best-1].Valid)
	}
	if v, err := Evaluate(context.Background(), c.Model, corpus.Test, 1, o.EvalBPTT, nil, ""); err != nil || res.Test == nil || !reflect.DeepEqual(v, *res.Test) {
		t.Errorf("the best checkpoint scores %+v on the test split (batch 1) (%v), the result says %+v", v, err, res.Test)
	}
	if ev := logEvents(t, out, "early_stop"); len(ev) != 1 || ev[0]["epoch"] != float64(stop) || ev[0]["best_epoch"] != float64(best) {
		t.Errorf("early_stop events %v, want one at epoch %d with best %d", ev, stop, best)
	}

	// BestAfterStep: find k where epoch k beats k+1 and an earlier epoch
	// beats both, and run k+1 epochs with only epochs from k on eligible:
	// the best must be k.
	k := 0
	for e := 2; e < len(ppl) && k == 0; e++ {
		if ppl[e-1] < ppl[e] && slices.Min(ppl[:e-1]) < ppl[e-1] {
			k = e
		}
	}
	if k == 0 {
		t.Fatalf("no epoch in %.2f to test BestAfterStep with", ppl)
	}
	o.Patience, o.SkipTest, o.Epochs = 0, true, k+1
	r := &Runner{Options: o, Corpus: corpus, Out: t.TempDir(), BestAfterStep: int64(k) * StepsPerEpoch(&o, len(corpus.Train))}
	after, err := r.Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(figures(after.History), figures(res.History[:k+1])) {
		t.Fatalf("the shorter run's history differs from the first %d epochs of the longer one", k+1)
	}
	if after.BestEpoch != k {
		t.Errorf("BestAfterStep = the end of epoch %d: best epoch %d, want %d (perplexities %.2f)", k, after.BestEpoch, k, ppl[:k+1])
	}
}

// logEvents returns the log.jsonl records of one event kind.
func logEvents(t *testing.T, out, kind string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(out, FileLog))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if ev["event"] == kind {
			evs = append(evs, ev)
		}
	}
	return evs
}

// TestResultReplacedAtomically resumes an early-stopped run that finished
// without its test pass, which must train nothing more and only run the
// test pass and write result.json again (a run with a test result is
// complete and is not written again: TestResumeFinishedRun). The new file
// must replace the old one by a rename (another inode), so a reader that
// opened the old one keeps reading it whole and no reader ever sees a
// half-written file, and no temporary file may be left behind.
func TestResultReplacedAtomically(t *testing.T) {
	corpus := tinyCorpus(t)
	o := selectionOptions(model.CellEGRU, corpus.Vocab.Len())
	o.Patience, o.Epochs = 1, 3 // 134.5 142.7: stops after 2 epochs
	out := t.TempDir()
	skipped := o
	skipped.SkipTest = true
	first, err := (&Runner{Options: skipped, Corpus: corpus, Out: out}).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Epochs >= o.Epochs {
		t.Fatalf("the run did not stop early (%d epochs)", first.Epochs)
	}
	path := filepath.Join(out, FileResult)
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	before, err := reader.Stat()
	if err != nil {
		t.Fatal(err)
	}
	again, err := (&Runner{Options: o, Corpus: corpus, Out: out}).Run(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if again.Epochs != first.Epochs || !reflect.DeepEqual(figures(again.History), figures(first.History)) || again.Test == nil {
		t.Errorf("resuming the finished run changed it or ran no test pass: %d epochs, was %d; test %+v", again.Epochs, first.Epochs, again.Test)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Errorf("%s was rewritten in place; it must be replaced by a rename", FileResult)
	}
	if b, err := io.ReadAll(reader); err != nil || string(b) != string(old) {
		t.Errorf("a reader of the old %s read %d bytes (%v), not the old file's %d", FileResult, len(b), err, len(old))
	}
	var res Result
	if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &res) != nil || res.Epochs != again.Epochs {
		t.Errorf("the new %s does not hold the result: %v", FileResult, err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{DirBest, DirLast, FileLog, FileResult}; !slices.Equal(names, want) {
		t.Errorf("run directory holds %v, want %v", names, want)
	}
}

// runFiles returns result.json and log.jsonl of the run in out.
func runFiles(t *testing.T, out string) (result, log string) {
	t.Helper()
	r, err := os.ReadFile(filepath.Join(out, FileResult))
	if err != nil {
		t.Fatal(err)
	}
	l, err := os.ReadFile(filepath.Join(out, FileLog))
	if err != nil {
		t.Fatal(err)
	}
	return string(r), string(l)
}

// TestResumeFinishedRun resumes finished runs, in these cases:
//   - finished with a test result, resumed with or without SkipTest: the run
//     is complete; Run returns the stored result, computes nothing, and
//     leaves result.json and log.jsonl byte for byte as they were (before the
//     fix SkipTest dropped the test result and cut the wall time to the
//     training's, and every other resume ran the test pass again and logged
//     another session and test line);
//   - finished with SkipTest, resumed with SkipTest: complete as well;
//   - finished with SkipTest, resumed without it: the test pass runs once,
//     the result gains it (the same as an uninterrupted run's) and its time
//     on top of the recorded wall time, log.jsonl one session and one test
//     line; the run is then complete.
func TestResumeFinishedRun(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
	o.EpochTokens = 400
	session := provenance.New("test", []string{"sparselm", "train", "--resume"}, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	resume := func(out string, skipTest bool, now func() time.Time, progress io.Writer) *Result {
		t.Helper()
		ro := o
		ro.SkipTest = skipTest
		steps := 0
		r := &Runner{Options: ro, Corpus: corpus, Out: out, Provenance: session, Now: now, Progress: progress}
		r.afterStep = func(int64) { steps++ }
		res, err := r.Run(context.Background(), true)
		if err != nil {
			t.Fatalf("resume: %v", err)
		}
		if steps != 0 {
			t.Errorf("resuming a finished run trained %d steps", steps)
		}
		return res
	}
	unchanged := func(label, out string, res *Result, skipTests ...bool) {
		t.Helper()
		wantResult, wantLog := runFiles(t, out)
		var stored Result
		json.Unmarshal([]byte(wantResult), &stored)
		for _, skipTest := range skipTests {
			got := resume(out, skipTest, nil, nil)
			if !reflect.DeepEqual(got, &stored) {
				t.Errorf("%s, resumed with SkipTest %v: returned test %+v, wall time %v s, %d resumed sessions; want the stored result's %+v, %v s, %d",
					label, skipTest, got.Test, got.WallSeconds, len(got.Resumed), stored.Test, stored.WallSeconds, len(stored.Resumed))
			}
			gotResult, gotLog := runFiles(t, out)
			if gotResult != wantResult {
				var now Result
				json.Unmarshal([]byte(gotResult), &now)
				t.Errorf("%s, resumed with SkipTest %v: %s changed: test %+v, wall time %v s; was %+v, %v s",
					label, skipTest, FileResult, now.Test, now.WallSeconds, stored.Test, stored.WallSeconds)
			}
			if gotLog != wantLog {
				t.Errorf("%s, resumed with SkipTest %v: %s gained\n%s", label, skipTest, FileLog, strings.TrimPrefix(gotLog, wantLog))
			}
		}
		if (res.Test != nil) != (stored.Test != nil) || res.WallSeconds != stored.WallSeconds {
			t.Errorf("%s: stored test %v and wall time %v s, the run returned %v and %v s", label, stored.Test, stored.WallSeconds, res.Test, res.WallSeconds)
		}
	}

	tested := t.TempDir()
	ref, err := (&Runner{Options: o, Corpus: corpus, Out: tested}).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Test == nil {
		t.Fatal("the run has no test result")
	}
	unchanged("finished with a test result", tested, ref, true, false)

	skipped := t.TempDir()
	so := o
	so.SkipTest = true
	first, err := (&Runner{Options: so, Corpus: corpus, Out: skipped}).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	unchanged("finished without a test result", skipped, first, true)
	_, logBefore := runFiles(t, skipped)
	clock := &advancingClock{now: time.Unix(0, 0)}
	added := resume(skipped, false, clock.Now, jumpOnTest{clock})
	if !reflect.DeepEqual(added.Test, ref.Test) {
		t.Errorf("the test pass added on resume gave %+v, the uninterrupted run %+v", added.Test, ref.Test)
	}
	if added.WallSeconds < first.WallSeconds+3600 {
		t.Errorf("wall time %v s after adding a test pass of over an hour to a run of %v s", added.WallSeconds, first.WallSeconds)
	}
	if !reflect.DeepEqual(figures(added.History), figures(first.History)) || added.History[0].TokensPerS != first.History[0].TokensPerS {
		t.Errorf("adding the test pass changed the history")
	}
	if !reflect.DeepEqual(added.Resumed, []provenance.Provenance{*session}) {
		t.Errorf("the session that added the test pass is recorded as %+v", added.Resumed)
	}
	_, logAfter := runFiles(t, skipped)
	gained := strings.TrimPrefix(logAfter, logBefore)
	if strings.Count(gained, "\n") != 2 || !strings.Contains(gained, `"event":"session"`) || !strings.Contains(gained, `"event":"test"`) {
		t.Errorf("adding the test pass logged\n%s\nwant a session and a test line", gained)
	}
	unchanged("finished, its test pass added on resume", skipped, added, true, false)
}

// TestDivergenceIsAnError checks that a diverged run stops with an error
// that says where and suggests a remedy: with a finite but huge training
// loss (the log-softmax is stable) the validation perplexity overflows at
// the epoch's end; with overflowing weights the training loss itself is NaN.
func TestDivergenceIsAnError(t *testing.T) {
	corpus := tinyCorpus(t)
	for _, c := range []struct {
		optim OptimizerConfig
		want  string
	}{
		{OptimizerConfig{Kind: SGD, LR: 1e4}, "validation perplexity became +Inf (mean loss"},
		{OptimizerConfig{Kind: AdamW, LR: 1e38, Beta2: 0.999, Eps: 1e-8}, "loss became NaN at epoch 1 window 1"},
	} {
		o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
		o.Optim, o.Clip, o.SkipTest = c.optim, 0, true
		_, err := (&Runner{Options: o, Corpus: corpus, Out: t.TempDir()}).Run(context.Background(), false)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "epoch 1") || !strings.Contains(err.Error(), "lower") {
			t.Errorf("%s at lr %g: err = %v, want %q at epoch 1 with a remedy", c.optim.Kind, c.optim.LR, err, c.want)
		}
	}
}

// TestResumeKeepsWallTime checks that a resumed run's wall time adds the
// time before the interruption to its own: the interrupted part runs on a
// clock that moves an hour at every reading, the resumed part on one that
// moves a millisecond, so the total must exceed the hours saved.
func TestResumeKeepsWallTime(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
	o.SkipTest = true
	clock := func(step time.Duration) func() time.Time {
		now := time.Unix(0, 0)
		return func() time.Time { now = now.Add(step); return now }
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &Runner{Options: o, Corpus: corpus, Out: out, Now: clock(time.Hour)}
	r.afterStep = func(step int64) {
		if step == 30 {
			cancel()
		}
	}
	if _, err := r.Run(ctx, false); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("run: %v", err)
	}
	c, err := LoadCheckpoint(filepath.Join(out, DirLast))
	if err != nil {
		t.Fatal(err)
	}
	before := c.State.Elapsed
	if before < time.Hour {
		t.Fatalf("the interrupted part took %v on a clock that moves an hour a reading", before)
	}
	res, err := (&Runner{Options: o, Corpus: corpus, Out: out, Now: clock(time.Millisecond)}).Run(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if last := res.History[len(res.History)-1].WallSeconds; !(res.WallSeconds > before.Seconds() && last > before.Seconds()) {
		t.Errorf("wall time %v s (last epoch %v s) after resuming a run that had taken %v", res.WallSeconds, last, before)
	}
}

// TestPeriodicCheckpoints checks how much of a run a crash can lose: with
// SaveEvery 0, out/last holds the state after every window (at each step,
// the previous step's); with an interval longer than the run, only the ends
// of epochs. A missing checkpoint before the first save is expected.
func TestPeriodicCheckpoints(t *testing.T) {
	corpus := tinyCorpus(t)
	for _, every := range []time.Duration{0, time.Hour} {
		o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
		o.EpochTokens, o.SaveEvery, o.SkipTest = 300, every, true
		perEpoch := StepsPerEpoch(&o, len(corpus.Train))
		out := t.TempDir()
		r := &Runner{Options: o, Corpus: corpus, Out: out}
		r.afterStep = func(step int64) {
			want := step - 1 // the checkpoint written after the previous step
			if every > 0 {
				want = (step - 1) / perEpoch * perEpoch // the last epoch's end
			}
			c, err := LoadCheckpoint(filepath.Join(out, DirLast))
			switch {
			case want == 0 && err == nil:
				t.Errorf("save every %v, step %d: a checkpoint at step %d before any was due", every, step, c.Optim.Step)
			case want > 0 && err != nil:
				t.Errorf("save every %v, step %d: %v", every, step, err)
			case want > 0 && c.Optim.Step != want:
				t.Errorf("save every %v, step %d: the checkpoint is at step %d, want %d", every, step, c.Optim.Step, want)
			}
		}
		if _, err := r.Run(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
}
