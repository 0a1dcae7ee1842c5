// Package study runs the study of sparselm as one job graph: train a model
// per cell and seed, prune each across the levels, measure every
// checkpoint, time the inference engines, and write the report.
//
// A study lives in one directory:
//
//	study.json              the spec (Spec), written by the first run
//	jobs/N.json             the state of job N (State): running, done, failed
//	runs/CELL-seedS/        one sweep per cell and seed, laid out as the
//	    train/              output of `sparselm prune`: the training run,
//	    start-stats.json    the accounting of its best checkpoint,
//	    level-0.90/         a level run (fine-tuning) with its stats.json,
//	    summary.json        the sweep's points (report.Read),
//	    infer-bench.json    the engines' timings (bench infer --sweep)
//	report/                 the study's report (report.md, .csv, .json, plots)
//
// Plan(spec) is a pure function from the spec to the jobs and their
// dependencies; a job runs idempotently: one whose outputs are complete
// returns at once, a half-finished one resumes (training resumes exactly
// from its last checkpoint), so a study killed at any point and run again
// ends with the same report. Jobs are grouped in stages (Job.Stage): a
// stage depends only on earlier ones, which is how a cluster scheduler
// runs them, one array per stage:
//
//	sparselm study run --spec DIR/study.json --job N
//
// runs job N of the study in DIR (the spec's directory) on any machine that
// sees DIR; with --wait it first waits for the job's dependencies to finish.
package study
