package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/model"
)

// marker is a value no weight, moment or state of a fresh tiny model holds
// (they are within ±1), so its four bytes locate one element in a file.
const marker = float32(1234.5)

// markedCheckpoint saves a small resumable checkpoint whose weights hold
// marker at element 17 of layers.0.W and element 3 of decoder.bias, its
// optimizer moment v at element 5 and its carried state c.1 at element 2,
// and returns its files.
func markedCheckpoint(t *testing.T) map[string][]byte {
	t.Helper()
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellEGRU, corpus.Vocab.Len())
	o.Model.Embed, o.Model.Hidden = 4, []int{6, 4}
	m, err := model.New[float32](o.Model, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []struct {
		name string
		j    int
	}{{"layers.0.W", 17}, {"decoder.bias", 3}} {
		i, ok := m.Params.Lookup(at.name)
		if !ok {
			t.Fatalf("no tensor %q", at.name)
		}
		m.Params.Value(i)[at.j] = marker
	}
	opt := NewOptimizer(o.Optim, len(m.Params.Data))
	opt.V[5] = marker
	carry := m.NewState(o.Batch)
	carry.C[1][2] = marker
	c := &Checkpoint{Options: o, Model: m, Vocab: corpus.Vocab, Optim: opt, Carry: carry,
		State: &RunState{Epoch: 1, BestEpoch: 0}}
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	files, err := ckptdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// replaceMarker returns b with its first occurrence of marker's bytes
// replaced by v's; it fails the test if b holds none.
func replaceMarker(t *testing.T, b []byte, v float32) []byte {
	t.Helper()
	old := binary.LittleEndian.AppendUint32(nil, math.Float32bits(marker))
	if !bytes.Contains(b, old) {
		t.Fatal("the marker is not in the file")
	}
	return bytes.Replace(b, old, binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)), 1)
}

// TestNonFiniteCheckpointRefused overwrites one element of the weights, an
// optimizer moment or the carried state of a checkpoint with NaN or ±Inf
// (as a diverged run or a hand edit would leave it, the manifest updated)
// and checks that LoadCheckpoint refuses it with an error naming the
// tensor, the element and the cause, where before the model evaluated to
// perplexity NaN; and that Save refuses to write such a checkpoint.
func TestNonFiniteCheckpointRefused(t *testing.T) {
	base := markedCheckpoint(t)
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		file string
		v    float32
		want string
	}{
		{fileWeights, float32(math.NaN()), `weights: tensor "layers.0.W" holds NaN at element 17: the weights are not finite (a diverged run?)`},
		{fileOptimizer, inf, `optimizer moment "v" holds +Inf at element 5: the training state is not finite (a diverged run?)`},
		{fileCarry, -inf, `carried state "c.1" holds -Inf at element 2: the training state is not finite (a diverged run?)`},
	} {
		files := maps.Clone(base)
		files[c.file] = replaceMarker(t, files[c.file], c.v)
		dir := t.TempDir()
		writeUnsynced(t, dir, files, fileWeights, fileVocab, fileOptions, fileOptimizer, fileState, fileCarry)
		_, err := LoadCheckpoint(dir)
		if want := "checkpoint " + dir + ": " + c.want; err == nil || err.Error() != want {
			t.Errorf("%s holding %v: error %v, want %q", c.file, c.v, err, want)
		}
	}
	// The second marker of the weights, in decoder.bias, made +Inf.
	files := maps.Clone(base)
	files[fileWeights] = replaceMarker(t, replaceMarker(t, files[fileWeights], 0), inf)
	dir := t.TempDir()
	writeUnsynced(t, dir, files, fileWeights, fileVocab, fileOptions, fileOptimizer, fileState, fileCarry)
	if _, err := LoadCheckpoint(dir); err == nil || !strings.Contains(err.Error(), `"decoder.bias" holds +Inf at element 3`) || !errors.Is(err, model.ErrNotFinite) {
		t.Errorf("decoder.bias holding +Inf: error %v", err)
	}

	var c *Checkpoint
	for _, poison := range []func(){
		func() { c.Model.Params.Data[0] = float32(math.NaN()) },
		func() { c.Optim.M[1] = inf },
		func() { c.Carry.S[0][0] = float32(math.NaN()) },
	} {
		var err error
		c, err = LoadCheckpoint(writeDir(t, base))
		if err != nil {
			t.Fatal(err)
		}
		poison()
		out := filepath.Join(t.TempDir(), "ckpt")
		if err := c.Save(out); !notFinite(err) {
			t.Errorf("Save of a checkpoint that is not finite: error %v", err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("Save wrote %s for a checkpoint that is not finite (%v)", out, err)
		}
	}
}

// writeDir writes files as a checkpoint into a new directory and returns it.
func writeDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	writeUnsynced(t, dir, files, names...)
	return dir
}

