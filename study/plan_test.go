package study

import (
	"reflect"
	"testing"

	"github.com/sparselm/sparselm/prune"
)

func TestPlanOneShot(t *testing.T) {
	s := DefaultSpec("tiny")
	s.Seeds, s.Schedule = []uint64{1, 2}, prune.OneShot
	s.Levels = []float64{0.5, 0.9}
	jobs := Plan(s)
	// 2 models × 2 seeds: 4 train, 8 prune, 4 bench, 1 report.
	if len(jobs) != 17 {
		t.Fatalf("%d jobs, want 17", len(jobs))
	}
	checkPlan(t, jobs)
	st := Stages(jobs)
	if len(st) != 4 || len(st[0]) != 4 || len(st[1]) != 8 || len(st[2]) != 4 || len(st[3]) != 1 {
		t.Fatalf("stage sizes %d %d %d %d, want 4 8 4 1", len(st[0]), len(st[1]), len(st[2]), len(st[3]))
	}
	p := jobs[4]
	if p.Kind != KindPrune || p.Model != "lstm" || p.Seed != 1 || p.Level != 0.5 || p.From != "runs/lstm-seed1/train/best" ||
		p.Dir != "runs/lstm-seed1/level-0.50" || !reflect.DeepEqual(p.Deps, []int{0}) {
		t.Errorf("job 4 = %+v", p)
	}
	if !reflect.DeepEqual(Plan(s), jobs) {
		t.Error("Plan is not a function of the spec")
	}
}

func TestPlanIterative(t *testing.T) {
	s := DefaultSpec("tiny")
	s.Models, s.Schedule, s.Levels, s.Bench = []string{"egru"}, prune.Iterative, []float64{0.5, 0.75, 0.9}, false
	jobs := Plan(s)
	checkPlan(t, jobs)
	// train, three chained levels, report: five stages of one job.
	if len(jobs) != 5 || len(Stages(jobs)) != 5 {
		t.Fatalf("%d jobs in %d stages, want 5 and 5", len(jobs), len(Stages(jobs)))
	}
	if j := jobs[3]; j.From != "runs/egru-seed1/level-0.75/best" || !reflect.DeepEqual(j.Deps, []int{2}) {
		t.Errorf("third level = %+v", j)
	}
	if r := jobs[4]; r.Kind != KindReport || len(r.Deps) != 4 {
		t.Errorf("report = %+v", r)
	}
}

// checkPlan checks what schedulers rely on: IDs are indices, dependencies
// point to earlier stages, and a stage's IDs are consecutive.
func checkPlan(t *testing.T, jobs []Job) {
	t.Helper()
	for i, j := range jobs {
		if j.ID != i {
			t.Fatalf("job %d has ID %d", i, j.ID)
		}
		for _, d := range j.Deps {
			if jobs[d].Stage >= j.Stage {
				t.Fatalf("job %d (stage %d) depends on job %d of stage %d", i, j.Stage, d, jobs[d].Stage)
			}
		}
		if i > 0 && j.Stage != jobs[i-1].Stage && j.Stage != jobs[i-1].Stage+1 {
			t.Fatalf("job %d: stage %d after stage %d", i, j.Stage, jobs[i-1].Stage)
		}
	}
}
