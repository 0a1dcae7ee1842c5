package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readJSONObject reads the JSON object in path.
func readJSONObject(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// checkProvenance checks that the JSON file path records the session of
// `sparselm command`: its version, revision (unknown under go test), start
// time, command line and, if data, the three split files with checksums.
func checkProvenance(t *testing.T, path, key, command string, data bool) {
	t.Helper()
	p, _ := readJSONObject(t, path)[key].(map[string]any)
	if p == nil {
		t.Errorf("%s: no %q", path, key)
		return
	}
	cmd, _ := p["command"].([]any)
	if p["version"] != Version || p["vcs_revision"] != "unknown" || p["started"] == "" || len(cmd) < 2 || cmd[0] != "sparselm" || cmd[1] != command {
		t.Errorf("%s: provenance %v, want sparselm %s's", path, p, command)
	}
	files, _ := p["data"].([]any)
	if !data {
		return
	}
	if len(files) != 3 {
		t.Fatalf("%s: data files %v, want the three splits", path, p["data"])
	}
	for _, f := range files {
		f := f.(map[string]any)
		if sum, _ := f["sha256"].(string); len(sum) != 64 || f["size"] == 0.0 || !filepath.IsAbs(f["path"].(string)) {
			t.Errorf("%s: data file %v, want its absolute path, size and SHA-256", path, f)
		}
	}
}

// TestPruneRecordsProvenance: every JSON file that train and prune write
// records where it came from (result.json of the run and of each level,
// prune.json, stats.json, summary.json), summary.json names the sweep's
// dataset, preset, criterion and schedule, report shows them, durations
// are in seconds, and no temporary file is left.
func TestPruneRecordsProvenance(t *testing.T) {
	src := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := run(t, tinyTrain("egru", src, "--skip-test")...); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	checkProvenance(t, filepath.Join(src, "result.json"), "provenance", "train", true)
	res := readJSONObject(t, filepath.Join(src, "result.json"))
	opts := res["options"].(map[string]any)
	if opts["preset"] != "tiny" || opts["save_every_s"] != 300.0 || opts["save_every"] != nil {
		t.Errorf("result.json options: preset %v, save_every_s %v, save_every %v; want tiny, 300 s and no nanoseconds",
			opts["preset"], opts["save_every_s"], opts["save_every"])
	}

	out := filepath.Join(t.TempDir(), "pruned")
	args := []string{"prune", "--ckpt", src, "--levels", "0.5", "--finetune-epochs", "1", "--epoch-tokens", "200",
		"--quiet", "--stats-bptt", "16", "--threads", "1", "--out", out}
	if _, stderr, err := run(t, args...); err != nil {
		t.Fatalf("prune: %v\n%s", err, stderr)
	}
	for _, f := range []string{"prune.json", "summary.json", "start-stats.json", "level-0.50/stats.json"} {
		checkProvenance(t, filepath.Join(out, f), "provenance", "prune", true)
	}
	checkProvenance(t, filepath.Join(out, "level-0.50", "result.json"), "provenance", "prune", true)
	sum := readJSONObject(t, filepath.Join(out, "summary.json"))
	if ds, _ := sum["dataset"].(string); filepath.Base(ds) != "tiny" || sum["preset"] != "tiny" || sum["criterion"] != "magnitude" || sum["schedule"] != "iterative" {
		t.Errorf("summary.json: dataset %v, preset %v, criterion %v, schedule %v", sum["dataset"], sum["preset"], sum["criterion"], sum["schedule"])
	}
	// The provenance in prune.json does not stand in the way of a resume.
	if _, stderr, err := run(t, "prune", "--out", out, "--resume", "--quiet"); err != nil || !strings.Contains(stderr, "done") {
		t.Errorf("prune --resume of the finished sweep: %v\n%s", err, stderr)
	}

	rep := filepath.Join(t.TempDir(), "report")
	stdout, stderr, err := run(t, "report", "--out", rep, out)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "| pruned | egru | ") || !strings.Contains(stdout, "tiny | tiny | magnitude | iterative |") {
		t.Errorf("report does not show the sweep's setup:\n%s", stdout)
	}
	checkProvenance(t, filepath.Join(rep, "report.json"), "provenance", "report", false)
	// Rows that could not be told apart: one sweep twice, or an empty name.
	for _, args := range [][]string{{out, out}, {"--names", " ", out}} {
		if _, _, err := run(t, append([]string{"report", "--out", t.TempDir()}, args...)...); err == nil ||
			!(strings.Contains(err.Error(), "two sweeps are named") || strings.Contains(err.Error(), "empty name")) {
			t.Errorf("report %v: %v, want a refusal", args, err)
		}
	}

	for _, dir := range []string{src, out, filepath.Join(out, "level-0.50"), rep} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp") {
				t.Errorf("%s: temporary file %s left", dir, e.Name())
			}
		}
	}
}
