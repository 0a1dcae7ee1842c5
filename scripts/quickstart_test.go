// Package scripts holds the tests of the shell scripts in this directory.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGo stands in for `go build [flags] -o bin/sparselm ./cmd/sparselm`:
// it installs fakeSparselm as the binary named after -o.
const fakeGo = `#!/usr/bin/env bash
[ "$1" = build ] || exit 2
while [ $# -gt 0 ] && [ "$1" != -o ]; do shift; done
[ "$1" = -o ] || exit 2
mkdir -p "$(dirname "$2")" && cp "$FAKE_SPARSELM" "$2" && chmod +x "$2"
`

// fakeSparselm logs each command line and leaves what the real command
// would for the script to find: train a result.json whose options name the
// preset (small unless --preset says otherwise), prune a summary.json with
// the preset of the checkpoint it pruned.
const fakeSparselm = `#!/usr/bin/env bash
echo "$*" >> "$QS_LOG"
cmd=$1; shift
out=""; ckpt=""; preset=small
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --ckpt) ckpt=$2; shift ;;
    --preset) preset=$2; shift ;;
  esac
  shift
done
case "$cmd" in
  train) mkdir -p "$out"; printf '{\n  "options": {\n    "preset": "%s",\n    "dataset": "ptb"\n  }\n}\n' "$preset" > "$out/result.json" ;;
  prune)
    preset=$(sed -n 's/^ *"preset": "\([^"]*\)".*/\1/p' "$ckpt/result.json" | head -n 1)
    mkdir -p "$out"; printf '{\n  "dataset": "ptb",\n  "preset": "%s"\n}\n' "$preset" > "$out/summary.json" ;;
esac
`

// quickstart runs scripts/quickstart.sh in a scratch repository root with
// fake go and sparselm binaries; it returns the output, the sparselm
// command lines run, and the error.
func quickstart(t *testing.T, root string, args ...string) (string, []string, error) {
	t.Helper()
	log := filepath.Join(root, "sparselm.log")
	os.Remove(log)
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts", "quickstart.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "fakebin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_SPARSELM="+filepath.Join(root, "fakebin", "sparselm"), "QS_LOG="+log, "SPARSELM_DATA="+filepath.Join(root, "data-elsewhere"))
	out, err := cmd.CombinedOutput()
	b, _ := os.ReadFile(log)
	var calls []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			calls = append(calls, l)
		}
	}
	return string(out), calls, err
}

// trained returns the run directories of the train commands in calls.
func trained(calls []string) []string {
	var outs []string
	for _, c := range calls {
		f := strings.Fields(c)
		if len(f) == 0 || f[0] != "train" {
			continue
		}
		for i := range f[:len(f)-1] {
			if f[i] == "--out" {
				outs = append(outs, f[i+1])
			}
		}
	}
	return outs
}

// TestQuickstartPresets: after a tiny smoke run, a plain quickstart trains
// the small preset in its own directories instead of reporting the tiny
// run as finished; a tiny run again finds its results finished; and a
// directory whose stored result names another preset is refused, never
// taken as finished.
func TestQuickstartPresets(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash")
	}
	root := t.TempDir()
	script, err := os.ReadFile("quickstart.sh")
	if err != nil {
		t.Fatal(err)
	}
	for path, body := range map[string]string{"scripts/quickstart.sh": string(script), "fakebin/go": fakeGo, "fakebin/sparselm": fakeSparselm} {
		p := filepath.Join(root, path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	out, calls, err := quickstart(t, root, "--preset", "tiny")
	if err != nil || len(trained(calls)) != 2 {
		t.Fatalf("quickstart --preset tiny: %v, trained %v\n%s", err, trained(calls), out)
	}
	tiny := trained(calls)
	out, calls, err = quickstart(t, root)
	if err != nil || strings.Contains(out, "already finished") || len(trained(calls)) != 2 {
		t.Fatalf("plain quickstart after the tiny one: %v, trained %v\n%s", err, trained(calls), out)
	}
	for i, dir := range trained(calls) {
		if dir == tiny[i] || !strings.Contains(dir, "small") || !strings.Contains(tiny[i], "tiny") {
			t.Errorf("the small run went to %s, the tiny one to %s: want directories named after their presets", dir, tiny[i])
		}
	}
	if !strings.Contains(out, "runs/quickstart-small/study") {
		t.Errorf("the plain quickstart's study is not under runs/quickstart-small:\n%s", out)
	}
	out, calls, err = quickstart(t, root, "--preset=tiny")
	if err != nil || strings.Count(out, "already finished") != 4 || len(trained(calls)) != 0 {
		t.Errorf("quickstart --preset=tiny again: %v, trained %v, want both runs and both sweeps finished\n%s", err, trained(calls), out)
	}

	// A run directory holding another preset's result is refused.
	dir := filepath.Join(root, "runs", "quickstart-paper", "ptb-lstm")
	os.MkdirAll(dir, 0o755)
	b, _ := os.ReadFile(filepath.Join(root, tiny[0], "result.json"))
	os.WriteFile(filepath.Join(dir, "result.json"), b, 0o644)
	out, calls, err = quickstart(t, root, "--preset", "paper")
	if err == nil || strings.Contains(out, "already finished") || !strings.Contains(out, "records preset 'tiny', not 'paper'") || len(calls) != 0 {
		t.Errorf("quickstart --preset paper over a tiny result: %v, ran %v\n%s", err, calls, out)
	}
}
