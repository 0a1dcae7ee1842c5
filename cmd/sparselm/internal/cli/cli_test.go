package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/train"
)

// TestMain doubles as the sparselm binary when SPARSELM_CLI_MAIN is set, so
// tests can run the real command line in a child process and kill it. With
// SPARSELM_CLI_PAUSE_AT set as well, the child stops at the first line of
// its standard error that matches that regular expression (see pauseAt).
func TestMain(m *testing.M) {
	if os.Getenv("SPARSELM_CLI_MAIN") == "1" {
		var stderr io.Writer = os.Stderr
		if pat := os.Getenv(envPauseAt); pat != "" {
			stderr = &pauseAt{w: os.Stderr, re: regexp.MustCompile(pat)}
			// The crash points of checkpoint and file writes as lines
			// too, so that a test can pause (and kill) inside a write.
			ckptdir.SetCrashPoint(func(where, path string) { fmt.Fprintf(stderr, "ckptdir: %s %s\n", where, path) })
		}
		err := Run(context.Background(), &Env{Stdout: os.Stdout, Stderr: stderr}, os.Args[1:])
		if err != nil && !IsHelp(err) {
			os.Stderr.WriteString("sparselm: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const (
	envPauseAt = "SPARSELM_CLI_PAUSE_AT"
	pausedLine = "sparselm-test: paused"
)

// pauseAt passes writes on to w until one matches re; then it prints
// pausedLine on standard output and blocks for good, so that the parent
// kills the child at a known point of its work (for a progress line: right
// after a training step, before that step's checkpoint) instead of at a
// time the child may already have passed.
type pauseAt struct {
	w  io.Writer
	re *regexp.Regexp
}

func (p *pauseAt) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if p.re.Match(b) {
		fmt.Fprintln(os.Stdout, pausedLine)
		for {
			time.Sleep(time.Hour)
		}
	}
	return n, err
}

// killAt runs sparselm with args in a child process, waits until the child
// writes a line matching pattern to its standard error, and kills it there
// with SIGKILL. The test fails if the child exits first (it never reached
// the point, so nothing would be tested) or takes over a minute to get there.
func killAt(t *testing.T, pattern string, args ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SPARSELM_CLI_MAIN=1", envPauseAt+"="+pattern)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	paused := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == pausedLine {
				paused <- true
				return
			}
		}
		paused <- false
	}()
	select {
	case ok := <-paused:
		if !ok {
			err := cmd.Wait()
			t.Fatalf("the child exited (%v) without writing a line that matches %q, so it was never killed:\n%s", err, pattern, stderr.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child did not reach %q within a minute:\n%s", pattern, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("the child exited normally after SIGKILL")
	}
}

// readTrainResult reads the result.json of the run in dir.
func readTrainResult(t *testing.T, dir string) *train.Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, train.FileResult))
	if err != nil {
		t.Fatal(err)
	}
	var r train.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// figures returns the history without its timings, which differ between runs.
func figures(h []train.EpochRecord) []train.EpochRecord {
	out := append([]train.EpochRecord(nil), h...)
	for i := range out {
		out[i].TokensPerS, out[i].WallSeconds = 0, 0
	}
	return out
}

