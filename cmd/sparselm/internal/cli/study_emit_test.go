package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/study"
)

// TestStudyEmitNeedsName: without --name, study emit --k8s says that the
// flag is required (suggesting the study directory's name), not the
// RFC 1123 rules that an empty name breaks; a bad option is named by its flag.
func TestStudyEmitNeedsName(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ptb-tiny")
	if _, stderr, err := run(t, tinyStudy(out, "--init")...); err != nil {
		t.Fatalf("study --init: %v\n%s", err, stderr)
	}
	spec := filepath.Join(out, study.SpecFile)
	_, _, err := run(t, "study", "emit", "--k8s", "--spec", spec)
	if err == nil || !strings.HasPrefix(err.Error(), "study emit: --name is required") ||
		!strings.HasSuffix(err.Error(), "e.g. --name ptb-tiny") || strings.Contains(err.Error(), "RFC") {
		t.Errorf("study emit without --name: %v, want that --name is required, suggesting ptb-tiny", err)
	}
	_, _, err = run(t, "study", "emit", "--k8s", "--spec", spec, "--name", "tiny", "--memory", "lots")
	if err == nil || !strings.HasPrefix(err.Error(), `study emit: --memory = "lots" must be`) {
		t.Errorf("study emit --memory lots: %v, want the error to name --memory", err)
	}
}
