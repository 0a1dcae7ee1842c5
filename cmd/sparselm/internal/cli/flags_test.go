package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// helpDefault returns the default that --help shows for flag name, or
// fails the test if the flag is not listed.
func helpDefault(t *testing.T, help, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^  --` + regexp.QuoteMeta(name) + `\b.*\n(?:    .*\n)*?.*\(default ([^)]*)\)`)
	m := re.FindStringSubmatch(help)
	if m == nil {
		t.Fatalf("--help does not list --%s with a default:\n%s", name, help)
	}
	return m[1]
}

// TestTrainHelpShowsPresetDefaults checks that train --help shows the values
// of the preset and model on its command line (wherever --help stands), on
// standard output, with one header (issue 10, defect 2).
func TestTrainHelpShowsPresetDefaults(t *testing.T) {
	for _, args := range [][]string{
		{"train", "--preset", "small", "--model", "egru", "--help"},
		{"train", "--help", "--model", "egru", "--preset", "small"},
		{"train", "--model=egru", "-h"},
	} {
		stdout, stderr, err := run(t, args...)
		if !IsHelp(err) {
			t.Fatalf("%v: err = %v", args, err)
		}
		if stderr != "" {
			t.Errorf("%v: help went to stderr too:\n%s", args, stderr)
		}
		if n := strings.Count(stdout, "Usage:"); n != 1 {
			t.Errorf("%v: %d Usage headers", args, n)
		}
		if n := strings.Count(stdout, "Flags:"); n != 1 {
			t.Errorf("%v: %d Flags headers", args, n)
		}
		// The small EGRU's recipe (train.Preset), not the small LSTM's.
		for name, want := range map[string]string{"beta1": "0", "weight-decay": "0.1", "threshold-mean": "0.2",
			"activity-reg": "0.03", "threshold-lr": "0.001", "model": "egru", "preset": "small", "hidden": "256,256", "lr": "0.002"} {
			if got := helpDefault(t, stdout, name); got != want {
				t.Errorf("%v: --%s shown as %q, want %q", args, name, got, want)
			}
		}
	}
	stdout, _, err := run(t, "train", "--preset", "tiny", "--help")
	if !IsHelp(err) {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"beta1": "0.9", "embed": "16", "hidden": "32,16", "model": "lstm", "epochs": "2"} {
		if got := helpDefault(t, stdout, name); got != want {
			t.Errorf("tiny LSTM: --%s shown as %q, want %q", name, got, want)
		}
	}
	// A flag given besides the preset shows as given.
	stdout, _, _ = run(t, "train", "--preset", "tiny", "--lr", "0.5", "--help")
	if got := helpDefault(t, stdout, "lr"); got != "0.5" {
		t.Errorf("--lr 0.5 --help shows %q", got)
	}
	if _, _, err := run(t, "train", "--preset", "huge", "--help"); err == nil || IsHelp(err) || !strings.Contains(err.Error(), "unknown preset") {
		t.Errorf("--preset huge --help: %v", err)
	}
}

// TestHelpGoesToStdout checks every command's --help (issue 10, defect 2).
func TestHelpGoesToStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}, {"train", "--help"}, {"eval", "--help"}, {"stats", "-h"},
		{"prune", "--help"}, {"report", "--help"}, {"data", "--help"}, {"data", "fetch", "--help"},
		{"bench", "--help"}, {"bench", "train", "--help"}} {
		stdout, stderr, err := run(t, args...)
		if !IsHelp(err) {
			t.Errorf("%v: err = %v, want the help error (exit 0)", args, err)
		}
		if !strings.Contains(stdout, "Usage") || stderr != "" {
			t.Errorf("%v: stdout %q, stderr %q; want the usage on stdout only", args, firstLine(stdout), firstLine(stderr))
		}
	}
	// Errors stay on stderr (printed once by main), help text off stdout.
	stdout, _, err := run(t, "eval", "--bogus")
	if err == nil || !strings.Contains(err.Error(), "bogus") || stdout != "" {
		t.Errorf("eval --bogus: err %v, stdout %q", err, stdout)
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		stdout, _, err := run(t, args...)
		if err != nil || !strings.HasPrefix(stdout, "sparselm "+Version) {
			t.Errorf("%v: %v, %q", args, err, stdout)
		}
	}
}

// TestTrainDryRun checks that --dry-run prints the resolved settings as
// JSON and writes nothing (issue 10, defect 2).
func TestTrainDryRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, err := run(t, "train", "--preset", "small", "--model", "egru", "--dataset", tinyData, "--lr", "0.004",
		"--out", out, "--dry-run")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var got struct {
		Out     string `json:"out"`
		Resume  bool   `json:"resume"`
		Options struct {
			Preset string `json:"preset"`
			Model  struct {
				Cell          string  `json:"cell"`
				Vocab         int     `json:"vocab"`
				ThresholdMean float64 `json:"threshold_mean"`
			} `json:"model"`
			Optim struct {
				LR    float64 `json:"lr"`
				Beta1 float64 `json:"beta1"`
			} `json:"optimizer"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--dry-run output is not JSON: %v\n%s", err, stdout)
	}
	// The small EGRU's recipe with --lr overlaid, the vocabulary of the corpus.
	o := got.Options
	if o.Optim.LR != 0.004 || o.Optim.Beta1 != 0 || o.Model.ThresholdMean != 0.2 || o.Model.Cell != "egru" ||
		o.Preset != "small" || o.Model.Vocab < 2 || got.Out != out || got.Resume {
		t.Errorf("--dry-run settings: %+v", got)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--dry-run created %s (%v)", out, err)
	}
	// --embed alone sets the last layer too (the decoder is tied to the embedding).
	stdout, stderr, err = run(t, "train", "--preset", "tiny", "--dataset", tinyData, "--embed", "24", "--dry-run")
	if err != nil {
		t.Fatalf("--embed 24: %v\n%s", err, stderr)
	}
	var tied struct {
		Options struct {
			Model struct {
				Embed  int   `json:"embed"`
				Hidden []int `json:"hidden"`
			} `json:"model"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(stdout), &tied); err != nil || tied.Options.Model.Embed != 24 || fmt.Sprint(tied.Options.Model.Hidden) != "[32 24]" {
		t.Errorf("--embed 24 with the tiny preset: %v %+v", err, tied.Options.Model)
	}
}

// TestFlagValidation covers the invocations that must be refused like
// train's (issue 10, defect 3); none may leave an output directory behind.
func TestFlagValidation(t *testing.T) {
	src := tinyRun(t, "lstm")
	out := filepath.Join(t.TempDir(), "p")
	prune := []string{"prune", "--ckpt", src, "--out", out, "--quiet", "--epoch-tokens", "300", "--stats-bptt", "16", "--threads", "1"}
	cases := []struct {
		args []string
		want string
	}{
		{append(prune, "--schedule", "oneshot", "--levels", "0.5,0.5"), "0.5 twice"},
		{append(prune, "--lr", "-1"), "--lr"},
		{append(prune, "--epoch-tokens", "-2"), "--epoch-tokens"},
		{append(prune, "--threads", "-1"), "--threads"},
		{append(prune, "--stats-batch", "0"), "--stats-batch"},
		{append(prune, "--stats-bptt", "0"), "--stats-bptt"},
		{append(prune, "--save-every", "-1s"), "--save-every"},
		{append(prune, "--constant-frac", "2"), "--constant-frac"},
		{append(prune, "--schedule", "gradual", "--target", "0.5", "--every", "0"), "--every"},
		{append(prune, "--schedule", "gradual", "--target", "0.5", "--start-frac", "0.6"), "--start-frac"},
		{[]string{"eval", "--ckpt", src, "--threads", "-1"}, "--threads"},
		{[]string{"eval", "--ckpt", src, "--batch", "0"}, "--batch"},
		{[]string{"stats", "--ckpt", src, "--threads", "-1"}, "--threads"},
		{tinyTrain("lstm", out, "--threads", "-1"), "--threads"},
		{tinyTrain("lstm", out, "--save-every", "-1s"), "--save-every"},
	}
	for _, c := range cases {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to mention %q", c.args[1:], err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: the refused command left %s behind", c.args[1:], out)
			os.RemoveAll(out)
		}
	}
}

func TestThreadsWarning(t *testing.T) {
	src := tinyRun(t, "lstm")
	n := fmt.Sprint(runtime.NumCPU() + 1)
	_, stderr, err := run(t, "stats", "--ckpt", src, "--bptt", "16", "--quiet", "--threads", n)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "--threads "+n) {
		t.Errorf("--threads %s: stderr %q, want a warning", n, stderr)
	}
}
