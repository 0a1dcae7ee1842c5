package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeEnv is an Env whose environment holds only vars.
func fakeEnv(vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }}, &stdout, &stderr
}

// checkAbsent fails if path exists.
func checkAbsent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists (%v), want nothing there", path, err)
	}
}

// TestDataFetchDefaultsToUserDir: without --dest and $SPARSELM_DATA,
// `data fetch` puts the dataset in the user data directory
// (~/.local/share/sparselm, from the Env's HOME), not in ./data (in a
// checkout, the data/ package directory), and train then finds it there by
// name. The files are served by a local server from the verified copies.
func TestDataFetchDefaultsToUserDir(t *testing.T) {
	src := os.Getenv("SPARSELM_DATA")
	if _, err := os.Stat(filepath.Join(src, "ptb", "train.txt")); src == "" || err != nil {
		t.Skip("needs $SPARSELM_DATA/ptb (the verified PTB files) to serve")
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(src, "ptb"))))
	defer srv.Close()
	cwd := t.TempDir()
	t.Chdir(cwd)
	home := filepath.Join(cwd, "home")
	env, stdout, stderr := fakeEnv(map[string]string{"HOME": home})
	if err := Run(context.Background(), env, []string{"data", "fetch", "--url", srv.URL, "ptb"}); err != nil {
		t.Fatalf("data fetch: %v\n%s", err, stderr)
	}
	dir := filepath.Join(home, ".local", "share", "sparselm", "ptb")
	if !strings.Contains(stdout.String(), "ptb ready in "+dir) {
		t.Errorf("stdout %q does not say where ptb went (%s)", stdout, dir)
	}
	for _, f := range []string{"train.txt", "valid.txt", "test.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	checkAbsent(t, filepath.Join(cwd, "data"))
}

// TestDatasetFromUserDir: a dataset named without a path is found in
// $XDG_DATA_HOME/sparselm when neither --data nor $SPARSELM_DATA has it.
func TestDatasetFromUserDir(t *testing.T) {
	xdg := t.TempDir()
	dir := filepath.Join(xdg, "sparselm", "tiny")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"train.txt", "valid.txt", "test.txt"} {
		b, err := os.ReadFile(filepath.Join(tinyData, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	env, _, stderr := fakeEnv(map[string]string{"HOME": t.TempDir(), "XDG_DATA_HOME": xdg})
	args := []string{"train", "--preset", "tiny", "--model", "lstm", "--dataset", "tiny", "--epochs", "1",
		"--epoch-tokens", "200", "--threads", "1", "--quiet", "--skip-test", "--out", filepath.Join(t.TempDir(), "run")}
	if err := Run(context.Background(), env, args); err != nil {
		t.Fatalf("train with the dataset in $XDG_DATA_HOME/sparselm: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), dir) {
		t.Errorf("train did not say it used %s:\n%s", dir, stderr)
	}
}

// TestDataFetchOffline: when the download fails (nothing listens at the
// URL, as without a network), the error says how to use a local copy
// instead, and no directory is left behind, neither the user data
// directory nor ./data.
func TestDataFetchOffline(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	home := filepath.Join(cwd, "home")
	env, _, _ := fakeEnv(map[string]string{"HOME": home})
	err := Run(context.Background(), env, []string{"data", "fetch", "--url", "http://127.0.0.1:1", "ptb"})
	if err == nil {
		t.Fatal("data fetch from a URL where nothing listens succeeded")
	}
	for _, want := range []string{"connection refused", "--data DIR", "SPARSELM_DATA=DIR", "data fetch --url BASE ptb"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	checkAbsent(t, home)
	checkAbsent(t, filepath.Join(cwd, "data"))
	// --dest is created only for the download, too.
	dest := filepath.Join(cwd, "mine", "datasets")
	if err := Run(context.Background(), env, []string{"data", "fetch", "--dest", dest, "--url", "http://127.0.0.1:1", "ptb"}); err == nil {
		t.Fatal("data fetch --dest from a URL where nothing listens succeeded")
	}
	checkAbsent(t, filepath.Join(cwd, "mine"))
}

// TestDataFetchFlagsAfterName: `sparselm data fetch ptb --dest DIR`, as
// the README and the YAML of study emit --k8s write it, takes the flags
// after the name; the count of names is checked with the flags anywhere.
func TestDataFetchFlagsAfterName(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	env, _, _ := fakeEnv(map[string]string{"HOME": filepath.Join(cwd, "home")})
	dest := filepath.Join(cwd, "dest")
	// Nothing listens at the URL: the error shows that --url was read.
	err := Run(context.Background(), env, []string{"data", "fetch", "ptb", "--dest", dest, "--url", "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("data fetch ptb --dest --url: %v, want a download error from the --url", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "fetch", "--dest", dest}, "data fetch: name the dataset to fetch (known: ptb, wikitext-2)"},
		{[]string{"data", "fetch", "ptb", "--dest", dest, "wikitext-2"}, "data fetch: name one dataset, not 2 (ptb wikitext-2; known: ptb, wikitext-2)"},
	} {
		if err := Run(context.Background(), env, c.args); err == nil || err.Error() != c.want {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}

	src := os.Getenv("SPARSELM_DATA")
	if _, err := os.Stat(filepath.Join(src, "ptb", "train.txt")); src == "" || err != nil {
		t.Skip("needs $SPARSELM_DATA/ptb (the verified PTB files) to serve")
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(src, "ptb"))))
	defer srv.Close()
	if err := Run(context.Background(), env, []string{"data", "fetch", "ptb", "--dest", dest, "--url", srv.URL}); err != nil {
		t.Fatalf("data fetch ptb --dest --url: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "ptb", "test.txt")); err != nil {
		t.Error(err)
	}
}
