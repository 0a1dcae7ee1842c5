package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/train"
)

// TestScoreMatchesEval: score's perplexity over a file equals eval --file
// at batch 1 to 1e-5 relative (eval runs train.Evaluate's windows, score the
// streaming engines: the same sums in other orders), with either engine,
// and reports eval's count of unknown words; - reads standard input.
func TestScoreMatchesEval(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	file := filepath.Join(tinyData, "valid.txt")
	stdout, stderr, err := run(t, "eval", "--ckpt", ckpt, "--file", file, "--batch", "1", "--json")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr)
	}
	var ev struct {
		Result struct{ PPL float64 } `json:"result"`
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil {
		t.Fatal(err)
	}
	type scored struct {
		Tokens []struct {
			Word    string  `json:"word"`
			LogProb float64 `json:"logprob"`
			Bits    float64 `json:"bits"`
		} `json:"tokens"`
		Perplexity float64                      `json:"perplexity"`
		OOV        struct{ Words, Unknown int } `json:"out_of_vocabulary"`
	}
	for _, engine := range []string{"dense", "event"} {
		stdout, stderr, err := run(t, "score", "--ckpt", ckpt, "--engine", engine, "--json", file)
		if err != nil {
			t.Fatalf("score --engine %s: %v\n%s", engine, err, stderr)
		}
		var sc scored
		if err := json.Unmarshal([]byte(stdout), &sc); err != nil {
			t.Fatal(err)
		}
		if math.Abs(sc.Perplexity-ev.Result.PPL) > 1e-5*ev.Result.PPL {
			t.Errorf("score --engine %s: perplexity %.8g, eval --file --batch 1 %.8g", engine, sc.Perplexity, ev.Result.PPL)
		}
		var nll float64
		for _, tok := range sc.Tokens {
			nll -= tok.LogProb
			if math.Abs(tok.Bits+tok.LogProb/math.Ln2) > 1e-9 {
				t.Fatalf("token %+v: bits is not −logprob/ln 2", tok)
			}
		}
		if ppl := math.Exp(nll / float64(len(sc.Tokens))); math.Abs(ppl-sc.Perplexity) > 1e-9*ppl {
			t.Errorf("the per-token log-probabilities give perplexity %g, score says %g", ppl, sc.Perplexity)
		}
	}

	// Text output, an unknown word, and standard input.
	unknown := "the zebra the\n"
	stdin = strings.NewReader(unknown)
	defer func() { stdin = os.Stdin }()
	stdout, stderr, err = run(t, "score", "--ckpt", ckpt, "-")
	if err != nil {
		t.Fatalf("score -: %v\n%s", err, stderr)
	}
	for _, want := range []string{"pos\tword\tlogprob\tbits", "1\t<unk>\t", "2\tthe\t", "3\t<eos>\t", "perplexity", "1 of 3 words (33.33%) are not in the vocabulary"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("score - lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "warning") {
		t.Errorf("no warning for 33%% unknown words:\n%s", stderr)
	}
	if !strings.Contains(stdout, "on standard input") {
		t.Errorf("score - does not name standard input in its summary:\n%s", stdout)
	}
	// Empty standard input: an error that names it, not a temporary file.
	stdin = strings.NewReader("")
	if _, _, err := run(t, "score", "--ckpt", ckpt, "-"); err == nil || err.Error() != "score: data: standard input: empty file" {
		t.Errorf("score - of nothing: %v, want \"score: data: standard input: empty file\"", err)
	}
}

// TestGenerate: the same seed gives the same text, both engines give it,
// another seed another text, and <eos> ends a line.
func TestGenerate(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	gen := func(extra ...string) string {
		t.Helper()
		stdout, stderr, err := run(t, append([]string{"generate", "--ckpt", ckpt, "--tokens", "60"}, extra...)...)
		if err != nil {
			t.Fatalf("generate %v: %v\n%s", extra, err, stderr)
		}
		return stdout
	}
	a := gen("--seed", "3")
	if b := gen("--seed", "3"); a != b {
		t.Errorf("seed 3 twice:\n%q\n%q", a, b)
	}
	if d := gen("--seed", "3", "--engine", "dense"); a != d {
		t.Errorf("seed 3, event and dense engines:\n%q\n%q", a, d)
	}
	if b := gen("--seed", "4"); a == b {
		t.Errorf("seeds 3 and 4 gave the same text %q", a)
	}
	if words := len(strings.Fields(a)) + strings.Count(a, "\n") - 1; words != 60 || strings.Contains(a, "<eos>") {
		t.Errorf("60 tokens gave %d words and line ends:\n%q", words, a)
	}
	g := gen("--prompt", "the", "--temperature", "0", "--top-k", "5", "--top-p", "0.5")
	if g != gen("--prompt", "the", "--temperature", "0", "--seed", "9") {
		t.Errorf("greedy depends on the seed or the filters:\n%q", g)
	}
}

// TestStreamErrors: each user error of generate and score is refused with
// a message that names what is wrong.
func TestStreamErrors(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	notModel := t.TempDir()
	file := filepath.Join(tinyData, "valid.txt")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--ckpt", ckpt, "--prompt", ""}, "prompt \"\" has no words"},
		{[]string{"generate", "--ckpt", ckpt, "--prompt", "zebra yak"}, "none of the 2 words of the prompt"},
		{[]string{"generate", "--ckpt", notModel}, "is not a sparselm checkpoint"},
		{[]string{"score", "--ckpt", notModel, file}, "is not a sparselm checkpoint"},
		{[]string{"generate"}, "--ckpt is required"},
		{[]string{"generate", "--ckpt", ckpt, "--tokens", "0"}, "--tokens 0 must be positive"},
		{[]string{"generate", "--ckpt", ckpt, "--tokens", "-3"}, "--tokens -3 must be positive"},
		{[]string{"generate", "--ckpt", ckpt, "--temperature", "-0.5"}, "--temperature = -0.5 must be"},
		{[]string{"generate", "--ckpt", ckpt, "--top-k", "-1"}, "--top-k = -1 must be"},
		{[]string{"generate", "--ckpt", ckpt, "--top-p", "0"}, "--top-p = 0 must be in (0, 1]"},
		{[]string{"generate", "--ckpt", ckpt, "--top-p", "1.5"}, "--top-p = 1.5 must be in (0, 1]"},
		{[]string{"generate", "--ckpt", ckpt, "--engine", "sparse"}, "--engine \"sparse\""},
		{[]string{"score", "--ckpt", ckpt, "--engine", "gpu", file}, "--engine \"gpu\""},
		{[]string{"score", "--ckpt", ckpt}, "want one text file"},
		{[]string{"score", "--ckpt", ckpt, filepath.Join(t.TempDir(), "missing.txt")}, "no such file"},
	} {
		_, _, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

// TestStreamCancelled: generate and score stop at once with an error that
// wraps context.Canceled when their context is cancelled (Ctrl-C).
func TestStreamCancelled(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	for _, args := range [][]string{
		{"generate", "--ckpt", ckpt, "--tokens", "100000"},
		{"score", "--ckpt", ckpt, filepath.Join(tinyData, "train.txt")},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr bytes.Buffer
		err := Run(ctx, &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}, args)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want an error wrapping context.Canceled", args[0], err)
		}
		if stdout.Len() > 100 {
			t.Errorf("%s with a cancelled context printed %d bytes", args[0], stdout.Len())
		}
	}
}

// TestScoreZeroStateWindowWarns: the streaming engines cannot reproduce a
// model trained with zero_state_window (infer/doc.go); score says so.
func TestScoreZeroStateWindowWarns(t *testing.T) {
	corpus, err := data.LoadDir(tinyData, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, zero := range []bool{false, true} {
		cfg := model.Config{Cell: model.CellEGRU, Vocab: corpus.Vocab.Len(), Embed: 8, Hidden: []int{8}, ThresholdMean: 0.1, PseudoHeight: 0.3, PseudoWidth: 1, ZeroStateWindow: zero}
		m, err := model.New[float32](cfg, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "ckpt")
		c := &train.Checkpoint{Options: train.Options{Dataset: "tiny", Model: cfg, Batch: 1, BPTT: 8, Threads: 1}, Model: m, Vocab: corpus.Vocab}
		if err := c.Save(dir); err != nil {
			t.Fatal(err)
		}
		_, stderr, err := run(t, "score", "--ckpt", dir, filepath.Join(tinyData, "valid.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if warned := strings.Contains(stderr, "zero_state_window"); warned != zero {
			t.Errorf("zero_state_window %v: stderr %q", zero, stderr)
		}
	}
}
