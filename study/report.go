package study

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/sparselm/sparselm/internal/ckptdir"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/train"
)

// Report writes the report of the study in dir from what is there, done or
// not (`sparselm study report`): the report job without waiting for the
// other jobs.
func Report(dir string, spec Spec, env *Env) error { return reportJob(dir, spec, Plan(spec), env) }

// reportJob writes each sweep's summary.json from the stats files of its
// jobs, then the study's report from every sweep whose jobs are all done;
// the sweeps left out are listed in the report's log line, in report.md
// and in report/missing.txt.
func reportJob(dir string, spec Spec, jobs []Job, env *Env) error {
	var sweeps []report.Sweep
	var missing []string
	for _, m := range spec.Models {
		for _, seed := range spec.Seeds {
			sw := SweepDir(m, seed)
			s, err := writeSummary(dir, spec, m, seed)
			if err != nil {
				missing = append(missing, fmt.Sprintf("%s: %v", sw, err))
				continue
			}
			sweeps = append(sweeps, s)
		}
	}
	out := filepath.Join(dir, DirReport)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	missingFile := filepath.Join(out, "missing.txt")
	if len(missing) > 0 {
		env.logf("report: %d sweep(s) left out:\n  %s", len(missing), strings.Join(missing, "\n  "))
		if err := os.WriteFile(missingFile, []byte(strings.Join(missing, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	} else {
		_ = os.Remove(missingFile)
	}
	if len(sweeps) == 0 {
		return fmt.Errorf("no sweep is complete:\n  %s", strings.Join(missing, "\n  "))
	}
	files, err := report.Write(out, sweeps, env.provenance(""))
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		// Say in the report itself what it lacks.
		md := filepath.Join(out, "report.md")
		b, err := os.ReadFile(md)
		if err != nil {
			return err
		}
		b = fmt.Appendf(b, "\n## Not in this report yet\n\nThe study's other sweeps have jobs that are not done:\n\n")
		for _, m := range missing {
			b = fmt.Appendf(b, "- %s\n", m)
		}
		if err := ckptdir.WriteFile(md, b); err != nil {
			return err
		}
	}
	env.logf("report: wrote %d files in %s", len(files), out)
	return nil
}

// writeSummary writes the summary.json of the sweep of a model and seed
// (report.WriteSummary) from its start and level stats, and reads it back
// as a sweep, with its timings attached when the engines were timed.
func writeSummary(dir string, spec Spec, cell string, seed uint64) (report.Sweep, error) {
	sw := SweepDir(cell, seed)
	start := path.Join(sw, DirTrain, train.DirBest)
	ctx := context.Background() // the points are read, never measured here
	pt, err := spec.measure(dir, start, path.Join(sw, FileStartStats), nil, &Env{}, "").Point(ctx)
	if err != nil {
		return report.Sweep{}, err
	}
	pt.Kind = report.KindStart
	pts := []report.Point{pt}
	for _, lv := range spec.Levels {
		ld := LevelDir(sw, lv)
		p, err := spec.measure(dir, path.Join(ld, train.DirBest), path.Join(ld, FileLevelStats), nil, &Env{}, "").Point(ctx)
		if err != nil {
			return report.Sweep{}, err
		}
		res, err := ReadResult(filepath.Join(dir, ld))
		if err != nil {
			return report.Sweep{}, fmt.Errorf("level %v: %w", lv, err)
		}
		p.Kind, p.Level, p.ValidPPL = report.KindLevel, lv, res.BestValid.PPL
		pts = append(pts, p)
	}
	setup := report.Setup{Dataset: spec.Dataset, Preset: spec.Preset, Criterion: string(spec.Criterion),
		Schedule: string(spec.Schedule), Source: start, Seed: seed, Group: strings.ToUpper(cell)}
	if err := report.WriteSummary(filepath.Join(dir, sw), report.Summary{Setup: setup, Points: pts}); err != nil {
		return report.Sweep{}, err
	}
	s, err := report.Read(filepath.Join(dir, sw))
	if err != nil {
		return s, err
	}
	// One name per seed; the seeds of a model share their Group, which the
	// report summarises as mean ± standard deviation (report.SeedGroups).
	s.Name = fmt.Sprintf("%s seed %d", strings.ToUpper(cell), seed)
	if spec.Bench {
		warnings, err := report.AttachBench(&s)
		if err != nil {
			return s, err
		}
		if len(warnings) > 0 {
			return s, fmt.Errorf("timings: %s", strings.Join(warnings, "; "))
		}
	}
	return s, nil
}
