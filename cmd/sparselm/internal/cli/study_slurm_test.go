package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sparselm/sparselm/study"
	"github.com/sparselm/sparselm/study/slurm"
	"github.com/sparselm/sparselm/study/slurm/slurmtest"
)

// TestStudySlurm submits the tiny study to a real Slurm cluster (the one
// .ci/run starts; skipped without SPARSELM_SLURM=1) with `study submit
// --slurm`, waits for every array task, and compares its report.csv with the
// same study run in this process byte for byte. The tasks run this test
// binary as sparselm (TestMain, SPARSELM_CLI_MAIN=1, which sbatch passes on
// with the rest of the environment).
func TestStudySlurm(t *testing.T) {
	slurmtest.Require(t)
	dir := t.TempDir()
	local, remote := filepath.Join(dir, "local"), filepath.Join(dir, "slurm")
	if _, stderr, err := run(t, append(tinyStudy(local), "--quiet")...); err != nil {
		t.Fatalf("the local study: %v\n%s", err, stderr)
	}
	want, err := os.ReadFile(filepath.Join(local, study.DirReport, "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := study.ReadSpec(filepath.Join(local, study.SpecFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := study.Open(remote, spec); err != nil {
		t.Fatal(err)
	}
	bin, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SPARSELM_CLI_MAIN", "1")
	stdout, stderr, err := run(t, "study", "submit", "--slurm", "--spec", filepath.Join(remote, study.SpecFile), "--binary", bin, "--time", "10:00")
	if err != nil {
		t.Fatalf("study submit --slurm: %v\n%s", err, stderr)
	}
	if n := strings.Count(stdout, "Slurm job"); n != 4 {
		t.Errorf("submitted %d arrays, want 4 (train, prune 0.5, prune 0.9 after it, report):\n%s", n, stdout)
	}
	subs, err := slurm.ReadSubmitted(remote)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := slurm.Wait(ctx, slurm.Exec{}, remote, subs, 200*time.Millisecond); err != nil {
		t.Fatalf("the study on Slurm: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(remote, study.DirReport, "report.csv"))
	if err != nil {
		t.Fatalf("no report from the Slurm study: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report.csv of the study on Slurm differs from the local one:\n%s\nwant:\n%s", got, want)
	}
	status, _, err := run(t, "study", "status", "--spec", filepath.Join(remote, study.SpecFile))
	if err != nil || !strings.Contains(status, "4 done, 0 running, 0 failed, 0 pending") {
		t.Errorf("study status after Slurm: %v\n%s", err, status)
	}
	// Submitting the finished study again: every task finds its job done.
	if _, stderr, err := run(t, "study", "submit", "--slurm", "--spec", filepath.Join(remote, study.SpecFile), "--binary", bin); err != nil {
		t.Fatalf("submitting the finished study again: %v\n%s", err, stderr)
	}
	if subs, err = slurm.ReadSubmitted(remote); err != nil {
		t.Fatal(err)
	}
	if _, err := slurm.Wait(ctx, slurm.Exec{}, remote, subs, 200*time.Millisecond); err != nil {
		t.Fatalf("the finished study submitted again: %v", err)
	}
	if again, _ := os.ReadFile(filepath.Join(remote, study.DirReport, "report.csv")); !bytes.Equal(again, want) {
		t.Error("the report changed when the finished study was submitted again")
	}
}
