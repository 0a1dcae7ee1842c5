package study

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sparselm/sparselm/internal/ckptdir"
)

// Status is where a job stands.
type Status string

const (
	Pending Status = "pending" // no state file: not started
	Running Status = "running" // started and not finished (or killed: see State.Host and PID)
	Done    Status = "done"    // every output complete
	Failed  Status = "failed"  // stopped with an error (State.Error)
	// Interrupted: stopped by a signal (Ctrl-C, SIGTERM: a cancelled
	// context) before it finished; running the study again continues it.
	Interrupted Status = "interrupted"
)

// State is the content of a job's state file, jobs/N.json in the study
// directory, written atomically when the job starts and when it ends.
// Schedulers and `sparselm study status` read success from it (Slurm without
// its accounting database has no sacct).
type State struct {
	Job     int       `json:"job"`
	Name    string    `json:"name"`
	Status  Status    `json:"status"`
	Host    string    `json:"host,omitempty"`
	PID     int       `json:"pid,omitempty"`
	Started time.Time `json:"started,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
	// Updated is the last heartbeat of a running job (see Env.Heartbeat):
	// a running job whose heartbeat stopped was killed.
	Updated time.Time `json:"updated,omitzero"`
	Error   string    `json:"error,omitempty"`
}

// Lost reports why a state that says running belongs to a job that is no
// longer running, or "" when it may still be. On this host (by name) the
// process decides: gone is lost; alive is not, even with a stale heartbeat
// (a stopped process, SIGSTOP or Ctrl-Z, beats no more but must not be run
// twice). Elsewhere a heartbeat older than five intervals (beat,
// Env.Heartbeat's default a minute) is lost; a state from before
// heartbeats (no Updated) cannot be judged there.
func (s State) Lost(now time.Time, beat time.Duration) string {
	if s.Status != Running {
		return ""
	}
	if host, err := os.Hostname(); err == nil && s.Host == host && s.PID > 0 {
		if processAlive(s.PID) {
			return ""
		}
		return fmt.Sprintf("its process %d on %s is gone: killed", s.PID, s.Host)
	}
	if !s.Updated.IsZero() && now.Sub(s.Updated) > 5*beat {
		return fmt.Sprintf("no heartbeat since %s (%s ago; it beats every %s): killed",
			s.Updated.Format(time.RFC3339), now.Sub(s.Updated).Round(time.Second), beat)
	}
	return ""
}

// StatePath is the state file of job id in the study directory dir.
func StatePath(dir string, id int) string {
	return filepath.Join(dir, DirState, strconv.Itoa(id)+".json")
}

// ReadState reads job id's state; a job without a state file is Pending.
func ReadState(dir string, id int) (State, error) {
	b, err := os.ReadFile(StatePath(dir, id))
	if errors.Is(err, os.ErrNotExist) {
		return State{Job: id, Status: Pending}, nil
	}
	if err != nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("%s: %w", StatePath(dir, id), err)
	}
	return s, nil
}

// writeState writes s atomically (a reader sees the old or the new file).
func writeState(dir string, s State) error {
	if err := os.MkdirAll(filepath.Join(dir, DirState), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	return ckptdir.WriteFile(StatePath(dir, s.Job), append(b, '\n'))
}
