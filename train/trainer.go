package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/provenance"
	"github.com/sparselm/sparselm/tensor"
)

// Checkpoint directories and files inside a run's output directory.
const (
	DirLast    = "last"        // resumable state, rewritten every SaveEvery and every epoch
	DirBest    = "best"        // the model with the best validation perplexity
	FileLog    = "log.jsonl"   // one JSON object per line: train, valid, test events
	FileResult = "result.json" // the final summary
)

// ErrInterrupted is returned when the context is cancelled; the run was
// checkpointed and continues with Resume.
var ErrInterrupted = errors.New("train: interrupted; the run was checkpointed and can be resumed")

// ErrRunExists is returned when a fresh run is asked for in a directory that
// already holds one.
var ErrRunExists = errors.New("train: the output directory already holds a run")

// CheckFresh returns ErrRunExists (wrapped, naming out) if the directory out
// already holds a run: its resumable state, or the result of a finished run
// whose last/ was deleted (a fresh run would overwrite best/ and the
// result). It is the check a fresh Run makes first; commands call it before
// they load a corpus. A best/ without last/ is not a run: a run killed while
// writing its first checkpoints leaves it, and starts again.
func CheckFresh(out string) error {
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return fmt.Errorf("train: the output directory %s is a file", out)
	}
	if ckptdir.Exists(filepath.Join(out, DirLast)) {
		return fmt.Errorf("%w: %s", ErrRunExists, out)
	}
	if _, err := os.Stat(filepath.Join(out, FileResult)); err == nil {
		return fmt.Errorf("%w: %s (a finished run: its %s is there, its %s/ is not)", ErrRunExists, out, FileResult, DirLast)
	}
	return nil
}

// ErrDiverged is returned when the training loss or the validation
// perplexity is no longer finite.
var ErrDiverged = errors.New("train: the run diverged")

// Result summarises a finished run.
type Result struct {
	Options   Options     `json:"options"`
	Epochs    int         `json:"epochs"`
	BestEpoch int         `json:"best_epoch"`
	BestValid EvalResult  `json:"best_valid"`
	Test      *EvalResult `json:"test,omitempty"` // batch 1, state carried through the split
	// WallSeconds is the wall time of training, validation and the final
	// test pass, summed over the sessions of a resumed run.
	WallSeconds float64       `json:"wall_seconds"`
	History     []EpochRecord `json:"history"`
	Parameters  int           `json:"parameters"`
	Kernel      string        `json:"kernel"`
	// Events says whether the model's layers emit events (EGRU), so that
	// their activity sparsity is worth reporting (Describe().Events()).
	Events bool `json:"events"`
	// Provenance is the session that started the run (program version and
	// revision, command line, start time, data files); Resumed each session
	// that continued it, the one that wrote the result last.
	Provenance *provenance.Provenance  `json:"provenance,omitempty"`
	Resumed    []provenance.Provenance `json:"resumed,omitempty"`
}

// Runner trains one model. Out is the run directory; Progress receives the
// progress bar (nil: silent); Now is the clock (time.Now when nil).
type Runner struct {
	Options  Options
	Corpus   *data.Corpus
	Out      string
	Progress io.Writer
	Now      func() time.Time
	// Provenance, if set, describes this session: a fresh run records it as
	// where the run came from, a resumed one adds it to the sessions that
	// continued the run (RunState, Result, and a "session" line in log.jsonl).
	Provenance *provenance.Provenance
	// Init, if set, is the model a fresh run starts from (fine-tuning, e.g.
	// after pruning) instead of one drawn from the seed; the run trains it in
	// place, with fresh optimizer state. Its Config must equal Options.Model.
	// A resumed run ignores it: Out/last holds the model.
	Init *model.LM[float32]
	// OnStep, if set, is called after every optimizer step with the number of
	// steps done (gradual pruning updates the masks here). What it changes in
	// the parameters is saved with them, so a resumed run continues it.
	OnStep func(step int64, p *model.Params[float32])
	// BestAfterStep keeps epochs that end before this many steps from being
	// chosen as best or counted for early stopping (gradual pruning: only
	// models at the final sparsity qualify).
	BestAfterStep int64
	// afterStep, if set, is called after every optimizer step (tests use it to stop a run).
	afterStep func(step int64)
	// onWindow, if set, receives the length T and the mean NLL of every training window.
	onWindow func(T int, loss float64)
}

