package slurm

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/study"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// threeStages is a plan as study.Plan lays one out, written by hand so
// that the golden files change only with this package: two models
// trained, each pruned to one level, the report.
var threeStages = []study.Job{
	{ID: 0, Stage: 0, Kind: study.KindTrain, Model: "lstm", Seed: 1, Dir: "runs/lstm-seed1/train"},
	{ID: 1, Stage: 0, Kind: study.KindTrain, Model: "egru", Seed: 1, Dir: "runs/egru-seed1/train"},
	{ID: 2, Stage: 1, Kind: study.KindPrune, Model: "lstm", Seed: 1, Level: 0.9, Deps: []int{0}, Dir: "runs/lstm-seed1/level-0.90"},
	{ID: 3, Stage: 1, Kind: study.KindPrune, Model: "egru", Seed: 1, Level: 0.9, Deps: []int{1}, Dir: "runs/egru-seed1/level-0.90"},
	{ID: 4, Stage: 2, Kind: study.KindReport, Deps: []int{0, 1, 2, 3}, Dir: "report"},
}

func TestScriptsGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		// No cluster settings: the partition's defaults, one CPU.
		{"defaults", Options{Binary: "/opt/sparselm/bin/sparselm"}},
		// Every setting, and a binary path the shell must quote.
		{"options", Options{Partition: "cpu", Time: "2:00:00", CPUsPerTask: 4, ArrayLimit: 1, JobName: "ptb",
			Binary: "/home/o'neil/my bin/sparselm"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scripts, err := Scripts("/studies/tiny", threeStages, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(scripts) != 3 {
				t.Fatalf("%d scripts, want one per stage, 3", len(scripts))
			}
			for k, s := range scripts {
				if want := fmt.Sprintf("/studies/tiny/slurm/stage-%d.sbatch", k); s.Path != want {
					t.Errorf("stage %d: path %s, want %s", k, s.Path, want)
				}
				golden := filepath.Join("testdata", fmt.Sprintf("%s.stage-%d.sbatch", tc.name, k))
				if *update {
					if err := os.WriteFile(golden, s.Text, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -run TestScriptsGolden -update to write it)", err)
				}
				if !bytes.Equal(s.Text, want) {
					t.Errorf("stage %d differs from %s (go test -run TestScriptsGolden -update rewrites it):\n%s", k, golden, s.Text)
				}
			}
		})
	}
}