// TestNonFiniteUpdateNotSaved: a step whose loss is finite but whose update
// leaves a weight NaN (here set by OnStep after step 3, with a checkpoint due
// after every window) stops the run with ErrDiverged before last/ is
// rewritten, so last/ still holds step 2 and loads; before, the run wrote a
// last/ that every later command read as perplexity NaN.
func TestNonFiniteUpdateNotSaved(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
	o.SaveEvery, o.SkipTest = 0, true
	out := t.TempDir()
	r := &Runner{Options: o, Corpus: corpus, Out: out, OnStep: func(step int64, p *model.Params[float32]) {
		if step == 3 {
			p.Data[len(p.Data)-1] = float32(math.NaN())
		}
	}}
	_, err := r.Run(context.Background(), false)
	if !errors.Is(err, ErrDiverged) || !errors.Is(err, model.ErrNotFinite) || !strings.Contains(err.Error(), "after optimizer step 3") {
		t.Fatalf("run: error %v, want ErrDiverged after step 3 for weights that are not finite", err)
	}
	c, err := LoadCheckpoint(filepath.Join(out, DirLast))
	if err != nil || c.Optim.Step != 2 {
		t.Fatalf("last/ after the refused save: %v (want the checkpoint of step 2)", err)
	}
}

// TestOptionsMustMatchWeights replaces options.json of a checkpoint and
// checks what LoadCheckpoint makes of it: the model is built from the
// weights' config, so options whose model config differs (another cell,
// other widths, none at all) are refused naming the first field that
// differs, before they could mislead a reader of the checkpoint; so are
// fields Options does not have and data after the object. A resumable
// checkpoint's options must validate as well; those of a weights-only
// checkpoint (best/) need only describe the weights, as the hand-made
// checkpoints of older tests do. Options written in the older form
// (save_every in nanoseconds) still read.
func TestOptionsMustMatchWeights(t *testing.T) {
	resumable := markedCheckpoint(t)
	weightsOnly := maps.Clone(resumable)
	delete(weightsOnly, fileOptimizer)
	delete(weightsOnly, fileState)
	delete(weightsOnly, fileCarry)
	edit := func(f func(o, m map[string]any)) []byte {
		var o map[string]any
		if err := json.Unmarshal(resumable[fileOptions], &o); err != nil {
			t.Fatal(err)
		}
		f(o, o["model"].(map[string]any))
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name    string
		options []byte
		base    map[string][]byte
		want    string // "" for a checkpoint that loads
	}{
		{"unchanged", resumable[fileOptions], resumable, ""},
		{"unchanged, weights only", resumable[fileOptions], weightsOnly, ""},
		{"cell", edit(func(_, m map[string]any) { m["cell"] = "gru" }), weightsOnly,
			`options.json gives model.cell = "gru", but model.safetensors holds a model with "egru": the options are not those of these weights`},
		{"hidden", edit(func(_, m map[string]any) { m["hidden"] = []int{8, 4} }), resumable,
			`options.json gives model.hidden = 8,4, but model.safetensors holds a model with 6,4`},
		{"dropout", edit(func(_, m map[string]any) { m["drop_word"] = 0.3 }), weightsOnly,
			`options.json gives model.drop_word = 0.3, but model.safetensors holds a model with 0.1`},
		{"empty object", []byte("{}"), weightsOnly, `options.json gives model.cell = "", but model.safetensors holds a model with "egru"`},
		{"unknown field", edit(func(o, _ map[string]any) { o["bacth"] = 4 }), weightsOnly, `options.json: json: unknown field "bacth"`},
		{"unknown model field", edit(func(_, m map[string]any) { m["hiden"] = []int{6, 4} }), weightsOnly, `options.json: json: unknown field "hiden"`},
		{"data after the object", append(slices.Clone(resumable[fileOptions]), []byte(" {}")...), weightsOnly, "options.json: data after the options object"},
		{"invalid, resumable", edit(func(o, _ map[string]any) { o["eval_bptt"] = 0 }), resumable, "options.json: train: eval_bptt = 0 must be positive"},
		{"invalid, weights only", edit(func(o, _ map[string]any) { o["eval_bptt"] = 0 }), weightsOnly, ""},
		{"save_every in nanoseconds", edit(func(o, _ map[string]any) {
			delete(o, "save_every_s")
			o["save_every"] = 3600e9
		}), resumable, ""},
	} {
		files := maps.Clone(c.base)
		files[fileOptions] = c.options
		dir := writeDir(t, files)
		ck, err := LoadCheckpoint(dir)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && (ck.Options.Model.Cell != model.CellEGRU || ck.Options.SaveEvery != time.Hour):
			t.Errorf("%s: loaded options %+v", c.name, ck.Options)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), "checkpoint "+dir+": ") || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
