// Package slurm runs a study on a Slurm cluster: one job array per stage
// of the plan (study.Stages), each stage after the one before.
//
// A stage's job IDs are consecutive, so the array's task IDs are the jobs'
// IDs in the plan and each task runs
//
//	sparselm study run --spec DIR/study.json --job "$SLURM_ARRAY_TASK_ID"
//
// on a node that sees the study directory DIR. What this package writes
// there, beside the study's own files:
//
//	slurm/stage-K.sbatch        the batch script of stage K (Scripts, Write)
//	slurm/stage-K-A_T.out       the output of task T of array job A (Slurm writes it)
//	slurm/submitted.json        the array job of every stage (Submit, ReadSubmitted)
//
// Submit submits the scripts in stage order with `sbatch --parsable`, stage
// K>0 with --dependency=afterok:<stage K-1's array job> and
// --kill-on-invalid-dep=yes. That is enough for the whole graph: a stage
// depends only on earlier stages, and stage K-1 started only after stage
// K-2 succeeded. The cases, as Slurm 22.05 runs them (TestClusterChain,
// TestClusterFailedStage):
//
//   - every task of stage K-1 exits 0: stage K becomes eligible;
//   - a task of stage K-1 fails (non-zero exit, time limit, cancelled):
//     stage K, and through it every later stage, is cancelled with reason
//     DependencyNeverSatisfied; without --kill-on-invalid-dep it would
//     stay pending forever;
//   - sbatch fails for stage K: the stages before it are queued and
//     recorded in submitted.json, and the error names their job IDs (to
//     scancel, or to let run: a study job is idempotent, so submitting
//     again later redoes nothing that finished).
//
// Status reads Slurm's view of the submitted tasks from squeue (which
// lists finished tasks only until slurmctld forgets them, MinJobAge, 300 s
// by default); without accounting (slurmdbd) there is no sacct, so whether
// a job finished is read from its own state file (study.ReadState). Wait
// polls Status until no task is pending or running.
//
// The commands run through a Runner: Exec runs the real ones (sbatch and
// squeue from PATH, with this process's environment: SLURM_CONF and
// SPARSELM_DATA reach the jobs, since sbatch exports the environment by
// default); tests use a fake.
package slurm