// TestScriptsCoverPlan checks the scripts of a real plan: one array per
// stage, whose task IDs are exactly that stage's jobs.
func TestScriptsCoverPlan(t *testing.T) {
	spec := study.DefaultSpec("tiny")
	spec.Seeds = []uint64{1, 2}
	jobs := study.Plan(spec)
	scripts, err := Scripts(t.TempDir(), jobs, Options{Binary: "/bin/sparselm", ArrayLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	stages := study.Stages(jobs)
	if len(scripts) != len(stages) {
		t.Fatalf("%d scripts for %d stages", len(scripts), len(stages))
	}
	seen := map[int]bool{}
	for k, s := range scripts {
		if s.Stage != k {
			t.Errorf("script %d is of stage %d", k, s.Stage)
		}
		for id := s.First; id <= s.Last; id++ {
			if seen[id] || jobs[id].Stage != k {
				t.Errorf("stage %d's array %d-%d holds job %d of stage %d (seen before: %v)", k, s.First, s.Last, id, jobs[id].Stage, seen[id])
			}
			seen[id] = true
		}
		line := fmt.Sprintf("#SBATCH --array=%d-%d\n", s.First, s.Last)
		if s.Last-s.First+1 > 3 { // a stage of no more tasks than the limit has none
			line = fmt.Sprintf("#SBATCH --array=%d-%d%%3\n", s.First, s.Last)
		}
		if !bytes.Contains(s.Text, []byte(line)) {
			t.Errorf("stage %d lacks %q:\n%s", k, line, s.Text)
		}
	}
	if len(seen) != len(jobs) {
		t.Errorf("the arrays hold %d of the %d jobs", len(seen), len(jobs))
	}
}

// TestScriptsOneJobStage checks that a stage of one job is the array
// FIRST-FIRST (an array still, so that $SLURM_ARRAY_TASK_ID is set).
func TestScriptsOneJobStage(t *testing.T) {
	scripts, err := Scripts("/s", threeStages, Options{Binary: "/bin/sparselm"})
	if err != nil {
		t.Fatal(err)
	}
	if s := scripts[2]; s.First != 4 || s.Last != 4 || !bytes.Contains(s.Text, []byte("#SBATCH --array=4-4\n")) {
		t.Errorf("the report's stage is %d-%d:\n%s", s.First, s.Last, s.Text)
	}
}

func TestScriptsDefaultBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip("no executable path on this system:", err)
	}
	scripts, err := Scripts("/s", threeStages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "exec " + shellQuote(exe) + " study run"; !bytes.Contains(scripts[0].Text, []byte(want)) {
		t.Errorf("script lacks %q:\n%s", want, scripts[0].Text)
	}
}

func TestScriptsErrors(t *testing.T) {
	gap := append([]study.Job(nil), threeStages...)
	gap[1].Stage, gap[2].Stage = 1, 0 // stage 0 holds jobs 0 and 2
	for _, tc := range []struct {
		name  string
		dir   string
		jobs  []study.Job
		opt   Options
		field string // the *config.FieldError's path, if one
		want  string
	}{
		{"space in dir", "/my studies/tiny", threeStages, Options{}, "", `#SBATCH lines cannot hold its ' '`},
		{"percent in dir", "/studies/100%", threeStages, Options{}, "", `#SBATCH lines cannot hold its '%'`},
		{"partition", "/s", threeStages, Options{Partition: "a b"}, "partition", "must not hold spaces"},
		{"cpus", "/s", threeStages, Options{CPUsPerTask: -1}, "cpus_per_task", "must not be negative"},
		{"array limit", "/s", threeStages, Options{ArrayLimit: -2}, "array_limit", "must not be negative"},
		{"no jobs", "/s", nil, Options{}, "", "no jobs"},
		{"gap in stage", "/s", gap, Options{}, "", "stage 0 of the plan holds jobs 0 and 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Binary = "/bin/sparselm"
			_, err := Scripts(tc.dir, tc.jobs, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			var fe *config.FieldError
			if got := errors.As(err, &fe); got != (tc.field != "") || got && fe.Path != tc.field {
				t.Errorf("error %v: field error %v, want one of field %q", err, fe, tc.field)
			}
		})
	}
}

// fakeRunner answers each command with the next canned reply and records
// the command lines.
type fakeRunner struct {
	calls   [][]string
	replies []reply
}

type reply struct {
	out string
	err error
}

func (f *fakeRunner) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, append([]string{name}, args...))
	if len(f.replies) == 0 {
		return nil, fmt.Errorf("fake: no reply left for %s", name)
	}
	r := f.replies[0]
	if len(f.replies) > 1 { // the last reply repeats
		f.replies = f.replies[1:]
	}
	return []byte(r.out), r.err
}

func TestSubmitChain(t *testing.T) {
	dir := t.TempDir()
	scripts, err := Scripts(dir, threeStages, Options{Binary: "/bin/sparselm"})
	if err != nil {
		t.Fatal(err)
	}
	// sbatch --parsable prints "ID" or, on a multi-cluster setup, "ID;CLUSTER".
	r := &fakeRunner{replies: []reply{{out: "101\n"}, {out: "102;cluster\n"}, {out: "103\n"}}}
	subs, err := Submit(context.Background(), r, dir, scripts)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls := [][]string{
		{"sbatch", "--parsable", scripts[0].Path},
		{"sbatch", "--parsable", "--dependency=afterok:101", "--kill-on-invalid-dep=yes", scripts[1].Path},
		{"sbatch", "--parsable", "--dependency=afterok:102", "--kill-on-invalid-dep=yes", scripts[2].Path},
	}
	if !reflect.DeepEqual(r.calls, wantCalls) {
		t.Errorf("commands\n%q\nwant\n%q", r.calls, wantCalls)
	}
	wantSubs := []Submission{
		{Stage: 0, Script: scripts[0].Path, First: 0, Last: 1, SlurmJob: "101"},
		{Stage: 1, Script: scripts[1].Path, First: 2, Last: 3, SlurmJob: "102", Dependency: "afterok:101"},
		{Stage: 2, Script: scripts[2].Path, First: 4, Last: 4, SlurmJob: "103", Dependency: "afterok:102"},
	}
	if !reflect.DeepEqual(subs, wantSubs) {
		t.Errorf("submissions %+v\nwant %+v", subs, wantSubs)
	}
	rec, err := ReadSubmitted(dir)
	if err != nil || !reflect.DeepEqual(rec, wantSubs) {
		t.Errorf("recorded %+v, %v; want %+v", rec, err, wantSubs)
	}
	for _, s := range scripts {
		b, err := os.ReadFile(s.Path)
		if err != nil || !bytes.Equal(b, s.Text) {
			t.Errorf("%s on disk: %v, or its text differs", s.Path, err)
		}
		if fi, err := os.Stat(s.Path); err == nil && fi.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s is not executable: %v", s.Path, fi.Mode())
		}
	}
}

