package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sparselm/sparselm/train"
)

// TestMain doubles as the sparselm binary when SPARSELM_CLI_MAIN is set, so
// tests can run the real command line in a child process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("SPARSELM_CLI_MAIN") == "1" {
		err := Run(context.Background(), &Env{Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:])
		if err != nil && !IsHelp(err) {
			os.Stderr.WriteString("sparselm: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var tinyData = filepath.Join("..", "..", "testdata", "data", "tiny")

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
			if cell == "egru" && !strings.Contains(stdout, "activity sparsity") {
				t.Errorf("EGRU train output lacks the activity sparsity:\n%s", stdout)
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
// its work and resumes it; the result must equal an uninterrupted run's.
func TestKillAndResume(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if _, stderr, err := run(t, tinyTrain("egru", ref, "--save-every", "0s")...); err != nil {
		t.Fatalf("reference run: %v\n%s", err, stderr)
	}
	killed := filepath.Join(dir, "killed")
	cmd := exec.Command(os.Args[0], tinyTrain("egru", killed, "--save-every", "0s")...)
	cmd.Env = append(os.Environ(), "SPARSELM_CLI_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the run has written a few checkpoints, then kill it without warning.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join(killed, train.DirLast, "state.json"))
		if err == nil && bytes.Contains(b, []byte(`"window": 5`)) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(killed, train.FileResult)); err == nil {
		t.Skip("the child finished before it could be killed; nothing to test")
	}
	if _, stderr, err := run(t, append(tinyTrain("egru", killed, "--save-every", "0s"), "--resume")...); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(ref, train.FileResult))
	b, _ := os.ReadFile(filepath.Join(killed, train.FileResult))
	var ra, rb train.Result
	json.Unmarshal(a, &ra)
	json.Unmarshal(b, &rb)
	if ra.Test == nil || rb.Test == nil || ra.Test.PPL != rb.Test.PPL || ra.BestValid.PPL != rb.BestValid.PPL {
		t.Errorf("killed and resumed run differs from the uninterrupted one:\n%s\n%s", a, b)
	}
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
		_, stderr, err := run(t, cmd, "--help")
		if !IsHelp(err) || !strings.Contains(stderr, "Usage: sparselm "+cmd) {
			t.Errorf("%s --help: %v\n%s", cmd, err, stderr)
		}
	}
	if _, stderr, err := run(t, "--help"); !IsHelp(err) || !strings.Contains(stderr, "Commands:") {
		t.Errorf("--help: %v\n%s", err, stderr)
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
