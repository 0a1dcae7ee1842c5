package slurm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sparselm/sparselm/internal/ckptdir"
)

// Runner runs a Slurm command (sbatch, squeue) and returns its standard
// output.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// ErrNoSlurm is returned (wrapped) when a Slurm command is not installed.
var ErrNoSlurm = errors.New("the Slurm commands are not installed")

// CommandError is a Slurm command that ran and failed.
type CommandError struct {
	Command string // the command line
	Err     error  // how it ended (*exec.ExitError)
	Stderr  string // what it printed on standard error, trimmed
}

func (e *CommandError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("%s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Command, e.Err, e.Stderr)
}

func (e *CommandError) Unwrap() error { return e.Err }

// Exec runs the commands from PATH with this process's environment.
type Exec struct{}

// Run runs name with args until it exits or ctx is done. A command not
// in PATH is ErrNoSlurm; one that fails is a *CommandError with its
// standard error.
func (Exec) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%s not found in PATH: %w (on Debian: apt-get install slurm-client)", name, ErrNoSlurm)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return stdout.Bytes(), &CommandError{Command: name + " " + strings.Join(args, " "), Err: err, Stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.Bytes(), nil
}

// Submission is one stage submitted as a job array.
type Submission struct {
	Stage    int    `json:"stage"`
	Script   string `json:"script"`
	First    int    `json:"first_job"` // the stage's job IDs: the array's task IDs
	Last     int    `json:"last_job"`
	SlurmJob string `json:"slurm_job"` // the array's job ID, as sbatch printed it
	// Dependency is the --dependency the array was submitted with.
	Dependency string `json:"dependency,omitempty"`
}

// SubmittedFile is the record of the last submission, relative to the
// study directory.
var SubmittedFile = filepath.Join(Dir, "submitted.json")

type record struct {
	Stages []Submission `json:"stages"`
}

// Submit writes the scripts (Write) and submits them with sbatch in stage
// order, each after the one before (see the package doc), records the
// array jobs in DIR/slurm/submitted.json and returns them. If an sbatch
// fails, the stages before it stay queued: they are recorded and
// returned with the error, which names them.
func Submit(ctx context.Context, r Runner, dir string, scripts []Script) ([]Submission, error) {
	if err := Write(scripts); err != nil {
		return nil, err
	}
	var subs []Submission
	for _, s := range scripts {
		args := []string{"--parsable"}
		sub := Submission{Stage: s.Stage, Script: s.Path, First: s.First, Last: s.Last}
		if len(subs) > 0 {
			sub.Dependency = "afterok:" + subs[len(subs)-1].SlurmJob
			args = append(args, "--dependency="+sub.Dependency, "--kill-on-invalid-dep=yes")
		}
		out, err := r.Run(ctx, "sbatch", append(args, s.Path)...)
		if err == nil {
			sub.SlurmJob, err = parseParsable(out)
		}
		if err != nil {
			err = fmt.Errorf("submitting stage %d: %w", s.Stage, err)
			if len(subs) > 0 {
				err = fmt.Errorf("%w; the stages before it are queued as jobs %s (scancel them, or let them run)", err, jobIDs(subs))
				if werr := writeRecord(dir, subs); werr != nil {
					err = fmt.Errorf("%w; recording them: %v", err, werr)
				}
			}
			return subs, err
		}
		subs = append(subs, sub)
	}
	if err := writeRecord(dir, subs); err != nil {
		return subs, fmt.Errorf("the study is queued as jobs %s, but recording them: %w", jobIDs(subs), err)
	}
	return subs, nil
}

// parseParsable reads sbatch --parsable's "JOBID" or "JOBID;CLUSTER".
func parseParsable(out []byte) (string, error) {
	line := strings.TrimSpace(string(out))
	id, _, _ := strings.Cut(line, ";")
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return "", fmt.Errorf("sbatch --parsable printed %q, not a job ID", line)
	}
	return id, nil
}

func jobIDs(subs []Submission) string {
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.SlurmJob
	}
	return strings.Join(ids, " ")
}

func writeRecord(dir string, subs []Submission) error {
	b, err := json.MarshalIndent(record{Stages: subs}, "", "  ")
	if err != nil {
		return err
	}
	return ckptdir.WriteFile(filepath.Join(dir, SubmittedFile), append(b, '\n'))
}

// ReadSubmitted reads the record of the study in dir's last submission;
// a study never submitted has none (an error that is os.ErrNotExist).
func ReadSubmitted(dir string) ([]Submission, error) {
	path := filepath.Join(dir, SubmittedFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rec.Stages, nil
}
