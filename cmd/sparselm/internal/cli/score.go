package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/infer"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/train"
)

// stdin is what `score -` reads; tests replace it.
var stdin io.Reader = os.Stdin

// engineNames lists the values of --engine.
const engineNames = "dense | event"

// loadStreaming loads the checkpoint of --ckpt and builds the engine of
// --engine with batch 1, for the commands that stream (score, generate).
func loadStreaming(cmd, ckpt, engine string) (string, *train.Checkpoint, infer.Engine, error) {
	if ckpt == "" {
		return "", nil, nil, fmt.Errorf("%s: --ckpt is required", cmd)
	}
	if engine != "dense" && engine != "event" {
		return "", nil, nil, fmt.Errorf("%s: --engine %q: want %s", cmd, engine, engineNames)
	}
	dir, c, err := openCheckpoint(cmd, ckpt)
	if err != nil {
		return "", nil, nil, err
	}
	var e infer.Engine
	if engine == "dense" {
		e, err = infer.NewDense(c.Model, 1)
	} else {
		e, err = infer.NewEvent(c.Model, 1)
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("%s: %s: %w", cmd, dir, err)
	}
	return dir, c, e, nil
}

func runScore(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "score", "score --ckpt RUN_OR_CHECKPOINT [flags] FILE|-")
	ckpt := fs.String("ckpt", "", "checkpoint directory, or a run directory (its best checkpoint is used)")
	engine := fs.String("engine", "event", "inference engine: "+engineNames)
	asJSON := fs.Bool("json", false, "print the scores as JSON")
	raster := fs.String("raster", "", "draw the event raster of the text (units against tokens, per layer) to this `file` (.png or .svg)")
	rasterTokens := fs.Int("raster-tokens", 200, "the raster shows at most the first `N` tokens (the whole text is scored)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		return errors.New("score: want one text file (or - for standard input)")
	case 1:
	default:
		return fmt.Errorf("score: want one text file (or - for standard input), got %d: %s", fs.NArg(), strings.Join(fs.Args(), " "))
	}
	file := fs.Arg(0)
	if err := checkRasterFlags(fs.given(), *raster, *rasterTokens); err != nil {
		return err
	}
	dir, c, e, err := loadStreaming("score", *ckpt, *engine)
	if err != nil {
		return err
	}
	var rec *infer.Recorder
	if *raster != "" {
		rec = infer.NewRecorder(e, *rasterTokens)
		e = rec
	}
	if c.Model.Config.ZeroStateWindow {
		fmt.Fprintf(env.Stderr, "sparselm score: warning: %s was trained with zero_state_window (c zeroed at every BPTT window); the streaming engines carry the state across the whole text, so these scores differ from sparselm eval's\n", dir)
	}
	text, err := readScoreText(file, c.Vocab)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	if rate := text.UnknownRate(); rate > data.UnknownRateWarn {
		fmt.Fprintf(env.Stderr, "sparselm score: warning: %.1f%% of the words are not in the vocabulary and are read as %s (above %g%%): the perplexity is lower than the text deserves\n",
			100*rate, data.UNK, 100*data.UnknownRateWarn)
	}
	var js *jsonStream
	if *asJSON {
		if js, err = newJSONStream(env.Stdout, map[string]any{"checkpoint": dir, "file": file, "engine": *engine}, "tokens"); err != nil {
			return fmt.Errorf("score: %w", err)
		}
	} else {
		fmt.Fprintln(env.Stdout, "pos\tword\tlogprob\tbits")
	}
	res, err := infer.ScoreTokens(ctx, e, text.IDs, func(s infer.TokenScore) error {
		if js != nil {
			return js.Item(struct {
				Word    string  `json:"word"`
				LogProb float64 `json:"logprob"`
				Bits    float64 `json:"bits"`
			}{c.Vocab.Word(s.ID), s.LogProb, s.Bits()})
		}
		_, err := fmt.Fprintf(env.Stdout, "%d\t%s\t%.6f\t%.4f\n", s.Pos, c.Vocab.Word(s.ID), s.LogProb, s.Bits())
		return err
	})
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	var drawn *rasterSummary
	if rec != nil {
		if drawn, err = saveRaster(env, *raster, rec.Raster(), dir, file, c.Vocab); err != nil {
			return err
		}
	}
	oov := map[string]any{"words": text.Words, "unknown": text.Unknown, "rate": text.UnknownRate()}
	if js != nil {
		out := map[string]any{"scored": res.Tokens, "nll": res.NLL, "bits_per_token": res.NLL / math.Ln2, "perplexity": res.PPL, "out_of_vocabulary": oov}
		if drawn != nil {
			out["raster"] = drawn
		}
		if err := js.Close(out); err != nil {
			return fmt.Errorf("score: %w", err)
		}
		return nil
	}
	source := file
	if file == "-" {
		source = "standard input"
	}
	fmt.Fprintf(env.Stdout, "%s on %s (%s engine): perplexity %.4f over %d tokens (%.4f bits per token)\n", dir, source, *engine, res.PPL, res.Tokens, res.NLL/math.Ln2)
	fmt.Fprintf(env.Stdout, "%d of %d words (%.2f%%) are not in the vocabulary and were read as %s\n", text.Unknown, text.Words, 100*text.UnknownRate(), data.UNK)
	if drawn != nil {
		fmt.Fprintf(env.Stdout, "event raster of %d tokens written to %s: %.2f%% of unit outputs non-zero (per layer %s)\n",
			drawn.Tokens, drawn.File, 100*drawn.Activity, layerPercents(drawn.LayerActivity))
	}
	return nil
}

