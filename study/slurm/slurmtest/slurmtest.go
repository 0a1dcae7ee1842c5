// Package slurmtest is the hook of tests that run a study through a real
// Slurm cluster, such as the one scripts/slurm-local.sh starts and .ci/run
// exports as SPARSELM_SLURM=1 with SLURM_CONF:
//
//	func TestStudyOnSlurm(t *testing.T) {
//		slurmtest.Require(t)
//		// write DIR/study.json, build sparselm, then
//		slurmtest.Run(t, dir, study.Plan(spec), slurm.Options{Binary: bin}, 5*time.Minute)
//		// compare DIR/report/report.csv with a local run's
//	}
package slurmtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/study/slurm"
)

// EnvVar is the variable that says a cluster is there: tests that need
// one run only when it is 1.
const EnvVar = "SPARSELM_SLURM"

// Require skips t unless SPARSELM_SLURM=1. With it set, t fails (rather
// than skips) when sinfo cannot reach a controller: CI that started a
// cluster must not pass by skipping its tests.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvVar) != "1" {
		t.Skipf("no Slurm cluster: %s=1 runs this test (scripts/slurm-local.sh start sets one up; .ci/run does)", EnvVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := (slurm.Exec{}).Run(ctx, "sinfo", "--noheader"); err != nil {
		t.Fatalf("%s=1 but the cluster does not answer (is SLURM_CONF=%q right?): %v", EnvVar, os.Getenv("SLURM_CONF"), err)
	}
}

// Run submits the study in dir whose plan is jobs (slurm.Scripts,
// slurm.Submit) and waits up to timeout for every task to end
// (slurm.Wait, polling every 200 ms; at the timeout it cancels them). It fails t unless every task
// completed, and returns the submissions.
func Run(t testing.TB, dir string, jobs []study.Job, opt slurm.Options, timeout time.Duration) []slurm.Submission {
	t.Helper()
	subs, tasks, err := Submit(dir, jobs, opt, timeout)
	if err != nil {
		t.Fatalf("the study in %s on Slurm: %v (tasks: %+v)", dir, err, tasks)
	}
	return subs
}

// Submit is Run that returns the error instead of failing, with Slurm's
// last view of the tasks, for a test that expects a failure.
func Submit(dir string, jobs []study.Job, opt slurm.Options, timeout time.Duration) ([]slurm.Submission, map[int]slurm.Task, error) {
	scripts, err := slurm.Scripts(dir, jobs, opt)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	subs, err := slurm.Submit(ctx, slurm.Exec{}, dir, scripts)
	if err != nil {
		return subs, nil, err
	}
	tasks, err := slurm.Wait(ctx, slurm.Exec{}, dir, subs, 200*time.Millisecond)
	if ctx.Err() != nil {
		// Leave no task behind for the next test.
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		ids := make([]string, len(subs))
		for i, s := range subs {
			ids[i] = s.SlurmJob
		}
		if _, cerr := (slurm.Exec{}).Run(cctx, "scancel", ids...); cerr != nil {
			err = fmt.Errorf("%w; cancelling the jobs: %v", err, cerr)
		}
	}
	return subs, tasks, err
}
