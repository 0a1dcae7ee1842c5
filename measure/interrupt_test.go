package measure_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sparselm/sparselm/measure"
)

// TestRunStopsWhenCancelled cancels the context after the third window and
// checks that Run counts no further window, returns the accounting of the
// three with an error wrapping the cause, and returns at once for a context
// cancelled before it starts.
func TestRunStopsWhenCancelled(t *testing.T) {
	corpus, m := tinyEGRU(t)
	cause := errors.New("test stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	calls := 0
	r, err := measure.Run(ctx, m, corpus.Valid, 1, 20, func(int64, float64) {
		if calls++; calls == 3 {
			cancel(cause)
		}
	})
	if !errors.Is(err, cause) {
		t.Fatalf("error %v, want one that wraps the cause", err)
	}
	if calls != 3 || r == nil || r.Tokens != 3*20 {
		t.Fatalf("%d windows counted, report %+v; want 3 windows of 20 tokens and their report", calls, r)
	}
	if r.Model.MACs.Dense == 0 || r.PPL <= 1 {
		t.Errorf("the report of the windows counted is empty: %+v", r)
	}
	if _, err := measure.Run(ctx, m, corpus.Valid, 1, 20, nil); !errors.Is(err, cause) {
		t.Errorf("already cancelled: error %v, want the cause", err)
	}
}
