package slurm_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/study/slurm"
	"github.com/sparselm/sparselm/study/slurm/slurmtest"
)

// fakeSparselm stands in for `sparselm study run --spec DIR/study.json
// --job N` on the cluster: it checks its command line and working
// directory, sleeps DIR/sleep-N seconds if that file exists, fails if
// DIR/fail-N exists, and else writes DIR/ran-N: "START END" in seconds.
const fakeSparselm = `#!/bin/sh
if [ $# -ne 6 ] || [ "$1 $2 $3 $5" != "study run --spec --job" ] || [ "$6" != "$SLURM_ARRAY_TASK_ID" ]; then
  echo "fake sparselm: unexpected command line: $*" >&2; exit 2
fi
dir=$(dirname "$4"); job=$6
if [ "$(pwd)" != "$dir" ]; then echo "fake sparselm: running in $(pwd), not $dir" >&2; exit 2; fi
start=$(date +%s.%N)
if [ -e "$dir/sleep-$job" ]; then sleep "$(cat "$dir/sleep-$job")"; fi
if [ -e "$dir/fail-$job" ]; then echo "fake sparselm: job $job fails as told" >&2; exit 3; fi
echo "$start $(date +%s.%N)" > "$dir/ran-$job"
`

// twoStages is a plan of two trainings, then the report.
var twoStages = []study.Job{
	{ID: 0, Stage: 0, Kind: study.KindTrain, Model: "lstm", Seed: 1, Dir: "runs/lstm-seed1/train"},
	{ID: 1, Stage: 0, Kind: study.KindTrain, Model: "egru", Seed: 1, Dir: "runs/egru-seed1/train"},
	{ID: 2, Stage: 1, Kind: study.KindReport, Deps: []int{0, 1}, Dir: "report"},
}

// clusterStudy is a study directory holding fakeSparselm and the given
// files (name → content), and the options that run that fake.
func clusterStudy(t *testing.T, files map[string]string) (string, slurm.Options) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-sparselm")
	files["fake-sparselm"] = fakeSparselm
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, slurm.Options{Binary: bin, Time: "2"}
}

// ran reads DIR/ran-N: when job N started and ended.
func ran(t *testing.T, dir string, job int) (start, end float64, ok bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "ran-"+strconv.Itoa(job)))
	if os.IsNotExist(err) {
		return 0, 0, false
	}
	f := strings.Fields(string(b))
	if err != nil || len(f) != 2 {
		t.Fatalf("ran-%d: %q, %v", job, b, err)
	}
	start, err1 := strconv.ParseFloat(f[0], 64)
	end, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("ran-%d: %q", job, b)
	}
	return start, end, true
}

// TestClusterChain runs a two-stage plan through the cluster: the report's
// stage must start only after both trainings ended. Job 1 sleeps a second
// and job 0 does not, so without the dependency the report would start on
// the CPU job 0 frees, before job 1 ends (the node has 2 or more CPUs).
func TestClusterChain(t *testing.T) {
	slurmtest.Require(t)
	dir, opt := clusterStudy(t, map[string]string{"sleep-1": "1\n"})
	subs := slurmtest.Run(t, dir, twoStages, opt, 60*time.Second)
	if len(subs) != 2 || subs[1].Dependency != "afterok:"+subs[0].SlurmJob {
		t.Fatalf("submissions %+v, want stage 1 after stage 0", subs)
	}
	var lastEnd float64
	for job := 0; job < 2; job++ {
		_, end, ok := ran(t, dir, job)
		if !ok {
			t.Fatalf("training job %d did not run", job)
		}
		lastEnd = max(lastEnd, end)
	}
	start, _, ok := ran(t, dir, 2)
	if !ok {
		t.Fatal("the report's job did not run")
	}
	if start < lastEnd {
		t.Errorf("the report started at %.3f, %.3f s before the last training ended", start, lastEnd-start)
	}
	if _, err := os.Stat(slurm.OutputPath(dir, subs[1].SlurmJob, 1, 2)); err != nil {
		t.Errorf("the report's output file: %v", err)
	}
}

// TestClusterFailedStage fails a training: the report's stage must be
// cancelled (DependencyNeverSatisfied, thanks to --kill-on-invalid-dep)
// and not wait forever, and Wait must say which job failed.
func TestClusterFailedStage(t *testing.T) {
	slurmtest.Require(t)
	dir, opt := clusterStudy(t, map[string]string{"fail-0": ""})
	subs, tasks, err := slurmtest.Submit(dir, twoStages, opt, 60*time.Second)
	if len(subs) != 2 {
		t.Fatalf("submitted %+v: %v", subs, err)
	}
	if err == nil || !strings.Contains(err.Error(), "job 0 ("+subs[0].SlurmJob+"_0) FAILED") {
		t.Fatalf("error %v, want one saying job 0 failed", err)
	}
	if tk := tasks[0]; tk.State != "FAILED" {
		t.Errorf("job 0: %+v, want FAILED", tk)
	}
	if tk := tasks[1]; tk.State != "COMPLETED" {
		t.Errorf("job 1: %+v, want COMPLETED", tk)
	}
	if tk := tasks[2]; tk.State != "CANCELLED" || tk.Reason != "DependencyNeverSatisfied" {
		t.Errorf("the report's job: %+v, want CANCELLED for DependencyNeverSatisfied", tk)
	}
	if _, _, ok := ran(t, dir, 2); ok {
		t.Error("the report's job ran after a failed training")
	}
	out, _ := os.ReadFile(slurm.OutputPath(dir, subs[0].SlurmJob, 0, 0))
	if !strings.Contains(string(out), "job 0 fails as told") {
		t.Errorf("job 0's output %q lacks the fake's message", out)
	}
}