// sameBits reports whether a and b hold the same float32 bits.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// compareTrainRuns reports where the finished training run in got differs
// from the one in want in what a resumed run must reproduce bit for bit:
// the result and every epoch's figures (train loss, validation, learning
// rate), and the final state in last/ and best/ (parameters, masks,
// optimizer step and moments, run state and generator, carried state).
func compareTrainRuns(t *testing.T, label, want, got string) {
	t.Helper()
	a, b := readTrainResult(t, want), readTrainResult(t, got)
	if a.Epochs != b.Epochs || a.BestEpoch != b.BestEpoch || !reflect.DeepEqual(a.BestValid, b.BestValid) || !reflect.DeepEqual(a.Test, b.Test) {
		t.Errorf("%s: %d epochs, best %d %+v, test %+v; uninterrupted %d, %d %+v, %+v", label,
			b.Epochs, b.BestEpoch, b.BestValid, b.Test, a.Epochs, a.BestEpoch, a.BestValid, a.Test)
	}
	if !reflect.DeepEqual(figures(a.History), figures(b.History)) {
		t.Errorf("%s: history\n  resumed       %+v\n  uninterrupted %+v", label, figures(b.History), figures(a.History))
	}
	for _, dir := range []string{train.DirLast, train.DirBest} {
		w, err := train.LoadCheckpoint(filepath.Join(want, dir))
		if err != nil {
			t.Fatal(err)
		}
		g, err := train.LoadCheckpoint(filepath.Join(got, dir))
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		if !sameBits(w.Model.Params.Data, g.Model.Params.Data) || !sameBits(w.Model.Params.Mask, g.Model.Params.Mask) {
			t.Errorf("%s: %s: the parameters or masks differ", label, dir)
		}
		if dir == train.DirBest {
			continue
		}
		if w.Optim.Step != g.Optim.Step || !sameBits(w.Optim.M, g.Optim.M) || !sameBits(w.Optim.V, g.Optim.V) {
			t.Errorf("%s: %s: the optimizer differs (step %d, uninterrupted %d)", label, dir, g.Optim.Step, w.Optim.Step)
		}
		for l := range w.Carry.S {
			if !sameBits(w.Carry.S[l], g.Carry.S[l]) || !sameBits(w.Carry.C[l], g.Carry.C[l]) {
				t.Errorf("%s: %s: the carried state of layer %d differs", label, dir, l)
			}
		}
		ws, gs := *w.State, *g.State
		ws.Elapsed, gs.Elapsed = 0, 0
		ws.Provenance, gs.Provenance, ws.Resumed, gs.Resumed = nil, nil, nil, nil // sessions, not results
		ws.History, gs.History = figures(ws.History), figures(gs.History)
		if !reflect.DeepEqual(ws, gs) {
			t.Errorf("%s: %s: run state\n  resumed       %+v\n  uninterrupted %+v", label, dir, gs, ws)
		}
	}
}

var tinyData = filepath.Join("..", "..", "..", "..", "testdata", "data", "tiny")

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}, args)
	return out.String(), errOut.String(), err
}

// tinyTrain are the flags of a run of a few seconds on the tiny corpus.
func tinyTrain(cell, out string, extra ...string) []string {
	return append([]string{"train", "--preset", "tiny", "--model", cell, "--dataset", tinyData,
		"--epochs", "2", "--epoch-tokens", "800", "--threads", "1", "--quiet", "--out", out}, extra...)
}

func TestTrainThenEval(t *testing.T) {
	for _, cell := range []string{"lstm", "egru"} {
		t.Run(cell, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			stdout, stderr, err := run(t, tinyTrain(cell, out)...)
			if err != nil {
				t.Fatalf("train: %v\n%s", err, stderr)
			}
			if !strings.Contains(stdout, "test ppl") {
				t.Errorf("train output lacks the test perplexity:\n%s", stdout)
			}
			// Activity sparsity is reported for event outputs only (an LSTM's is 0).
			if got := strings.Contains(stdout, "activity sparsity"); got != (cell == "egru") {
				t.Errorf("%s train output reports activity sparsity: %v, want %v:\n%s", cell, got, cell == "egru", stdout)
			}
			var res train.Result
			b, err := os.ReadFile(filepath.Join(out, train.FileResult))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &res); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, err = run(t, "eval", "--ckpt", out, "--json", "--bptt", "16")
			if err != nil {
				t.Fatalf("eval: %v\n%s", err, stderr)
			}
			var ev struct {
				Result train.EvalResult `json:"result"`
			}
			if err := json.Unmarshal([]byte(stdout), &ev); err != nil {
				t.Fatalf("eval --json: %v\n%s", err, stdout)
			}
			// Same checkpoint, same data, batch 1 and the same window length: the same number.
			if ev.Result.PPL != res.Test.PPL {
				t.Errorf("eval ppl %v, training's test ppl %v", ev.Result.PPL, res.Test.PPL)
			}
			// Any text file with the vocabulary's words.
			stdout, _, err = run(t, "eval", "--ckpt", out, "--file", filepath.Join(tinyData, "valid.txt"))
			if err != nil || !strings.Contains(stdout, "perplexity") {
				t.Errorf("eval --file: %v\n%s", err, stdout)
			}
		})
	}
}