func TestSubmitFailure(t *testing.T) {
	dir := t.TempDir()
	scripts, err := Scripts(dir, threeStages, Options{Binary: "/bin/sparselm"})
	if err != nil {
		t.Fatal(err)
	}
	stderr := "sbatch: error: Batch job submission failed: Invalid partition name specified"
	r := &fakeRunner{replies: []reply{{out: "101\n"}, {err: &CommandError{Command: "sbatch ...", Err: errors.New("exit status 1"), Stderr: stderr}}}}
	subs, err := Submit(context.Background(), r, dir, scripts)
	if err == nil {
		t.Fatal("no error when the second sbatch fails")
	}
	for _, want := range []string{"submitting stage 1", stderr, "queued as jobs 101"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if len(r.calls) != 2 {
		t.Errorf("%d sbatch calls, want 2 (none after the failure)", len(r.calls))
	}
	rec, rerr := ReadSubmitted(dir)
	if len(subs) != 1 || rerr != nil || !reflect.DeepEqual(rec, subs) {
		t.Errorf("returned %+v, recorded %+v (%v); want stage 0's array in both", subs, rec, rerr)
	}
}

func TestSubmitUnparsable(t *testing.T) {
	dir := t.TempDir()
	scripts, _ := Scripts(dir, threeStages, Options{Binary: "/bin/sparselm"})
	r := &fakeRunner{replies: []reply{{out: "Submitted batch job 5\n"}}}
	_, err := Submit(context.Background(), r, dir, scripts)
	if err == nil || !strings.Contains(err.Error(), `printed "Submitted batch job 5", not a job ID`) {
		t.Errorf("error %v, want one quoting sbatch's output", err)
	}
	if _, err := ReadSubmitted(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed first submission left a record (%v)", err)
	}
}

// TestExec runs Exec on stand-ins for sbatch in a PATH of their own.
func TestExec(t *testing.T) {
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	ctx := context.Background()
	if _, err := (Exec{}).Run(ctx, "sbatch", "--parsable", "x"); !errors.Is(err, ErrNoSlurm) || !strings.Contains(err.Error(), "sbatch not found") {
		t.Errorf("missing sbatch: error %v, want ErrNoSlurm naming sbatch", err)
	}
	script := "#!/bin/sh\n[ \"$1\" = --parsable ] || exit 9\necho 'sbatch: error: invalid partition' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := (Exec{}).Run(ctx, "sbatch", "--parsable", "x")
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Stderr != "sbatch: error: invalid partition" || !strings.Contains(err.Error(), "sbatch --parsable x: exit status 1: sbatch: error: invalid partition") {
		t.Errorf("failing sbatch: error %v, want a *CommandError with its stderr", err)
	}
	if err := os.WriteFile(filepath.Join(bin, "squeue"), []byte("#!/bin/sh\necho \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := (Exec{}).Run(ctx, "squeue", "-h", "a b"); err != nil || string(out) != "-h a b\n" {
		t.Errorf("squeue stand-in: %q, %v; want its arguments echoed", out, err)
	}
}

// subs10 are the arrays of the canned squeue outputs in testdata/: stage 0
// (jobs 0-1) as array 10, stage 1 (jobs 2-4) as array 11.
var subs10 = []Submission{
	{Stage: 0, First: 0, Last: 1, SlurmJob: "10"},
	{Stage: 1, First: 2, Last: 4, SlurmJob: "11", Dependency: "afterok:10"},
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStatus(t *testing.T) {
	pending := func(id int) Task {
		return Task{Job: id, Stage: 1, SlurmJob: "11", State: "PENDING", Reason: "Dependency"}
	}
	running := func(id int) Task { return Task{Job: id, Stage: 0, SlurmJob: "10", State: "RUNNING", Reason: "None"} }
	whileRunning := map[int]Task{0: running(0), 1: running(1), 2: pending(2), 3: pending(3), 4: pending(4)}
	for _, tc := range []struct {
		file string
		want map[int]Task
	}{
		{"squeue-running.txt", whileRunning},
		// Without --array squeue folds the pending tasks into one line.
		{"squeue-running-unsplit.txt", whileRunning},
		{"squeue-failed.txt", map[int]Task{
			0: {Job: 0, Stage: 0, SlurmJob: "10", State: "FAILED", Reason: "NonZeroExitCode"},
			1: {Job: 1, Stage: 0, SlurmJob: "10", State: "COMPLETED", Reason: "None"},
			2: {Job: 2, Stage: 1, SlurmJob: "11", State: "CANCELLED", Reason: "DependencyNeverSatisfied"},
			3: {Job: 3, Stage: 1, SlurmJob: "11", State: "CANCELLED", Reason: "DependencyNeverSatisfied"},
			4: {Job: 4, Stage: 1, SlurmJob: "11", State: "CANCELLED", Reason: "DependencyNeverSatisfied"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := &fakeRunner{replies: []reply{{out: readTestdata(t, tc.file)}}}
			got, err := Status(context.Background(), r, subs10)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("tasks\n%+v\nwant\n%+v", got, tc.want)
			}
			want := []string{"squeue", "--noheader", "--array", "--states=all", "--jobs=10,11", "--format=%F|%K|%T|%r"}
			if len(r.calls) != 1 || !reflect.DeepEqual(r.calls[0], want) {
				t.Errorf("commands %q, want %q", r.calls, want)
			}
		})
	}
}

func TestStatusForgottenJobs(t *testing.T) {
	r := &fakeRunner{replies: []reply{{err: &CommandError{Command: "squeue", Err: errors.New("exit status 1"),
		Stderr: "slurm_load_jobs error: Invalid job id specified"}}}}
	got, err := Status(context.Background(), r, subs10)
	if err != nil || len(got) != 0 {
		t.Errorf("squeue knowing none of the jobs: %v, %v; want no tasks and no error", got, err)
	}
	r = &fakeRunner{replies: []reply{{err: &CommandError{Command: "squeue", Err: errors.New("exit status 1"),
		Stderr: "squeue: error: Unable to contact slurm controller"}}}}
	if _, err := Status(context.Background(), r, subs10); err == nil || !strings.Contains(err.Error(), "Unable to contact") {
		t.Errorf("squeue failing otherwise: error %v, want its stderr", err)
	}
}

func TestStatusBadOutput(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"10|0|RUNNING\n", "want 4 fields"},
		{"12|0|RUNNING|None\n", "array job 12 was not submitted"},
		{"10|2|RUNNING|None\n", "task 2 is outside stage 0 (jobs 0-1)"},
		{"10|x|RUNNING|None\n", `bad task list "x"`},
	} {
		r := &fakeRunner{replies: []reply{{out: tc.out}}}
		if _, err := Status(context.Background(), r, subs10); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one saying %q", tc.out, err, tc.want)
		}
	}
}