type run struct {
	*Runner
	m     *model.LM[float32]
	opt   *Optimizer
	st    *RunState
	carry *model.State[float32]
	pcg   *rand.PCG
	rng   *rand.Rand
	log   *os.File
	// stored is the result.json of a finished run resumed to add the test
	// pass it skipped; nil otherwise.
	stored *Result
}

// Run trains from scratch, or resumes from Out/last when resume is true and
// it exists. A resumed run must have the same options (an error says which
// differ). A finished run is resumed as follows: with a result that holds
// a test result, or with SkipTest, it is complete, and Run returns its
// result.json as it is, computing and writing nothing; without one, Run
// runs the test pass once and adds it (and its time) to the result.
func (r *Runner) Run(ctx context.Context, resume bool) (*Result, error) {
	if r.Now == nil {
		r.Now = time.Now
	}
	o := &r.Options
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if r.Corpus.Vocab.Len() != o.Model.Vocab {
		return nil, fmt.Errorf("train: model vocabulary %d, corpus %d", o.Model.Vocab, r.Corpus.Vocab.Len())
	}
	tensor.SetThreads(o.Threads)
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	ru := &run{Runner: r}
	last := filepath.Join(r.Out, DirLast)
	if resume && ckptdir.Exists(last) {
		if err := ru.restore(last); err != nil {
			return nil, err
		}
		stored, err := ru.storedResult()
		if err != nil {
			return nil, err
		}
		if stored != nil && (stored.Test != nil || o.SkipTest) {
			if r.Progress != nil {
				fmt.Fprintf(r.Progress, "the run in %s is complete; its result is kept as it is\n", r.Out)
			}
			return stored, nil
		}
		if stored != nil {
			// The sessions after last/ was written (those that wrote the
			// result) are in the result only.
			ru.stored, ru.st.Resumed = stored, stored.Resumed
		}
		if r.Provenance != nil {
			ru.st.Resumed = append(ru.st.Resumed, *r.Provenance)
		}
	} else {
		if !resume {
			if err := CheckFresh(r.Out); err != nil {
				return nil, err
			}
		}
		ru.pcg = rand.NewPCG(o.Seed, 0x5eed)
		ru.rng = rand.New(ru.pcg)
		m := r.Init
		if m == nil {
			var err error
			if m, err = model.New[float32](o.Model, ru.rng); err != nil {
				return nil, err
			}
		} else if !reflect.DeepEqual(m.Config, o.Model) {
			return nil, fmt.Errorf("train: the initial model's config differs from the options' model config")
		}
		ru.m = m
		ru.opt = NewOptimizer(o.Optim, len(m.Params.Data))
		ru.st = &RunState{Provenance: r.Provenance}
		ru.carry = m.NewState(o.Batch)
	}
	f, err := os.OpenFile(filepath.Join(r.Out, FileLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	ru.log = f
	if r.Provenance != nil {
		ru.logEvent(map[string]any{"event": "session", "resumed": len(ru.st.Resumed) > 0, "provenance": r.Provenance})
	}
	return ru.loop(ctx)
}

func (ru *run) restore(dir string) error {
	c, err := LoadCheckpoint(dir)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if c.State == nil || c.Optim == nil || c.Carry == nil {
		return fmt.Errorf("train: resume: %s is not a resumable checkpoint", dir)
	}
	// Threads, checkpoint interval and the final test do not change the
	// numbers (the kernels are bit-identical for any thread count), so a run
	// may resume with other values of them.
	given, saved := ru.Options, c.Options
	saved.Threads, saved.SaveEvery, saved.SkipTest = given.Threads, given.SaveEvery, given.SkipTest
	want, _ := json.Marshal(given)
	got, _ := json.Marshal(saved)
	if string(want) != string(got) {
		return fmt.Errorf("train: resume: the options differ from those of the run in %s\n  run:   %s\n  given: %s", dir, got, want)
	}
	ru.m, ru.opt, ru.st, ru.carry = c.Model, c.Optim, c.State, c.Carry
	ru.pcg = &rand.PCG{}
	if err := ru.pcg.UnmarshalBinary(c.State.RNG); err != nil {
		return fmt.Errorf("train: resume: generator state: %w", err)
	}
	ru.rng = rand.New(ru.pcg)
	return nil
}

// storedResult returns the result.json of a run whose training is
// finished, or nil when the training is not finished or the run wrote no
// result (it stopped in, or before, the final test pass).
func (ru *run) storedResult() (*Result, error) {
	if !ru.st.Done && ru.st.Epoch < ru.Options.Epochs {
		return nil, nil
	}
	path := filepath.Join(ru.Out, FileResult)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("train: resume: %s: %w (remove it to have the run write it again)", path, err)
	}
	if res.Epochs != ru.st.Epoch || res.BestEpoch != ru.st.BestEpoch {
		return nil, fmt.Errorf("train: resume: %s holds %d epochs (best %d), the checkpoint in %s %d (best %d); remove it to have the run write it again",
			path, res.Epochs, res.BestEpoch, DirLast, ru.st.Epoch, ru.st.BestEpoch)
	}
	return &res, nil
}

func (ru *run) save(dir string, best bool) error {
	c := &Checkpoint{Options: ru.Options, Model: ru.m, Vocab: ru.Corpus.Vocab}
	if !best {
		b, err := ru.pcg.MarshalBinary()
		if err != nil {
			return err
		}
		ru.st.RNG = b
		c.Optim, c.State, c.Carry = ru.opt, ru.st, ru.carry
	}
	if err := c.Save(dir); err != nil {
		if notFinite(err) {
			// The loss of the step was finite, its update was not (the
			// next step's loss would be NaN): keep the previous checkpoint.
			return fmt.Errorf("%w: after optimizer step %d, not saving %s: %w; lower optimizer.lr or raise clip", ErrDiverged, ru.opt.Step, dir, err)
		}
		return fmt.Errorf("train: saving %s: %w", dir, err)
	}
	return nil
}

func (ru *run) logEvent(v map[string]any) {
	b, _ := json.Marshal(v)
	ru.log.Write(append(b, '\n'))
}

// epochWindows returns the windows of one epoch, truncated to EpochTokens.
func (ru *run) epochWindows(s *data.Stream) []data.Span {
	o := &ru.Options
	ws := s.Windows(o.BPTT, o.VariableBPTT, ru.rng)
	if o.EpochTokens > 0 {
		tokens := 0
		for i, w := range ws {
			tokens += w.Len * o.Batch
			if tokens >= o.EpochTokens {
				return ws[:i+1]
			}
		}
	}
	return ws
}

// StepsPerEpoch returns the optimizer steps of one epoch over trainTokens
// tokens, as the learning-rate schedule assumes them: the fixed-length window
// count (exact for fixed BPTT), capped by EpochTokens.
func StepsPerEpoch(o *Options, trainTokens int) int64 {
	L := trainTokens / o.Batch // stream length, as data.Batchify cuts it
	// A window longer than the stream is one window over it: the same count
	// with bptt capped at L, and no overflow for a huge bptt.
	bptt := max(1, min(o.BPTT, L))
	perEpoch := int64((L - 1 + bptt - 1) / bptt)
	if o.EpochTokens > 0 {
		perEpoch = min(perEpoch, int64((o.EpochTokens+o.Batch*bptt-1)/(o.Batch*bptt)))
	}
	return perEpoch
}

func (ru *run) loop(ctx context.Context) (*Result, error) {
	o := &ru.Options
	stream, err := data.Batchify(ru.Corpus.Train, o.Batch)
	if err != nil {
		return nil, fmt.Errorf("train: training split: %w", err)
	}
	perEpoch := StepsPerEpoch(o, len(ru.Corpus.Train))
	sched := Schedule{TotalSteps: perEpoch * int64(o.Epochs), ConstantSteps: int64(o.ConstantFrac * float64(perEpoch*int64(o.Epochs))), MinScale: o.MinLRScale}
	// Windows are at most bptt + data.VariableBPTTCap steps, and never
	// longer than the stream.
	x := make([]int32, (min(o.BPTT, stream.L)+data.VariableBPTTCap)*o.Batch)
	y := make([]int32, len(x))
	lastSave := ru.Now()
	segmentStart := ru.Now()
	elapsedBase := ru.st.Elapsed
	elapsed := func() time.Duration { return elapsedBase + ru.Now().Sub(segmentStart) }
	// Activity sparsity is reported only for a model whose outputs are events.
	events := ru.m.Describe().Events()

	for !ru.st.Done && ru.st.Epoch < o.Epochs {
		if ru.st.Windows == nil {
			ru.st.Windows = ru.epochWindows(stream)
			ru.st.Window, ru.st.LossSum, ru.st.LossCount = 0, 0, 0
			ru.st.TrainedTokens, ru.st.TrainedSeconds = 0, 0
			for l := range ru.carry.S {
				clear(ru.carry.S[l])
				clear(ru.carry.C[l])
			}
		}
		total := int64(0)
		for _, w := range ru.st.Windows {
			total += int64(w.Len * o.Batch)
		}
		bar := NewProgress(ru.Progress, fmt.Sprintf("epoch %d/%d", ru.st.Epoch+1, o.Epochs), total)
		resumed := int64(0)
		for _, w := range ru.st.Windows[:ru.st.Window] {
			resumed += int64(w.Len * o.Batch)
		}
		bar.Resume(resumed)
		// The rate of the epoch's last window, as recorded in its history; set
		// here too for an epoch resumed after its last window.
		lr := o.Optim.LR * sched.Scale(max(0, ru.opt.Step-1))
		// The epoch's throughput counts its windows only, over every session
		// that trained some of them: a session resumed in the validation
		// trains none and must not report 0 tok/s.
		trainStart, trainedBefore := ru.Now(), ru.st.TrainedSeconds
		for ru.st.Window < len(ru.st.Windows) {
			span := ru.st.Windows[ru.st.Window]
			T := stream.Window(span.Start, span.Len, x, y)
			if T == 0 {
				ru.st.Window++
				continue
			}
			n := T * o.Batch
			scale := sched.Scale(ru.opt.Step)
			lr = o.Optim.LR * scale
			if o.VariableBPTT {
				scale *= float64(T) / float64(o.BPTT) // AWD-LSTM: longer windows take larger steps
			}
			s := Step(ru.m, ru.opt, x[:n], y[:n], T, o.Batch, ru.carry, ru.pcg, o.Clip, scale)
			if ru.OnStep != nil {
				ru.OnStep(ru.opt.Step, &ru.m.Params)
			}
			loss := s.NLL / float64(s.Tokens)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return nil, fmt.Errorf("%w: loss became %v at epoch %d window %d; lower optimizer.lr or raise clip", ErrDiverged, loss, ru.st.Epoch+1, ru.st.Window)
			}
			if ru.onWindow != nil {
				ru.onWindow(T, loss)
			}
			ru.st.LossSum += loss
			ru.st.LossCount++
			ru.st.Window++
			ru.st.TrainedTokens += int64(n)
			ru.st.TrainedSeconds = trainedBefore + ru.Now().Sub(trainStart).Seconds()
			// Most important first: a narrow terminal drops the last ones.
			status := []string{fmt.Sprintf("ppl %.1f", math.Exp(ru.st.LossSum/float64(ru.st.LossCount)))}
			if events {
				nz, all := 0, 0
				for l := range s.NonZero {
					nz, all = nz+s.NonZero[l], all+s.Outputs[l]
				}
				status = append(status, fmt.Sprintf("sparsity %.1f%%", 100*(1-float64(nz)/float64(all))))
			}
			status = append(status, fmt.Sprintf("loss %.3f", loss), fmt.Sprintf("lr %.2g", lr))
			bar.Add(int64(n), status...)
			if ru.afterStep != nil {
				ru.afterStep(ru.opt.Step)
			}
			if ctx.Err() != nil || ru.Now().Sub(lastSave) >= o.SaveEvery {
				ru.st.Elapsed = elapsed()
				if err := ru.save(filepath.Join(ru.Out, DirLast), false); err != nil {
					return nil, err
				}
				lastSave = ru.Now()
				if ctx.Err() != nil {
					bar.Finish()
					return nil, ErrInterrupted
				}
			}
		}
		bar.Finish()
		rate := float64(ru.st.TrainedTokens) / max(1e-9, ru.st.TrainedSeconds)
		valid, err := Evaluate(ctx, ru.m, ru.Corpus.Valid, o.EvalBatch, o.EvalBPTT, ru.Progress, "  valid")
		if err != nil && ctx.Err() != nil {
			// The epoch's windows are all done (Window = len(Windows)): a
			// resumed run starts with this validation.
			ru.st.Elapsed = elapsed()
			if err := ru.save(filepath.Join(ru.Out, DirLast), false); err != nil {
				return nil, err
			}
			return nil, ErrInterrupted
		}
		if err != nil {
			return nil, err
		}
		if math.IsNaN(valid.NLL) || math.IsInf(valid.PPL, 0) {
			// The training loss stays finite (a stable log-softmax) long after
			// the model has diverged; its perplexity overflows here first.
			return nil, fmt.Errorf("%w: validation perplexity became %v (mean loss %.4g nats) at epoch %d; lower optimizer.lr or raise clip", ErrDiverged,
				valid.PPL, valid.NLL, ru.st.Epoch+1)
		}
		ru.st.Epoch++
		rec := EpochRecord{Epoch: ru.st.Epoch, TrainLoss: ru.st.LossSum / float64(max(1, ru.st.LossCount)), Valid: valid,
			LR: lr, TokensPerS: rate, WallSeconds: elapsed().Seconds()}
		ru.st.History = append(ru.st.History, rec)
		ru.logEvent(map[string]any{"event": "epoch", "epoch": rec.Epoch, "train_loss": rec.TrainLoss, "train_ppl": math.Exp(rec.TrainLoss),
			"valid_ppl": valid.PPL, "valid_sparsity": valid.Sparsity, "lr": lr, "tokens_per_s": rate, "wall_s": rec.WallSeconds})
		if ru.Progress != nil {
			fmt.Fprintf(ru.Progress, "epoch %d: train ppl %.2f, valid ppl %.2f", rec.Epoch, math.Exp(rec.TrainLoss), valid.PPL)
			if events {
				fmt.Fprintf(ru.Progress, ", activity sparsity %.1f%%", 100*valid.Activity)
			}
			fmt.Fprintf(ru.Progress, ", %s tok/s\n", fmtRate(rate))
		}
		if ru.opt.Step < ru.BestAfterStep {
			// Not eligible yet (see Runner.BestAfterStep).
		} else if ru.st.BestEpoch == 0 || valid.PPL < ru.st.BestValid {
			ru.st.BestValid, ru.st.BestEpoch, ru.st.BadEpochs = valid.PPL, ru.st.Epoch, 0
			if err := ru.save(filepath.Join(ru.Out, DirBest), true); err != nil {
				return nil, err
			}
		} else {
			ru.st.BadEpochs++
			if o.Patience > 0 && ru.st.BadEpochs >= o.Patience {
				ru.st.Done = true
				ru.logEvent(map[string]any{"event": "early_stop", "epoch": ru.st.Epoch, "best_epoch": ru.st.BestEpoch})
			}
		}
		ru.st.Windows, ru.st.TrainedTokens, ru.st.TrainedSeconds = nil, 0, 0
		ru.st.Elapsed = elapsed()
		if err := ru.save(filepath.Join(ru.Out, DirLast), false); err != nil {
			return nil, err
		}
		lastSave = ru.Now()
		if ctx.Err() != nil && ru.st.Epoch < o.Epochs && !ru.st.Done {
			return nil, ErrInterrupted
		}
	}
	return ru.finish(ctx)
}