// TestKillAndResume kills a training process with SIGKILL in the middle of
// its second epoch (after its third window's step, before that step's
// checkpoint) and resumes it; the result, every epoch's figures and the
// final state must equal an uninterrupted run's bit for bit.
func TestKillAndResume(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if _, stderr, err := run(t, tinyTrain("egru", ref, "--save-every", "0s")...); err != nil {
		t.Fatalf("reference run: %v\n%s", err, stderr)
	}
	killed := filepath.Join(dir, "killed")
	// 7 windows an epoch: the progress lines are at 14, 28, 42, ... %.
	killAt(t, `^epoch 2/2 \[.*\] +[4-6]\d% `, append(tinyTrain("egru", killed, "--save-every", "0s"), "--quiet=false")...)
	if _, err := os.Stat(filepath.Join(killed, train.FileResult)); err == nil {
		t.Fatalf("the killed run has a %s", train.FileResult)
	}
	c, err := train.LoadCheckpoint(filepath.Join(killed, train.DirLast))
	if err != nil {
		t.Fatalf("the killed run left no resumable checkpoint: %v", err)
	}
	if c.State.Epoch != 1 || c.State.Windows == nil || c.State.Window == 0 {
		t.Fatalf("the killed run's checkpoint is at epoch %d window %d, not in the middle of epoch 2", c.State.Epoch, c.State.Window)
	}
	if _, stderr, err := run(t, append(tinyTrain("egru", killed, "--save-every", "0s"), "--resume")...); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	compareTrainRuns(t, "killed and resumed", ref, killed)
}

func TestBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{tinyTrain("gru", out), "unknown cell"},
		{tinyTrain("lstm", out, "--drop-input", "1.5"), "must be in [0, 1)"},
		{tinyTrain("lstm", out, "--hidden", "32,0"), "positive integers"},
		{tinyTrain("lstm", out, "--hidden", "32,24"), "tied"},
		{tinyTrain("lstm", out, "--preset", "huge"), "unknown preset"},
		{tinyTrain("lstm", out, "--batch", "0"), "--batch"},
		{tinyTrain("lstm", out, "--lr", "-1"), "--lr"},
		{tinyTrain("lstm", out, "--lr", "Inf"), "--lr = +Inf must be positive and finite"},
		{tinyTrain("lstm", out, "--max-vocab", "-1"), "--max-vocab = -1 must be 0"}, // the flag, not a Go field
		{[]string{"train", "--dataset", "no-such-dataset", "--out", out}, "sparselm data fetch"},
		{[]string{"eval", "--ckpt", t.TempDir()}, "not a sparselm checkpoint"},
		{[]string{"eval"}, "--ckpt is required"},
		{[]string{"eval", "--ckpt", out, "test"}, "unexpected argument"},
		{[]string{"stats", "--ckpt", out, "valid"}, "unexpected argument"},
		{[]string{"data", "fetch", "imagenet"}, "imagenet"},
	}
	for _, c := range cases {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to mention %q", c.args, err, c.want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"train", "eval"} {
		stdout, _, err := run(t, cmd, "--help")
		if !IsHelp(err) || !strings.Contains(stdout, "Usage: sparselm "+cmd) {
			t.Errorf("%s --help: %v\n%s", cmd, err, stdout)
		}
	}
	if stdout, _, err := run(t, "--help"); !IsHelp(err) || !strings.Contains(stdout, "Commands:") {
		t.Errorf("--help: %v\n%s", err, stdout)
	}
}

// TestDatasetFromEnv checks that a dataset named without a path is looked up
// in the $SPARSELM_DATA of the command's Env (not the process's).
func TestDatasetFromEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--preset", "tiny", "--model", "lstm", "--dataset", "tiny", "--epochs", "1",
		"--epoch-tokens", "200", "--threads", "1", "--quiet", "--skip-test", "--out", out}
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string {
		if k == "SPARSELM_DATA" {
			return filepath.Dir(tinyData)
		}
		return ""
	}}
	if err := Run(context.Background(), env, args); err != nil {
		t.Fatalf("train with $SPARSELM_DATA from Env: %v\n%s", err, stderr.String())
	}
	_, _, err := run(t, append(args[:len(args)-1:len(args)-1], filepath.Join(t.TempDir(), "run2"))...)
	if err == nil || !strings.Contains(err.Error(), "$SPARSELM_DATA is not set") {
		t.Errorf("train without $SPARSELM_DATA in Env: err = %v", err)
	}
}

