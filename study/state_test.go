package study

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestStateLost checks when a state that says running is reported lost: a
// process on this host that is gone, or a stale heartbeat from another
// host; and not for a live process on this host (even a stopped one whose
// heartbeat is stale), another host without heartbeats, or a finished job.
func TestStateLost(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no host name:", err)
	}
	// A PID that has just exited (and, this soon, not been reused).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	dead := cmd.Process.Pid
	now := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	const beat = time.Minute
	for _, tc := range []struct {
		name string
		s    State
		want string // substring of the reason; "" for not lost
	}{
		{"stale heartbeat", State{Status: Running, Host: "elsewhere", PID: 1, Updated: now.Add(-6 * beat)}, "no heartbeat since"},
		{"fresh heartbeat, other host", State{Status: Running, Host: "elsewhere", PID: 1, Updated: now.Add(-2 * beat)}, ""},
		{"process gone on this host", State{Status: Running, Host: host, PID: dead, Updated: now}, "is gone"},
		{"process gone, no heartbeat recorded", State{Status: Running, Host: host, PID: dead}, "is gone"},
		{"this process", State{Status: Running, Host: host, PID: os.Getpid(), Updated: now}, ""},
		{"alive on this host, heartbeat stale (stopped)", State{Status: Running, Host: host, PID: os.Getpid(), Updated: now.Add(-time.Hour)}, ""},
		{"other host, no heartbeat recorded", State{Status: Running, Host: "elsewhere", PID: dead}, ""},
		{"done", State{Status: Done, Host: host, PID: dead, Updated: now.Add(-time.Hour)}, ""},
	} {
		got := tc.s.Lost(now, beat)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: Lost = %q, want %q", tc.name, got, tc.want)
		}
	}
}
