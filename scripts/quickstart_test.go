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

// fakeSparselm logs each command line.
const fakeSparselm = `#!/usr/bin/env bash
echo "$*" >> "$QS_LOG"
`

// quickstart runs scripts/quickstart.sh in a scratch repository root with
// fake go and sparselm binaries and the given SPARSELM_DATA; it returns the
// output, the sparselm command lines run, and the error.
func quickstart(t *testing.T, root, data string, args ...string) (string, []string, error) {
	t.Helper()
	log := filepath.Join(root, "sparselm.log")
	os.Remove(log)
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts", "quickstart.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "fakebin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_SPARSELM="+filepath.Join(root, "fakebin", "sparselm"), "QS_LOG="+log, "SPARSELM_DATA="+data)
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

// TestQuickstart: the quickstart is one `sparselm study` in a directory
// named after the preset (small by default, the one given otherwise, in
// either flag form), with the extra arguments passed on, and it fetches PTB
// only when no data directory is known.
func TestQuickstart(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash")
	}
	root := filepath.Join(t.TempDir(), "repo") // no ../shared/data beside it
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
	for _, c := range []struct {
		args []string
		out  string
	}{
		{nil, "--out runs/quickstart-small"},
		{[]string{"--preset", "tiny"}, "--out runs/quickstart-tiny --preset tiny"},
		{[]string{"--preset=tiny", "--seeds", "2"}, "--out runs/quickstart-tiny --preset=tiny --seeds 2"},
	} {
		out, calls, err := quickstart(t, root, filepath.Join(root, "data"), c.args...)
		if err != nil || len(calls) != 1 || !strings.HasPrefix(calls[0], "study --dataset ptb") || !strings.HasSuffix(calls[0], c.out) {
			t.Errorf("quickstart %v: %v, ran %q, want one study ending in %q\n%s", c.args, err, calls, c.out, out)
		}
	}
	// No SPARSELM_DATA and no ../shared/data: PTB is fetched first.
	_, calls, err := quickstart(t, root, "")
	if err != nil || len(calls) != 2 || calls[0] != "data fetch ptb" {
		t.Errorf("quickstart without data: %v, ran %q, want data fetch ptb then the study", err, calls)
	}
}