// TestFlagsAnywhere: flags may stand before, between and after the
// positional arguments of every command (sparselm data fetch ptb --dest
// DIR, sparselm score FILE --ckpt DIR); after "--" every argument is
// positional, and "-" (standard input) is one.
func TestFlagsAnywhere(t *testing.T) {
	for _, c := range []struct {
		args     []string
		out, pos string
		help     bool
		err      string
	}{
		{args: []string{"a", "b"}, pos: "a b"},
		{args: []string{"--out", "o", "a", "b"}, out: "o", pos: "a b"},
		{args: []string{"a", "--out", "o", "b"}, out: "o", pos: "a b"},
		{args: []string{"a", "b", "--out=o"}, out: "o", pos: "a b"},
		{args: []string{"-", "--out", "o"}, out: "o", pos: "-"},
		{args: []string{"a", "--", "--out", "o"}, pos: "a --out o"},
		{args: []string{"--out", "o", "--", "-a"}, out: "o", pos: "-a"},
		{args: []string{"a", "--help"}, pos: "a", help: true},
		{args: []string{"a", "--bogus"}, err: "x: flag provided but not defined: -bogus (see 'sparselm x --help')"},
		{args: []string{"a", "--out"}, err: "x: flag needs an argument: -out"},
	} {
		env, _, _ := fakeEnv(nil)
		fs := newFlagSet(env, "x", "x [--out DIR] ARG...")
		out := fs.String("out", "", "`directory`")
		err := fs.Parse(c.args)
		switch {
		case c.err != "":
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.args, err, c.err)
			}
			continue
		case c.help != IsHelp(err), !c.help && err != nil:
			t.Errorf("%q: err %v, want help %v", c.args, err, c.help)
		}
		if *out != c.out || strings.Join(fs.Args(), " ") != c.pos || fs.NArg() != len(fs.Args()) {
			t.Errorf("%q: --out %q, positional %q (NArg %d); want %q, %q", c.args, *out, fs.Args(), fs.NArg(), c.out, c.pos)
		}
	}
	// Commands without positional arguments name the stray one, whatever follows it.
	for _, args := range [][]string{{"eval", "test", "--ckpt", "x"}, {"stats", "valid", "--quiet", "--ckpt", "x"}} {
		if _, _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), `unexpected argument "`+args[1]+`"`) {
			t.Errorf("%q: %v, want unexpected argument %q", args, err, args[1])
		}
	}
}

// helpCommands are the command lines of every command and subcommand that
// has flags.
var helpCommands = [][]string{{"train"}, {"eval"}, {"score"}, {"generate"}, {"prune"}, {"stats"}, {"report"},
	{"study"}, {"study", "run"}, {"study", "status"}, {"study", "report"}, {"study", "emit"}, {"study", "submit"},
	{"data", "fetch"}, {"bench", "train"}, {"bench", "eval"}, {"bench", "infer"}}

// TestHelpValueNames checks the flag lines of every command's --help: the
// value name after a flag is one word (flag.UnquoteUsage takes the first
// back-quoted text of the usage, so a quoted command there became
// "--out sparselm bench infer --sweep"), a one-letter flag has one dash
// (-o, as the synopses and the README write it), and no usage shows two
// defaults ("(default the spec's threads) (default 0)").
func TestHelpValueNames(t *testing.T) {
	flagLine := regexp.MustCompile(`^  (-[a-z]|--[a-z][a-z0-9-]+)( [A-Za-z,.]+)?$`)
	for _, cmd := range helpCommands {
		stdout, _, err := run(t, append(cmd, "--help")...)
		if !IsHelp(err) {
			t.Errorf("%v --help: %v", cmd, err)
			continue
		}
		lines := strings.Split(stdout, "\n")
		for i, l := range lines {
			if !strings.HasPrefix(l, "  -") {
				continue
			}
			if !flagLine.MatchString(l) {
				t.Errorf("%v --help: flag line %q: want the flag and at most one value name", cmd, l)
			}
			if m := flagLine.FindStringSubmatch(l); m != nil && len(m[1]) == 3 && m[1][1] == '-' {
				t.Errorf("%v --help: %q: a one-letter flag is written -%s", cmd, l, m[1][2:])
			}
			if i+1 < len(lines) && strings.Count(lines[i+1], "(default") > 1 {
				t.Errorf("%v --help: %s: two defaults: %s", cmd, strings.TrimSpace(l), strings.TrimSpace(lines[i+1]))
			}
		}
	}
	stdout, _, _ := run(t, "study", "emit", "--help")
	if !strings.Contains(stdout, "\n  -o file\n") {
		t.Errorf("study emit --help lacks -o file:\n%s", stdout)
	}
}
