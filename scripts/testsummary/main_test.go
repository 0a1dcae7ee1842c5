package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/run.json is real `go test -json` output (Go 1.26) of a throwaway
// module whose packages cover every case: good (a pass, a skip, subtests of
// which one skips, an example), bad (a failing subtest and its parent beside
// passing tests), panics (a test that panics after one that passed),
// nobuild (a compile error), notests (no test files) and, from a second run
// with -timeout 2s, hangs (a test still running at the timeout, which gets no
// fail event of its own). Paths were rewritten to /src/ts and /goroot.
func fixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// onlyPassing is the fixture's events of package good, which passes.
func onlyPassing(t *testing.T) []byte {
	var out []byte
	for _, l := range bytes.SplitAfter(fixture(t), []byte("\n")) {
		if bytes.Contains(l, []byte(`"Package":"example.com/ts/good"`)) {
			out = append(out, l...)
		}
	}
	return out
}

func runOn(t *testing.T, in []byte, summary bool) (string, int, error) {
	t.Helper()
	var out bytes.Buffer
	code, err := run(bytes.NewReader(in), &out, summary)
	return out.String(), code, err
}

func TestSummaryCounts(t *testing.T) {
	out, code, err := runOn(t, fixture(t), true)
	if err != nil || code != 1 {
		t.Errorf("exit %d, %v; want 1 (tests failed)", code, err)
	}
	want := `failed: example.com/ts/bad TestFails/inner
failed: example.com/ts/bad TestFails
failed: example.com/ts/panics TestPanics
failed: example.com/ts/hangs TestHangs
failed outside any test (build error, panic or timeout): example.com/ts/nobuild
tests: 7 passed, 4 failed, 2 skipped
`
	if out != want {
		t.Errorf("summary:\n%s\nwant:\n%s", out, want)
	}
}

// The counts are over the whole input: .ci/run appends every go test run to one file.
func TestSummaryAddsRuns(t *testing.T) {
	in := append(fixture(t), onlyPassing(t)...)
	out, _, _ := runOn(t, in, true)
	if !strings.HasSuffix(out, "\ntests: 11 passed, 4 failed, 4 skipped\n") {
		t.Errorf("summary of two runs:\n%s", out)
	}
	out, code, err := runOn(t, onlyPassing(t), true)
	if out != "tests: 4 passed, 0 failed, 2 skipped\n" || code != 0 || err != nil {
		t.Errorf("passing run: %q, exit %d, %v", out, code, err)
	}
}

func TestSummaryNoTests(t *testing.T) {
	out, code, err := runOn(t, nil, true)
	if code != 1 || err == nil || out != "tests: 0 passed, 0 failed, 0 skipped\n" {
		t.Errorf("empty input: %q, exit %d, %v; want exit 1 and an error", out, code, err)
	}
}

func TestShow(t *testing.T) {
	out, code, err := runOn(t, fixture(t), false)
	if err != nil || code != 1 {
		t.Errorf("exit %d, %v; want 1 (tests failed)", code, err)
	}
	for _, want := range []string{
		"ok  \texample.com/ts/good\t", // package results
		"FAIL\texample.com/ts/bad\t",
		"?   \texample.com/ts/notests\t[no test files]\n",
		"bad_test.go:9: context for the failure\n", // a failed test's log
		"bad_test.go:10: inner went wrong\n--- FAIL: TestFails/inner",
		"--- FAIL: TestFails (",
		"nobuild_test.go:5:32: undefined: undefined\n", // the build error
		"FAIL\texample.com/ts/nobuild [build failed]\n",
		"panic: assignment to entry in nil map",                                     // the panic
		"about to wait\n",                                                           // the log of the test that hung
		"panic: test timed out after 2s\n",                                          // and the timeout
		"good_test.go:10: needs something this machine lacks\n--- SKIP: TestSkip (", // skips with their reason
		"--- SKIP: TestSubtests/b (",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, quiet := range []string{"=== RUN", "quiet when it passes", "--- PASS", "\nPASS\n"} {
		if strings.Contains(out, quiet) {
			t.Errorf("output shows %q, which plain go test does not", quiet)
		}
	}
	if strings.Contains(out, "\ntests: ") {
		t.Error("the count line belongs to -summary only")
	}

	out, code, _ = runOn(t, onlyPassing(t), false)
	if code != 0 || !strings.HasPrefix(out, "    good_test.go:10") {
		t.Errorf("passing run: exit %d, output %q", code, out)
	}
}

func TestShowPassesOtherLines(t *testing.T) {
	out, _, _ := runOn(t, []byte("go: downloading example.com/x v1.0.0\n{not json\n"), false)
	if out != "go: downloading example.com/x v1.0.0\n{not json\n" {
		t.Errorf("non-JSON lines: %q", out)
	}
}
