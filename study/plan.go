package study

import (
	"fmt"
	"path"
	"strconv"

	"github.com/sparselm/sparselm/prune"
)

// Kind is what a job does.
type Kind string

const (
	// KindTrain trains one model with one seed, then measures its best
	// checkpoint on the test split (the sweep's start point).
	KindTrain Kind = "train"
	// KindPrune prunes one model to one level (from the trained model for
	// the oneshot schedule, from the previous level for the iterative one),
	// fine-tunes it and measures its best checkpoint.
	KindPrune Kind = "prune"
	// KindBench times the inference engines on every checkpoint of one
	// model and seed (bench infer --sweep).
	KindBench Kind = "bench"
	// KindReport writes each sweep's summary and the study's report.
	KindReport Kind = "report"
)

// Job is one unit of work of a study. Its outputs are in Dir (relative to
// the study directory); it may start once every job in Deps has finished.
// Jobs of one Stage depend only on jobs of earlier stages, so a scheduler
// may run each stage as one array (a Slurm job array, a Kubernetes Indexed
// Job) after the one before.
type Job struct {
	ID    int     `json:"id"`    // index in the plan
	Stage int     `json:"stage"` // 0, 1, …: the jobs of stage k depend only on stages < k
	Kind  Kind    `json:"kind"`
	Model string  `json:"model,omitempty"` // cell; "" for the report
	Seed  uint64  `json:"seed,omitempty"`
	Level float64 `json:"level,omitempty"` // KindPrune: the target sparsity
	Deps  []int   `json:"deps,omitempty"`
	// Dir is the job's run directory, relative to the study: the training
	// run, the level run, the sweep (bench) or the report.
	Dir string `json:"dir"`
	// From is the checkpoint a prune job starts from, relative to the study.
	From string `json:"from,omitempty"`
}

// Name is a short human name, e.g. "train egru seed 1", "prune lstm seed
// 2 to 0.9".
func (j Job) Name() string {
	switch j.Kind {
	case KindTrain, KindBench:
		return fmt.Sprintf("%s %s seed %d", j.Kind, j.Model, j.Seed)
	case KindPrune:
		return fmt.Sprintf("prune %s seed %d to %v", j.Model, j.Seed, j.Level)
	}
	return string(j.Kind)
}

// Directories of a study, relative to it.
const (
	DirRuns   = "runs"   // one sweep directory per model and seed
	DirReport = "report" // the study's report
	DirTrain  = "train"  // in a sweep directory: the training run
	DirState  = "jobs"   // one state file per job (see State)
)

// SweepDir is the sweep directory of a model and seed, relative to the
// study: the training run, the level runs and the sweep's summary, laid
// out as `sparselm prune` lays out its output, so that `sparselm report`
// and `bench infer --sweep` read it as they read a prune run.
func SweepDir(model string, seed uint64) string {
	return path.Join(DirRuns, fmt.Sprintf("%s-seed%d", model, seed))
}

// LevelDir is the run directory of the level s inside a sweep directory:
// level-0.90 (two decimals when they say s exactly, as `sparselm prune`).
func LevelDir(sweep string, s float64) string {
	name := fmt.Sprintf("%.2f", s)
	if v, _ := strconv.ParseFloat(name, 64); v != s {
		name = strconv.FormatFloat(s, 'f', -1, 64)
	}
	return path.Join(sweep, "level-"+name)
}

// Plan returns the jobs of a valid spec in an order that respects their
// dependencies: per model and seed a training job, then a prune job per
// level (each from the trained model for oneshot, a chain for iterative),
// then a bench job if the engines are timed; last the report. It is a pure
// function of the spec: the same spec gives the same plan, job IDs
// included, which is what lets `study run --job N` on a cluster node find
// its job.
func Plan(s Spec) []Job {
	var jobs []Job
	add := func(j Job) int {
		j.ID = len(jobs)
		jobs = append(jobs, j)
		return j.ID
	}
	type chain struct {
		model string
		seed  uint64
	}
	var chains []chain
	for _, m := range s.Models {
		for _, seed := range s.Seeds {
			chains = append(chains, chain{m, seed})
		}
	}
	// Stage by stage, so that job IDs of one stage are consecutive.
	trainID := map[chain]int{}
	for _, c := range chains {
		sw := SweepDir(c.model, c.seed)
		trainID[c] = add(Job{Stage: 0, Kind: KindTrain, Model: c.model, Seed: c.seed, Dir: path.Join(sw, DirTrain)})
	}
	last := map[chain][]int{} // the prune jobs of each chain
	prev := map[chain]int{}   // the job a chain's next iterative level depends on
	stage := 1
	for li, lv := range s.Levels {
		for _, c := range chains {
			sw := SweepDir(c.model, c.seed)
			from, dep := path.Join(sw, DirTrain, "best"), trainID[c]
			if s.Schedule == prune.Iterative && li > 0 {
				dep = prev[c]
				from = path.Join(LevelDir(sw, s.Levels[li-1]), "best")
			}
			st := 1
			if s.Schedule == prune.Iterative {
				st = stage
			}
			id := add(Job{Stage: st, Kind: KindPrune, Model: c.model, Seed: c.seed, Level: lv, Deps: []int{dep},
				Dir: LevelDir(sw, lv), From: from})
			prev[c] = id
			last[c] = append(last[c], id)
		}
		if s.Schedule == prune.Iterative {
			stage++
		}
	}
	if s.Schedule != prune.Iterative {
		stage = 2
	}
	var all []int
	for _, c := range chains {
		all = append(all, trainID[c])
		all = append(all, last[c]...)
	}
	if s.Bench {
		var benches []int
		for _, c := range chains {
			deps := append([]int{trainID[c]}, last[c]...)
			benches = append(benches, add(Job{Stage: stage, Kind: KindBench, Model: c.model, Seed: c.seed, Deps: deps,
				Dir: SweepDir(c.model, c.seed)}))
		}
		all = append(all, benches...)
		stage++
	}
	add(Job{Stage: stage, Kind: KindReport, Deps: all, Dir: DirReport})
	return jobs
}

// Stages returns the jobs of each stage, in order.
func Stages(jobs []Job) [][]Job {
	var st [][]Job
	for _, j := range jobs {
		for len(st) <= j.Stage {
			st = append(st, nil)
		}
		st[j.Stage] = append(st[j.Stage], j)
	}
	return st
}
