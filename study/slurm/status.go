package slurm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Task is Slurm's view of one array task, that is of one job of the study.
type Task struct {
	Job      int    // the study's job ID: the array task ID
	Stage    int    // the job's stage
	SlurmJob string // the array's job ID
	State    string // squeue's %T: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, …
	Reason   string // squeue's %r: None, Dependency, DependencyNeverSatisfied, NonZeroExitCode, …
}

// ID is the task's Slurm ID, ARRAYJOB_TASK (what scancel and squeue take).
func (t Task) ID() string { return t.SlurmJob + "_" + strconv.Itoa(t.Job) }

// terminal are the job states in which a task has ended (squeue(1), JOB
// STATE CODES); every other state may still change.
var terminal = []string{"BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL",
	"OUT_OF_MEMORY", "PREEMPTED", "REVOKED", "SPECIAL_EXIT", "TIMEOUT"}

// Ended reports whether the task has ended, successfully or not.
func (t Task) Ended() bool { return slices.Contains(terminal, t.State) }

// squeueFormat is what Status asks squeue for: array job, task, state, reason.
const squeueFormat = "%F|%K|%T|%r"

// Status returns Slurm's view of the tasks of subs by study job ID, from
// one squeue call. A job is missing from it when slurmctld no longer
// knows its array (ended more than MinJobAge ago): its state file tells
// how it ended. An error is ErrNoSlurm (wrapped) without squeue.
func Status(ctx context.Context, r Runner, subs []Submission) (map[int]Task, error) {
	if len(subs) == 0 {
		return map[int]Task{}, nil
	}
	out, err := r.Run(ctx, "squeue", squeueArgs(subs)...)
	if err != nil {
		// squeue fails when it knows none of the jobs asked for.
		var ce *CommandError
		if errors.As(err, &ce) && strings.Contains(ce.Stderr, "Invalid job id specified") {
			return map[int]Task{}, nil
		}
		return nil, err
	}
	return parseSqueue(out, subs)
}

func squeueArgs(subs []Submission) []string {
	return []string{"--noheader", "--array", "--states=all", "--jobs=" + jobIDsComma(subs), "--format=" + squeueFormat}
}

func jobIDsComma(subs []Submission) string {
	return strings.ReplaceAll(jobIDs(subs), " ", ",")
}

// parseSqueue reads the lines "ARRAYJOB|TASKS|STATE|REASON" of squeue
// --format=%F|%K|%T|%r. TASKS is one task ID with --array, or a range of
// them ("2-4%2", "1,3,5-7") for an array not yet split into tasks. Lines
// of jobs not in subs, or of tasks outside their stage, are an error:
// they mean the record does not match the cluster.
func parseSqueue(out []byte, subs []Submission) (map[int]Task, error) {
	byJob := map[string]Submission{}
	for _, s := range subs {
		byJob[s.SlurmJob] = s
	}
	tasks := map[int]Task{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 4 {
			return nil, fmt.Errorf("squeue line %d %q: want 4 fields ARRAYJOB|TASK|STATE|REASON", n, line)
		}
		sub, ok := byJob[f[0]]
		if !ok {
			return nil, fmt.Errorf("squeue line %d %q: array job %s was not submitted", n, line, f[0])
		}
		ids, err := taskIDs(f[1])
		if err != nil {
			return nil, fmt.Errorf("squeue line %d %q: %w", n, line, err)
		}
		for _, id := range ids {
			if id < sub.First || id > sub.Last {
				return nil, fmt.Errorf("squeue line %d %q: task %d is outside stage %d (jobs %d-%d)", n, line, id, sub.Stage, sub.First, sub.Last)
			}
			tasks[id] = Task{Job: id, Stage: sub.Stage, SlurmJob: sub.SlurmJob, State: f[2], Reason: f[3]}
		}
	}
	return tasks, sc.Err()
}

// taskIDs expands Slurm's task list: "3", "2-4", "[2-4%2]", "1,3,6-10:2".
func taskIDs(s string) ([]int, error) {
	list := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	list, _, _ = strings.Cut(list, "%") // the array's limit
	var ids []int
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		step := 1
		if isRange {
			var st string
			if hi, st, _ = strings.Cut(hi, ":"); st != "" {
				var err error
				if step, err = strconv.Atoi(st); err != nil || step < 1 {
					return nil, fmt.Errorf("bad task list %q", s)
				}
			}
		} else {
			hi = lo
		}
		a, errA := strconv.Atoi(lo)
		b, errB := strconv.Atoi(hi)
		if errA != nil || errB != nil || a < 0 || b < a {
			return nil, fmt.Errorf("bad task list %q", s)
		}
		for i := a; i <= b; i += step {
			ids = append(ids, i)
		}
	}
	return ids, nil
}

// Wait polls Status every poll until no task of subs is pending or
// running, or ctx is done, and returns the last view. Its error names
// every task that ended other than COMPLETED, with its output file in
// the study directory dir (a task missing from the view counts as ended:
// its state file tells how).
func Wait(ctx context.Context, r Runner, dir string, subs []Submission, poll time.Duration) (map[int]Task, error) {
	for {
		tasks, err := Status(ctx, r, subs)
		if err != nil {
			return tasks, err
		}
		var active []string
		for _, t := range sorted(tasks) {
			if !t.Ended() {
				active = append(active, t.ID()+" "+t.State)
			}
		}
		if len(active) == 0 {
			var bad []string
			for _, t := range sorted(tasks) {
				if t.State != "COMPLETED" {
					bad = append(bad, fmt.Sprintf("job %d (%s) %s (%s), output in %s",
						t.Job, t.ID(), t.State, t.Reason, OutputPath(dir, t.SlurmJob, t.Stage, t.Job)))
				}
			}
			if len(bad) > 0 {
				return tasks, fmt.Errorf("%d of the study's tasks did not complete: %s", len(bad), strings.Join(bad, "; "))
			}
			return tasks, nil
		}
		select {
		case <-ctx.Done():
			return tasks, fmt.Errorf("waiting for Slurm: %w; still active: %s", ctx.Err(), strings.Join(active, ", "))
		case <-time.After(poll):
		}
	}
}

// sorted returns the tasks in job order.
func sorted(tasks map[int]Task) []Task {
	ts := make([]Task, 0, len(tasks))
	for _, t := range tasks {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b Task) int { return a.Job - b.Job })
	return ts
}
