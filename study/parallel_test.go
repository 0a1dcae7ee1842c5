package study

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunParallel checks the scheduler with a launcher that records the
// order: every job runs once, after its dependencies, never more than
// workers at a time; a failure stops new launches.
func TestRunParallel(t *testing.T) {
	s := DefaultSpec("tiny")
	s.Seeds = []uint64{1, 2}
	jobs := Plan(s)
	dir := t.TempDir()
	var mu sync.Mutex
	finished := map[int]bool{}
	running, most := 0, 0
	launch := func(_ context.Context, j Job) error {
		mu.Lock()
		for _, d := range j.Deps {
			if !finished[d] {
				t.Errorf("job %d started before its dependency %d finished", j.ID, d)
			}
		}
		if finished[j.ID] {
			t.Errorf("job %d ran twice", j.ID)
		}
		running++
		most = max(most, running)
		if j.Kind == KindBench && running > 1 {
			t.Errorf("bench job %d started beside another job", j.ID)
		}
		mu.Unlock()
		time.Sleep(time.Millisecond) // let the scheduler start the others meanwhile
		mu.Lock()
		running--
		finished[j.ID] = true
		mu.Unlock()
		return nil
	}
	if err := RunParallel(context.Background(), dir, s, 2, launch, &Env{}); err != nil {
		t.Fatal(err)
	}
	if len(finished) != len(jobs) || most != 2 {
		t.Errorf("%d of %d jobs ran, at most %d at once (want all, 2 at once)", len(finished), len(jobs), most)
	}

	// A failing training job: its dependents never start.
	calls := map[int]bool{}
	fail := func(_ context.Context, j Job) error {
		mu.Lock()
		defer mu.Unlock()
		calls[j.ID] = true
		if j.ID == 0 {
			return errors.New("boom")
		}
		return nil
	}
	err := RunParallel(context.Background(), t.TempDir(), s, 1, fail, &Env{})
	if err == nil || !strings.Contains(err.Error(), "job 0 (train lstm seed 1): boom") {
		t.Errorf("err = %v, want job 0's failure", err)
	}
	if calls[jobs[len(jobs)-1].ID] {
		t.Error("the report was launched after a failure")
	}
}
