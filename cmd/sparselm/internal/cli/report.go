package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sparselm/sparselm/report"
)

// defaultReportDir is where report writes without --out: under runs/, with
// the runs, not in the source tree (report/ is a package directory).
var defaultReportDir = filepath.Join("runs", "report")

func runReport(_ context.Context, env *Env, args []string) error {
	const synopsis = "report [--out DIR] [--names A,B] PRUNE_DIR..."
	fs := newFlagSet(env, "report", synopsis)
	out := fs.String("out", defaultReportDir, "`directory` for report.md, report.csv, report.json and the plots (PNG and SVG; "+
		report.SpeedPlotFile+" when a sweep has the timings of 'sparselm bench infer --sweep')")
	names := fs.String("names", "", "comma-separated names of the sweeps, in order (default: the directories' base names)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dirs := fs.Args()
	if len(dirs) == 0 {
		return errors.New("report: name one or more directories written by `sparselm prune --out`")
	}
	var labels []string
	if *names != "" {
		labels = strings.Split(*names, ",")
		if len(labels) != len(dirs) {
			return fmt.Errorf("report: --names has %d names for %d directories", len(labels), len(dirs))
		}
	}
	sweeps := make([]report.Sweep, len(dirs))
	for i, d := range dirs {
		s, err := readSweep("report", d)
		if err != nil {
			return err
		}
		if labels != nil {
			s.Name = strings.TrimSpace(labels[i])
		}
		// The engines' timings of `bench infer --sweep`, where they still match.
		warnings, err := report.AttachBench(&s)
		if err != nil {
			return fmt.Errorf("report: %w (time the sweep again with `sparselm bench infer --sweep %s`, or remove the file)", err, d)
		}
		for _, w := range warnings {
			fmt.Fprintf(env.Stderr, "sparselm report: warning: %s\n", w)
		}
		if len(warnings) > 0 {
			fmt.Fprintf(env.Stderr, "sparselm report: time the sweep as it is now with `sparselm bench infer --sweep %s`\n", d)
		}
		sweeps[i] = s
	}
	written, err := report.Write(*out, sweeps, sessionProvenance(env, "report", args, ""))
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := report.WriteMarkdown(env.Stdout, sweeps); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout)
	for _, p := range written {
		fmt.Fprintln(env.Stdout, "wrote", p)
	}
	return nil
}

// readSweep reads the pruning sweep in dir (the --out of sparselm prune)
// for command cmd, whose name begins its errors; a directory that does not
// exist is said to be missing, not to lack a summary.
func readSweep(cmd, dir string) (report.Sweep, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return report.Sweep{}, fmt.Errorf("%s: %s does not exist (name a directory written by `sparselm prune --out`)", cmd, dir)
	case err != nil:
		return report.Sweep{}, fmt.Errorf("%s: %w", cmd, err)
	case !st.IsDir():
		return report.Sweep{}, fmt.Errorf("%s: %s is not a directory (name a directory written by `sparselm prune --out`)", cmd, dir)
	}
	s, err := report.Read(dir)
	if err != nil {
		return report.Sweep{}, fmt.Errorf("%s: %w", cmd, err)
	}
	return s, nil
}
