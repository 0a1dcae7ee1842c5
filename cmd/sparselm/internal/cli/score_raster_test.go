package cli

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/infer"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/train"
)

// tinyEGRUCheckpoint saves an untrained two-layer EGRU (H 12, 8) of the
// tiny vocabulary whose thresholds let some units fire and others not.
func tinyEGRUCheckpoint(t *testing.T) (string, *train.Checkpoint) {
	t.Helper()
	corpus, err := data.LoadDir(tinyData, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := model.Config{Cell: model.CellEGRU, Vocab: corpus.Vocab.Len(), Embed: 8, Hidden: []int{12, 8},
		ThresholdMean: 0.05, PseudoHeight: 0.3, PseudoWidth: 1}
	m, err := model.New[float32](cfg, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "egru")
	c := &train.Checkpoint{Options: train.Options{Dataset: "tiny", Model: cfg, Batch: 1, BPTT: 8, Threads: 1}, Model: m, Vocab: corpus.Vocab}
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir, c
}

// rasterJSON is the raster part of score --json.
type rasterJSON struct {
	Scored int `json:"scored"`
	Raster *struct {
		File          string    `json:"file"`
		Tokens        int       `json:"tokens"`
		TokensRead    int       `json:"tokens_read"`
		Activity      float64   `json:"activity"`
		LayerActivity []float64 `json:"layer_activity"`
	} `json:"raster"`
}

// TestScoreRaster: score --raster writes a PNG of the stated size
// (FigureWidth × FigureHeight at 300 dpi for two layers) and reports the
// activity of the outputs that an engine stepped over the same tokens
// gives; an SVG of a short text labels every token with its word, in
// order; --raster-tokens caps the picture, not the scoring, and says so.
func TestScoreRaster(t *testing.T) {
	ckpt, c := tinyEGRUCheckpoint(t)
	out := t.TempDir()
	file := filepath.Join(tinyData, "valid.txt")
	png1 := filepath.Join(out, "raster.png")
	stdout, stderr, err := run(t, "score", "--ckpt", ckpt, "--raster", png1, "--json", file)
	if err != nil {
		t.Fatalf("score --raster: %v\n%s", err, stderr)
	}
	var got rasterJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Raster == nil {
		t.Fatalf("score --json has no raster (%v):\n%s", err, stdout)
	}
	b, err := os.ReadFile(png1)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 1950 || cfg.Height != 1350 {
		t.Errorf("raster.png: %d×%d pixels (%v), want 1950×1350", cfg.Width, cfg.Height, err)
	}

	// The activity an engine's outputs give over the tokens fed (all but the last).
	text, err := data.ReadFile(file, c.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	e, err := infer.NewEvent(c.Model, 1)
	if err != nil {
		t.Fatal(err)
	}
	fed := text.IDs[:len(text.IDs)-1]
	if len(fed) > 200 {
		fed = fed[:200] // the default --raster-tokens
	}
	logits := make([]float32, e.Vocab())
	nonZero, units := make([]int, e.Layers()), make([]int, e.Layers())
	for _, id := range fed {
		e.Step([]int32{id}, logits)
		for l := range nonZero {
			for _, v := range e.Output(l) {
				if v != 0 {
					nonZero[l]++
				}
			}
			units[l] = len(e.Output(l))
		}
	}
	if got.Raster.Tokens != len(fed) || got.Raster.TokensRead != got.Scored || len(got.Raster.LayerActivity) != 2 {
		t.Fatalf("raster of %d tokens (%d read, %d scored), %d layers; want %d tokens, 2 layers", got.Raster.Tokens, got.Raster.TokensRead, got.Scored, len(got.Raster.LayerActivity), len(fed))
	}
	for l, n := range nonZero {
		if n == 0 || n == units[l]*len(fed) {
			t.Fatalf("layer %d: %d of %d outputs non-zero: pick thresholds that make some units fire", l, n, units[l]*len(fed))
		}
		if want := float64(n) / float64(units[l]*len(fed)); got.Raster.LayerActivity[l] != want {
			t.Errorf("layer %d: activity %v, the engine's outputs give %v", l, got.Raster.LayerActivity[l], want)
		}
	}
	if !strings.Contains(stderr, "the raster shows the first 200 of the") {
		t.Errorf("no note that the raster shows the first 200 tokens:\n%s", stderr)
	}

	// A short text: every token labelled, in order, in the SVG.
	short := filepath.Join(out, "short.txt")
	if err := os.WriteFile(short, []byte("the fed raised the house\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	svg := filepath.Join(out, "short.svg")
	stdout, stderr, err = run(t, "score", "--ckpt", ckpt, "--raster", svg, short)
	if err != nil {
		t.Fatalf("score --raster short.svg: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "event raster of 5 tokens written to "+svg) {
		t.Errorf("score does not say where the raster went:\n%s", stdout)
	}
	b, err = os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range regexp.MustCompile(`>([^<>]+)</text>`).FindAllSubmatch(b, -1) {
		texts = append(texts, string(m[1]))
	}
	joined := strings.Join(texts, " | ")
	if want := " | the | fed | raised | the | house"; !strings.HasSuffix(joined, want) { // the words are written last
		t.Errorf("the SVG's words are %q, want the tokens fed %q", joined, want)
	}
	if !bytes.Contains(b, []byte(`<svg width="468pt" height="324pt"`)) {
		t.Errorf("the SVG is not 6.5 × 4.5 inches:\n%.300s", b)
	}

	// --raster-tokens caps the picture and says so; the text is still scored whole.
	stdout, stderr, err = run(t, "score", "--ckpt", ckpt, "--raster", png1, "--raster-tokens", "7", "--json", file)
	if err != nil {
		t.Fatalf("score --raster-tokens 7: %v\n%s", err, stderr)
	}
	var capped rasterJSON
	if err := json.Unmarshal([]byte(stdout), &capped); err != nil || capped.Raster == nil {
		t.Fatalf("score --json has no raster (%v):\n%s", err, stdout)
	}
	if capped.Raster.Tokens != 7 || capped.Scored != got.Scored || capped.Raster.TokensRead != got.Scored {
		t.Errorf("--raster-tokens 7: %d tokens drawn, %d read, %d scored; want 7, %d, %d", capped.Raster.Tokens, capped.Raster.TokensRead, capped.Scored, got.Scored, got.Scored)
	}
	if want := "the raster shows the first 7 of the"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

// TestScoreRasterDense: an LSTM's outputs are dense; the raster is drawn
// (solid: the honest picture beside an EGRU's) and score says why.
func TestScoreRasterDense(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	path := filepath.Join(t.TempDir(), "lstm.png")
	stdout, stderr, err := run(t, "score", "--ckpt", ckpt, "--raster", path, filepath.Join(tinyData, "valid.txt"))
	if err != nil {
		t.Fatalf("score --raster: %v\n%s", err, stderr)
	}
	if want := "every unit of layer 0 was non-zero at every token"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if !strings.Contains(stdout, "100.00% of unit outputs non-zero") {
		t.Errorf("stdout does not give the activity:\n%s", stdout)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no raster: %v", err)
	}
}

// TestScoreRasterErrors: bad --raster and --raster-tokens values are
// refused, before scoring where they can be known, with a message that
// names the flag.
func TestScoreRasterErrors(t *testing.T) {
	ckpt, _ := tinyEGRUCheckpoint(t)
	dir := t.TempDir()
	file := filepath.Join(tinyData, "valid.txt")
	aFile := filepath.Join(dir, "plain")
	if err := os.WriteFile(aFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	aDir := filepath.Join(dir, "taken.png") // a directory where the picture should go: cannot be replaced
	if err := os.Mkdir(aDir, 0o755); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "r.png")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--raster", png, "--raster-tokens", "0"}, "--raster-tokens 0 must be positive"},
		{[]string{"--raster", png, "--raster-tokens", "-2"}, "--raster-tokens -2 must be positive"},
		{[]string{"--raster-tokens", "50"}, "--raster-tokens needs --raster FILE"},
		{[]string{"--raster", filepath.Join(dir, "r.jpg")}, "want .png | .svg"},
		{[]string{"--raster", filepath.Join(dir, "missing", "r.png")}, "no such file or directory"},
		{[]string{"--raster", filepath.Join(aFile, "r.png")}, "is not a directory"},
		{[]string{"--raster", aDir}, "score: --raster: "},
		// /proc takes no new files, even from root (tests run on Linux).
		{[]string{"--raster", "/proc/r.png"}, "cannot write there"},
	} {
		args := append(append([]string{"score", "--ckpt", ckpt}, c.args...), file)
		_, _, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error with %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(png); err == nil {
		t.Errorf("a refused command wrote %s", png)
	}
}