func TestTaskIDs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"3", []int{3}},
		{"2-4", []int{2, 3, 4}},
		{"[2-4%2]", []int{2, 3, 4}},
		{"1,3,6-10:2", []int{1, 3, 6, 8, 10}},
	} {
		if got, err := taskIDs(tc.in); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("taskIDs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "N/A", "4-2", "1-3:0", "-1"} {
		if got, err := taskIDs(bad); err == nil {
			t.Errorf("taskIDs(%q) = %v, want an error", bad, got)
		}
	}
}

func TestWait(t *testing.T) {
	ctx := context.Background()
	r := &fakeRunner{replies: []reply{
		{out: readTestdata(t, "squeue-running.txt")},
		{out: readTestdata(t, "squeue-running-unsplit.txt")},
		{out: readTestdata(t, "squeue-completed.txt")},
	}}
	tasks, err := Wait(ctx, r, "/s", subs10, time.Millisecond)
	if err != nil || len(tasks) != 5 || len(r.calls) != 3 {
		t.Errorf("Wait: %d tasks, %v, after %d polls; want 5 tasks, no error, 3 polls", len(tasks), err, len(r.calls))
	}

	r = &fakeRunner{replies: []reply{{out: readTestdata(t, "squeue-failed.txt")}}}
	_, err = Wait(ctx, r, "/s", subs10, time.Millisecond)
	for _, want := range []string{"4 of the study's tasks did not complete", "job 0 (10_0) FAILED (NonZeroExitCode), output in /s/slurm/stage-0-10_0.out",
		"job 4 (11_4) CANCELLED (DependencyNeverSatisfied)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("failed stage: error %v, want one saying %q", err, want)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	r = &fakeRunner{replies: []reply{{out: readTestdata(t, "squeue-running.txt")}}}
	_, err = Wait(ctx, r, "/s", subs10, time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still active: 10_0 RUNNING") {
		t.Errorf("never ending: error %v, want the deadline and the active tasks", err)
	}
}