// checkRasterFlags checks --raster and --raster-tokens before any work:
// the format of the file and that its directory exists and takes a new file
// (a file that cannot be written is otherwise found only after the whole
// text is scored).
func checkRasterFlags(given map[string]bool, path string, tokens int) error {
	if path == "" {
		if given["raster-tokens"] {
			return fmt.Errorf("score: --raster-tokens needs --raster FILE")
		}
		return nil
	}
	if tokens < 1 {
		return fmt.Errorf("score: --raster-tokens %d must be positive", tokens)
	}
	if err := report.CheckRasterPath(path); err != nil {
		return fmt.Errorf("score: --raster: %w", err)
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("score: --raster %s: %w", path, err)
	} else if !st.IsDir() {
		return fmt.Errorf("score: --raster %s: %s is not a directory", path, filepath.Dir(path))
	}
	// The picture is written beside its name and renamed (atomically):
	// try that directory now.
	f, err := os.CreateTemp(filepath.Dir(path), ".sparselm-raster-check-*")
	if err != nil {
		return fmt.Errorf("score: --raster %s: cannot write there: %w", path, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// rasterSummary is what score prints about the raster it drew.
type rasterSummary struct {
	File          string    `json:"file"`
	Tokens        int       `json:"tokens"`      // tokens drawn
	TokensRead    int       `json:"tokens_read"` // tokens fed to the model (≥ Tokens)
	Activity      float64   `json:"activity"`    // fraction of all unit outputs non-zero
	LayerActivity []float64 `json:"layer_activity"`
}

// saveRaster draws the recorded raster to path, says on stderr what the
// picture leaves out (the tokens after --raster-tokens; dense layers, which
// have no events), and returns the figures for the output.
func saveRaster(env *Env, path string, r *infer.Raster, dir, file string, v *data.Vocab) (*rasterSummary, error) {
	words := make([]string, r.Tokens())
	for t, id := range r.IDs {
		words[t] = v.Word(id)
	}
	spec := report.RasterSpec{Checkpoint: dir, Source: file, Words: words}
	if file == "-" {
		spec.Source = "standard input"
	}
	if r.Seen > r.Tokens() {
		spec.TextTokens = r.Seen
		fmt.Fprintf(env.Stderr, "sparselm score: the raster shows the first %d of the %d tokens read (--raster-tokens %d); every token is scored\n", r.Tokens(), r.Seen, r.Tokens())
	}
	layers := make([]float64, r.Layers())
	var dense []string
	for l := range layers {
		layers[l] = r.Activity(l)
		if r.Events(l) == r.Units(l)*r.Tokens() {
			dense = append(dense, strconv.Itoa(l))
		}
	}
	if len(dense) > 0 {
		layer := "layer "
		if len(dense) > 1 {
			layer = "layers "
		}
		fmt.Fprintf(env.Stderr, "sparselm score: note: every unit of %s%s was non-zero at every token: the outputs there are dense (an LSTM's h has no events), so the raster is solid\n", layer, strings.Join(dense, ", "))
	}
	if err := report.SaveRaster(path, r, spec); err != nil {
		return nil, fmt.Errorf("score: --raster: %w", err)
	}
	return &rasterSummary{File: path, Tokens: r.Tokens(), TokensRead: r.Seen, Activity: r.OverallActivity(), LayerActivity: layers}, nil
}

// layerPercents writes fractions as "12.3%, 4.5%".
func layerPercents(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%.2f%%", 100*f)
	}
	return strings.Join(parts, ", ")
}

// readScoreText reads file, or standard input for "-".
func readScoreText(file string, v *data.Vocab) (*data.Text, error) {
	if file != "-" {
		return data.ReadFile(file, v)
	}
	return data.ReadText(stdin, "standard input", v)
}
