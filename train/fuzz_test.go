package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/model"
)

// fuzzCheckpoint returns the files of a small resumable checkpoint (weights,
// vocabulary, options, optimizer, state and carried state), made once.
var fuzzCheckpoint = sync.OnceValues(func() (map[string][]byte, error) {
	corpus, err := data.LoadDir(filepath.Join("..", "testdata", "data", "tiny"), data.Options{})
	if err != nil {
		return nil, err
	}
	o := tinyOptions(model.CellEGRU, corpus.Vocab.Len())
	o.Model.Embed, o.Model.Hidden = 4, []int{6, 4}
	pcg := rand.NewPCG(1, 2)
	m, err := model.New[float32](o.Model, rand.New(pcg))
	if err != nil {
		return nil, err
	}
	rng, err := pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Options: o, Model: m, Vocab: corpus.Vocab, Optim: NewOptimizer(o.Optim, len(m.Params.Data)),
		State: &RunState{Epoch: 1, Window: 1, Windows: []data.Span{{Start: 0, Len: 12}, {Start: 12, Len: 9}}, LossSum: 5.5, LossCount: 1,
			RNG: rng, BestValid: 210.5, BestEpoch: 1, History: []EpochRecord{{Epoch: 1, TrainLoss: 5.4, LR: 0.01}}},
		Carry: m.NewState(o.Batch)}
	dir, err := os.MkdirTemp("", "sparselm-fuzz-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := c.Save(filepath.Join(dir, "ckpt")); err != nil {
		return nil, err
	}
	return ckptdir.Read(filepath.Join(dir, "ckpt"))
})

// writeUnsynced writes the named files of files and a manifest of all of
// them into dir, as ckptdir.Write would but in place and without its
// fsyncs (the fuzzer writes thousands of checkpoints).
func writeUnsynced(t testing.TB, dir string, files map[string][]byte, names ...string) {
	t.Helper()
	type entry struct {
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	}
	entries := map[string]entry{}
	for name, b := range files {
		sum := sha256.Sum256(b)
		entries[name] = entry{int64(len(b)), hex.EncodeToString(sum[:])}
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mb, err := json.Marshal(map[string]any{"format": ckptdir.Format, "version": ckptdir.Version, "files": entries})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ckptdir.ManifestName), mb, 0o644); err != nil {
		t.Fatal(err)
	}
}

// nearDuration reports whether a and b agree to the precision of the
// float64 seconds that the JSON files hold: exactly up to 2^53 ns (104
// days), to a few units in the last place above.
func nearDuration(a, b time.Duration) bool {
	d := a - b
	if a < b {
		d = b - a
	}
	return d <= max(a, -a)>>50
}

// FuzzLoadCheckpoint: the JSON files of a run, options.json (file 0) and
// state.json (file 1), replaced by any bytes in an otherwise intact
// resumable checkpoint (its manifest updated to match, as a hand edit
// would), never make LoadCheckpoint panic; its errors name the checkpoint.
// What it accepts is consistent (a carried state of the options' batch, a
// state whose window and best epoch index inside their lists, windows that
// fit the run's buffers) and round-trips: options and state written again
// by their MarshalJSON read back equal (durations to the precision of their
// float seconds). Seeds are in testdata/fuzz/FuzzLoadCheckpoint.
func FuzzLoadCheckpoint(f *testing.F) {
	base, err := fuzzCheckpoint()
	if err != nil {
		f.Fatal(err)
	}
	// One directory for all inputs: each rewrites the two JSON files and
	// the manifest (the execs of a process run one at a time).
	dir := f.TempDir()
	names := make([]string, 0, len(base))
	for name := range base {
		names = append(names, name)
	}
	writeUnsynced(f, dir, base, names...)
	f.Fuzz(func(t *testing.T, file uint8, b []byte) {
		files := maps.Clone(base)
		files[[]string{fileOptions, fileState}[file%2]] = b
		writeUnsynced(t, dir, files, fileOptions, fileState)
		c, err := LoadCheckpoint(dir)
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("error %q does not name the checkpoint", err)
			}
			return
		}
		if c.Carry == nil || c.Carry.B != c.Options.Batch {
			t.Fatalf("accepted a carried state for batch %v with options of batch %d", c.Carry, c.Options.Batch)
		}
		// What the trainer indexes with on resume is in range.
		st := c.State
		if st.Epoch < 0 || st.LossCount < 0 || st.BadEpochs < 0 || st.Windows != nil && (st.Window < 0 || st.Window > len(st.Windows)) || st.BestEpoch < 0 || st.BestEpoch > len(st.History) {
			t.Fatalf("accepted a state that indexes out of range: %+v", *st)
		}
		for _, w := range st.Windows {
			if w.Start < 0 || w.Len < 1 || w.Len > c.Options.BPTT+data.VariableBPTTCap {
				t.Fatalf("accepted window %+v (bptt %d)", w, c.Options.BPTT)
			}
		}
		ob, err := json.Marshal(c.Options)
		if err != nil {
			t.Fatalf("accepted options that do not marshal: %v", err)
		}
		var o Options
		err = json.Unmarshal(ob, &o)
		if err == nil && nearDuration(o.SaveEvery, c.Options.SaveEvery) {
			o.SaveEvery = c.Options.SaveEvery
		}
		if err != nil || !reflect.DeepEqual(o, c.Options) {
			t.Fatalf("options %s, written as %s, read back as %+v, %v; want %+v", files[fileOptions], ob, o, err, c.Options)
		}
		sb, err := json.Marshal(c.State)
		if err != nil {
			t.Fatalf("accepted a state that does not marshal: %v", err)
		}
		var s RunState
		err = json.Unmarshal(sb, &s)
		if err == nil && nearDuration(s.Elapsed, c.State.Elapsed) {
			s.Elapsed = c.State.Elapsed
		}
		if err != nil || !reflect.DeepEqual(&s, c.State) {
			t.Fatalf("state %s, written as %s, read back as %+v, %v; want %+v", files[fileState], sb, s, err, *c.State)
		}
	})
}
