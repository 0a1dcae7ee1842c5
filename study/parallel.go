package study

import (
	"context"
	"errors"
	"fmt"
)

// Launcher runs one job to its end, typically as a child process
// (`sparselm study run --job N`), so that jobs running at once share
// nothing but the study directory.
type Launcher func(ctx context.Context, j Job) error

// RunParallel runs the jobs of the study in dir that are not done, up to
// workers at a time, each once its dependencies are done, through launch;
// a bench job runs alone (the others wait), so that it times an idle
// machine.
// After a failure it starts no new job, lets the running ones finish and
// returns the first error; a cancelled ctx stops the launches (launch is
// expected to stop its job).
func RunParallel(ctx context.Context, dir string, spec Spec, workers int, launch Launcher, env *Env) error {
	if workers < 1 {
		return fmt.Errorf("study: %d workers: want at least one", workers)
	}
	jobs := Plan(spec)
	done := make([]bool, len(jobs))
	started := make([]bool, len(jobs))
	for _, j := range jobs {
		s, err := ReadState(dir, j.ID)
		if err != nil {
			return err
		}
		done[j.ID] = s.Status == Done
	}
	type result struct {
		id  int
		err error
	}
	results := make(chan result)
	running := 0
	var first error
	ready := func(j Job) bool {
		if done[j.ID] || started[j.ID] {
			return false
		}
		for _, d := range j.Deps {
			if !done[d] {
				return false
			}
		}
		return true
	}
	alone := false // a timing job is running: nothing else may
	for {
		if first == nil && ctx.Err() == nil && !alone {
			for _, j := range jobs {
				if running == workers || !ready(j) {
					continue
				}
				if j.Kind == KindBench {
					// Timings run on an otherwise idle machine: wait for
					// the running jobs, start no other meanwhile.
					if running > 0 {
						break
					}
					alone = true
				}
				started[j.ID] = true
				running++
				env.logf("job %d (%s): started", j.ID, j.Name())
				go func(j Job) { results <- result{j.ID, launch(ctx, j)} }(j)
				if alone {
					break
				}
			}
		}
		if running == 0 {
			break
		}
		r := <-results
		running--
		if jobs[r.id].Kind == KindBench {
			alone = false
		}
		if r.err != nil {
			if first == nil {
				first = fmt.Errorf("study: job %d (%s): %w", r.id, jobs[r.id].Name(), r.err)
			}
			continue
		}
		done[r.id] = true
		env.logf("job %d (%s): finished", r.id, jobs[r.id].Name())
	}
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	for _, j := range jobs {
		if !done[j.ID] {
			return errors.New("study: some jobs could not start (a dependency never finished)")
		}
	}
	return nil
}