// finish evaluates the best checkpoint and writes the result.
func (ru *run) finish(ctx context.Context) (*Result, error) {
	o := &ru.Options
	finishStart := ru.Now()
	best, err := LoadCheckpoint(filepath.Join(ru.Out, DirBest))
	if err != nil {
		return nil, fmt.Errorf("train: loading the best checkpoint: %w", err)
	}
	res := &Result{Options: *o, Epochs: ru.st.Epoch, BestEpoch: ru.st.BestEpoch, History: ru.st.History,
		Parameters: len(best.Model.Params.Data), Kernel: tensor.Features(), Events: best.Model.Describe().Events(), Provenance: ru.st.Provenance, Resumed: ru.st.Resumed}
	if ru.st.BestEpoch > 0 {
		res.BestValid = ru.st.History[ru.st.BestEpoch-1].Valid
	}
	if !o.SkipTest {
		test, err := Evaluate(ctx, best.Model, ru.Corpus.Test, 1, o.EvalBPTT, ru.Progress, "  test")
		if err != nil && ctx.Err() != nil {
			// last/ holds the finished training, so --resume runs only this pass.
			return nil, fmt.Errorf("%w (only the test evaluation was left)", ErrInterrupted)
		}
		if err != nil {
			return nil, err
		}
		res.Test = &test
		ru.logEvent(map[string]any{"event": "test", "best_epoch": ru.st.BestEpoch, "test_ppl": test.PPL, "test_sparsity": test.Sparsity,
			"test_activity": test.Activity})
	}
	// The training counts once: a run resumed to add its test pass adds this
	// session's time to the wall time it recorded.
	wall := ru.st.Elapsed.Seconds()
	if ru.stored != nil {
		wall = ru.stored.WallSeconds
	}
	res.WallSeconds = wall + ru.Now().Sub(finishStart).Seconds()
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := ckptdir.WriteFile(filepath.Join(ru.Out, FileResult), append(b, '\n')); err != nil {
		return nil, err
	}
	return res, nil
}
