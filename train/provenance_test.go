package train

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/provenance"
)

// readJSONMap reads the JSON object in path.
func readJSONMap(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestDurationsInSeconds: the durations of the options and of the run
// state are written in seconds (save_every_s, elapsed_s), not as Go's
// nanosecond counts, and the nanosecond fields of older checkpoints still read.
func TestDurationsInSeconds(t *testing.T) {
	o := Options{SaveEvery: 5 * time.Minute, Threads: 1}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if _, ok := m["save_every"]; ok || m["save_every_s"] != 300.0 {
		t.Errorf("options JSON has save_every %v, save_every_s %v; want only save_every_s 300", m["save_every"], m["save_every_s"])
	}
	var back Options
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, o) {
		t.Errorf("round trip: %+v (%v), want %+v", back, err, o)
	}
	for in, want := range map[string]time.Duration{
		`{"save_every": 300000000000}`: 5 * time.Minute, // written before save_every_s
		`{"save_every_s": 0.25}`:       250 * time.Millisecond,
		`{"save_every_s": 0}`:          0,
	} {
		var got Options
		if err := json.Unmarshal([]byte(in), &got); err != nil || got.SaveEvery != want {
			t.Errorf("%s: SaveEvery %v (%v), want %v", in, got.SaveEvery, err, want)
		}
	}
	for _, in := range []string{`{"save_every_s": 1e300}`, `{"save_every_s": -1e300}`, `{"save_every_s": "5m"}`} {
		var got Options
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("%s: read as %v, want an error", in, got.SaveEvery)
		}
	}

	st := RunState{Elapsed: 90*time.Second + 500*time.Millisecond, Epoch: 2}
	b, err = json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	m = nil
	json.Unmarshal(b, &m)
	if _, ok := m["elapsed"]; ok || m["elapsed_s"] != 90.5 || m["epoch"] != 2.0 {
		t.Errorf("run state JSON %s; want elapsed_s 90.5 and no elapsed", b)
	}
	var stBack RunState
	if err := json.Unmarshal(b, &stBack); err != nil || !reflect.DeepEqual(stBack, st) {
		t.Errorf("round trip: %+v (%v), want %+v", stBack, err, st)
	}
	if err := json.Unmarshal([]byte(`{"elapsed": 90500000000}`), &stBack); err != nil || stBack.Elapsed != st.Elapsed {
		t.Errorf("old state: Elapsed %v (%v), want %v", stBack.Elapsed, err, st.Elapsed)
	}
}

// advancingClock is a clock that moves a millisecond at every reading and
// an hour more whenever jump is called.
type advancingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *advancingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

func (c *advancingClock) jump(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// jumpOnTest is a progress writer that moves the clock by an hour while
// the final test pass draws its bar.
type jumpOnTest struct{ clock *advancingClock }

func (j jumpOnTest) Write(b []byte) (int, error) {
	if strings.Contains(string(b), "test") {
		j.clock.jump(time.Hour)
	}
	return len(b), nil
}

// TestWallTimeIncludesTest: the run's wall time counts the final test
// pass, during which the clock moves an hour per progress line; the
// epochs' wall times (written before the test) do not.
func TestWallTimeIncludesTest(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellLSTM, corpus.Vocab.Len())
	clock := &advancingClock{now: time.Unix(0, 0)}
	res, err := (&Runner{Options: o, Corpus: corpus, Out: t.TempDir(), Now: clock.Now, Progress: jumpOnTest{clock}}).Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	last := res.History[len(res.History)-1].WallSeconds
	if last >= 3600 || res.WallSeconds < 3600 {
		t.Errorf("wall time %v s, last epoch at %v s; want the hours of the test pass in the first only", res.WallSeconds, last)
	}
}

// TestResultRecordsProvenance: result.json records the preset (in the
// options), where the run came from (the session that started it) and
// every session that resumed it, and log.jsonl has a line per session.
func TestResultRecordsProvenance(t *testing.T) {
	corpus := tinyCorpus(t)
	o := tinyOptions(model.CellEGRU, corpus.Vocab.Len())
	o.Preset = "tiny"
	out := t.TempDir()
	started := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	first := provenance.New("test", []string{"sparselm", "train", "--preset", "tiny"}, started)
	if err := first.AddData(filepath.Join("..", "testdata", "data", "tiny", "train.txt")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &Runner{Options: o, Corpus: corpus, Out: out, Provenance: first}
	r.afterStep = func(step int64) {
		if step == 30 {
			cancel()
		}
	}
	if _, err := r.Run(ctx, false); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("first session: %v", err)
	}
	second := provenance.New("test", []string{"sparselm", "train", "--out", out, "--resume"}, started.Add(time.Hour))
	res, err := (&Runner{Options: o, Corpus: corpus, Out: out, Provenance: second}).Run(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Provenance, first) || !reflect.DeepEqual(res.Resumed, []provenance.Provenance{*second}) {
		t.Errorf("result: provenance %+v, resumed %+v; want the first session and then the second", res.Provenance, res.Resumed)
	}
	m := readJSONMap(t, filepath.Join(out, FileResult))
	p, _ := m["provenance"].(map[string]any)
	opts, _ := m["options"].(map[string]any)
	if p == nil || p["vcs_revision"] != provenance.Unknown || p["started"] != "2026-12-01T09:00:00Z" || opts["preset"] != "tiny" {
		t.Errorf("result.json: provenance %v, options.preset %v", p, opts["preset"])
	}
	if data, _ := p["data"].([]any); len(data) != 1 || data[0].(map[string]any)["sha256"] == "" {
		t.Errorf("result.json: data files %v, want train.txt with its checksum", p["data"])
	}
	var back Result
	b, _ := os.ReadFile(filepath.Join(out, FileResult))
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Resumed, res.Resumed) {
		t.Errorf("result.json reads back resumed %+v (%v)", back.Resumed, err)
	}
	logged, _ := os.ReadFile(filepath.Join(out, FileLog))
	if n := strings.Count(string(logged), `"event":"session"`); n != 2 {
		t.Errorf("log.jsonl has %d session lines, want 2:\n%s", n, logged)
	}
}
