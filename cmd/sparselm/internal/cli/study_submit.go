package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/study/slurm"
)

// runStudySubmit is `sparselm study submit --slurm`: one job array per
// stage, chained (package study/slurm).
func runStudySubmit(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "study submit", "study submit --slurm --spec DIR/study.json [--partition P] [--time T] [--cpus-per-task N] [--array-limit K]")
	asSlurm := fs.Bool("slurm", false, "submit to Slurm with sbatch (required: the only scheduler; for Kubernetes, see study emit --k8s)")
	specFile := fs.String("spec", "", "the study's spec `file`, DIR/study.json; DIR must be visible to every node")
	var o slurm.Options
	fs.StringVar(&o.Partition, "partition", "", "Slurm partition (default: the cluster's default)")
	fs.StringVar(&o.Time, "time", "", "time limit of each task, as sbatch takes it (e.g. 2:00:00)")
	fs.IntVar(&o.CPUsPerTask, "cpus-per-task", 0, "CPUs per task (default: the spec's threads)")
	fs.IntVar(&o.ArrayLimit, "array-limit", 0, "tasks of an array running at once (0: no limit)")
	fs.StringVar(&o.Binary, "binary", "", "the sparselm the tasks run, visible to every node (default: this one)")
	dryRun := fs.Bool("dry-run", false, "write the batch scripts into DIR/slurm and print them, without submitting")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fs.noArgs("study submit"); err != nil {
		return err
	}
	if !*asSlurm {
		return errors.New("study submit: give --slurm (for Kubernetes, use study emit --k8s)")
	}
	spec, err := readStudySpec("study submit", *specFile)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(filepath.Dir(*specFile))
	if err != nil {
		return err
	}
	if o.CPUsPerTask == 0 {
		o.CPUsPerTask = spec.Threads
	}
	// A study already queued would run its jobs twice at once.
	if subs, err := slurm.ReadSubmitted(dir); err == nil {
		if tasks, err := slurm.Status(ctx, slurm.Exec{}, subs); err == nil {
			for _, t := range tasks {
				if !t.Ended() {
					return fmt.Errorf("study submit: the study in %s is still queued (job %d is %s in Slurm job %s); wait for it or scancel it first",
						dir, t.Job, strings.ToLower(t.State), t.SlurmJob)
				}
			}
		}
	}
	scripts, err := slurm.Scripts(dir, study.Plan(spec), o)
	if err != nil {
		return fmt.Errorf("study submit: %w", err)
	}
	if *dryRun {
		if err := slurm.Write(scripts); err != nil {
			return fmt.Errorf("study submit: %w", err)
		}
		for _, s := range scripts {
			fmt.Fprintf(env.Stdout, "# %s\n%s\n", s.Path, s.Text)
		}
		return nil
	}
	subs, err := slurm.Submit(ctx, slurm.Exec{}, dir, scripts)
	if err != nil {
		return fmt.Errorf("study submit: %w", err)
	}
	for _, s := range subs {
		dep := ""
		if s.Dependency != "" {
			dep = ", after " + s.Dependency
		}
		fmt.Fprintf(env.Stdout, "stage %d: Slurm job %s, tasks %d-%d%s\n", s.Stage, s.SlurmJob, s.First, s.Last, dep)
	}
	fmt.Fprintf(env.Stderr, "sparselm study submit: %d job arrays; follow with sparselm study status --spec %s\n", len(subs), *specFile)
	return nil
}
