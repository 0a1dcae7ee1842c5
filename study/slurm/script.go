package slurm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/study"
)

// Dir is the directory of the batch scripts, their output and the
// submission record, relative to the study directory.
const Dir = "slurm"

// Options are the Slurm settings of every stage's array.
type Options struct {
	// Partition is the partition the tasks run in; "" the cluster's default.
	Partition string `json:"partition,omitempty"`
	// Time is the time limit of each task in Slurm's format ("30",
	// "2:00:00", "1-00:00:00"); "" the partition's default.
	Time string `json:"time,omitempty"`
	// CPUsPerTask is the CPUs of each task; 0 means 1. The study's jobs use
	// study.Spec.Threads threads, so that is the natural value.
	CPUsPerTask int `json:"cpus_per_task,omitempty"`
	// ArrayLimit, if positive, is the most tasks of one stage that run at
	// once (--array=FIRST-LAST%LIMIT, left out for a stage of no more
	// tasks); 0: as many as the cluster gives.
	ArrayLimit int `json:"array_limit,omitempty"`
	// Binary is the sparselm executable the tasks run, as the nodes see it;
	// "" the running executable (os.Executable: under `go run` a temporary
	// file, so build sparselm first). Made absolute.
	Binary string `json:"binary,omitempty"`
	// JobName prefixes the arrays' names (PREFIX-K-KIND); "" "sparselm".
	JobName string `json:"job_name,omitempty"`
}

// Script is the batch script of one stage: a job array whose task IDs are
// the stage's job IDs, First to Last.
type Script struct {
	Stage       int
	First, Last int    // the stage's job IDs in the plan: the array's task IDs
	Path        string // where Write puts it: DIR/slurm/stage-K.sbatch
	Text        []byte // the script
}

// ScriptPath is the batch script of stage k in the study directory dir.
func ScriptPath(dir string, k int) string {
	return filepath.Join(dir, Dir, fmt.Sprintf("stage-%d.sbatch", k))
}

// OutputPath is the file that holds the output of job id of the study in
// dir, run as a task of the array job slurmJob.
func OutputPath(dir, slurmJob string, stage, id int) string {
	return filepath.Join(dir, Dir, fmt.Sprintf("stage-%d-%s_%d.out", stage, slurmJob, id))
}

// Scripts returns the batch scripts of the study in dir (made absolute)
// whose plan is jobs, one per stage in stage order; it writes nothing. It
// returns an error for a bad option, for a directory that an #SBATCH line
// cannot hold, and for a plan whose stages are empty or not of
// consecutive job IDs (Plan never makes one).
func Scripts(dir string, jobs []study.Job, opt Options) ([]Script, error) {
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("slurm options: %w", err)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// #SBATCH lines are not shell: no quoting, and % is a pattern in --output.
	if i := strings.IndexAny(dir, " \t\n\"'\\%"); i >= 0 {
		return nil, fmt.Errorf("study directory %q: #SBATCH lines cannot hold its %q; move the study to a path without spaces, quotes or %%", dir, dir[i])
	}
	bin := opt.Binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("finding the sparselm executable for the batch scripts: %w (set the binary option)", err)
		}
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("the study has no jobs")
	}
	stages := study.Stages(jobs)
	scripts := make([]Script, len(stages))
	for k, st := range stages {
		if len(st) == 0 {
			return nil, fmt.Errorf("stage %d of the plan has no jobs", k)
		}
		for i, j := range st {
			if j.ID != st[0].ID+i {
				return nil, fmt.Errorf("stage %d of the plan holds jobs %d and %d: a job array needs consecutive job IDs", k, st[0].ID, j.ID)
			}
		}
		s := Script{Stage: k, First: st[0].ID, Last: st[len(st)-1].ID, Path: ScriptPath(dir, k)}
		s.Text = scriptText(dir, bin, k, len(stages), st, opt)
		scripts[k] = s
	}
	return scripts, nil
}

func (o Options) check() error {
	for _, f := range []struct{ name, v string }{{"partition", o.Partition}, {"time", o.Time}, {"job_name", o.JobName}} {
		if strings.ContainsAny(f.v, " \t\n\"'\\%") {
			return config.Invalid(f.name, f.v, "must not hold spaces, quotes, backslashes or %")
		}
	}
	if o.CPUsPerTask < 0 {
		return config.Invalid("cpus_per_task", o.CPUsPerTask, "must not be negative")
	}
	if o.ArrayLimit < 0 {
		return config.Invalid("array_limit", o.ArrayLimit, "must not be negative")
	}
	return nil
}

// scriptText is the batch script of stage k (of n), whose jobs are st.
func scriptText(dir, bin string, k, n int, st []study.Job, opt Options) []byte {
	var b bytes.Buffer
	first, last := st[0].ID, st[len(st)-1].ID
	name := opt.JobName
	if name == "" {
		name = "sparselm"
	}
	var kinds []string
	for _, j := range st {
		if !slices.Contains(kinds, string(j.Kind)) {
			kinds = append(kinds, string(j.Kind))
		}
	}
	array := fmt.Sprintf("%d-%d", first, last)
	if opt.ArrayLimit > 0 && opt.ArrayLimit < len(st) {
		array += fmt.Sprintf("%%%d", opt.ArrayLimit)
	}
	cpus := max(opt.CPUsPerTask, 1)

	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s-%d-%s\n", name, k, strings.Join(kinds, "+"))
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", array)
	if opt.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", opt.Partition)
	}
	if opt.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", opt.Time)
	}
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", cpus)
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", dir)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(dir, Dir, fmt.Sprintf("stage-%d-%%A_%%a.out", k)))
	b.WriteString("#\n")
	fmt.Fprintf(&b, "# Stage %d of %d of the study in %s: one array task per job,\n", k, n, dir)
	b.WriteString("# the task ID being the job's ID in the plan.\n")
	for _, j := range st {
		fmt.Fprintf(&b, "#   %d  %s\n", j.ID, j.Name())
	}
	if k > 0 {
		fmt.Fprintf(&b, "# Submitted after stage %d with --dependency=afterok:<its array job>\n", k-1)
		b.WriteString("# --kill-on-invalid-dep=yes: it runs only if every task before it succeeded.\n")
	}
	fmt.Fprintf(&b, "exec %s study run --spec %s --job \"$SLURM_ARRAY_TASK_ID\"\n",
		shellQuote(bin), shellQuote(filepath.Join(dir, study.SpecFile)))
	return b.Bytes()
}

// shellQuote quotes s for a POSIX shell: 'it'\”s'.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Write writes the scripts to their paths (creating DIR/slurm),
// executable, each replaced atomically.
func Write(scripts []Script) error {
	for _, s := range scripts {
		if err := os.MkdirAll(filepath.Dir(s.Path), 0o755); err != nil {
			return err
		}
		if err := ckptdir.WriteFile(s.Path, s.Text); err != nil {
			return fmt.Errorf("writing the batch script of stage %d: %w", s.Stage, err)
		}
		if err := os.Chmod(s.Path, 0o755); err != nil {
			return err
		}
	}
	return nil
}
