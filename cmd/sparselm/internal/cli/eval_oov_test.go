package cli

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/train"
)

// tinyCheckpoint saves an untrained small LSTM with the tiny corpus's
// vocabulary (which has <unk>) and returns its directory.
func tinyCheckpoint(t *testing.T) string {
	t.Helper()
	corpus, err := data.LoadDir(tinyData, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.Config{Cell: model.CellLSTM, Vocab: corpus.Vocab.Len(), Embed: 8, Hidden: []int{8}}
	m, err := model.New[float32](cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	c := &train.Checkpoint{Options: train.Options{Dataset: "tiny", Model: cfg, Batch: 1, BPTT: 8, Threads: 1}, Model: m, Vocab: corpus.Vocab}
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestEvalFileUnknownWords: eval --file says how many words were outside
// the vocabulary and read as <unk> (a literal <unk> is not one), in its text
// and JSON output, and warns on stderr above data.UnknownRateWarn.
func TestEvalFileUnknownWords(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.txt")
	// 8 words: 4 unknown, 2 literal <unk>, 2 known.
	if err := os.WriteFile(unknown, []byte("zebra the <unk> yak\n\nquux <unk> the xyzzy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := run(t, "eval", "--ckpt", ckpt, "--file", unknown, "--quiet")
	if err != nil {
		t.Fatalf("eval --file: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "4 of 8 words (50.00%) are not in the vocabulary") {
		t.Errorf("eval --file output lacks the unknown-word count:\n%s", stdout)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "50.0% of the words") {
		t.Errorf("no warning on stderr for 50%% unknown words:\n%s", stderr)
	}
	stdout, _, err = run(t, "eval", "--ckpt", ckpt, "--file", unknown, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Unknown *struct {
			Words   int     `json:"words"`
			Unknown int     `json:"unknown"`
			Rate    float64 `json:"rate"`
		} `json:"out_of_vocabulary"`
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	if ev.Unknown == nil || ev.Unknown.Words != 8 || ev.Unknown.Unknown != 4 || ev.Unknown.Rate != 0.5 {
		t.Errorf("eval --json: out_of_vocabulary %+v, want 8 words, 4 unknown, rate 0.5\n%s", ev.Unknown, stdout)
	}

	// The corpus's own text: nothing unknown, no warning.
	stdout, stderr, err = run(t, "eval", "--ckpt", ckpt, "--file", filepath.Join(tinyData, "valid.txt"), "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "\n0 of 1366 words (0.00%)") || strings.Contains(stderr, "warning") {
		t.Errorf("valid.txt: stdout %q, stderr %q; want 0 unknown words and no warning", stdout, stderr)
	}
}
