// Command testsummary shows the output of `go test -json` the way a person
// reads it, and counts the tests: .ci/run pipes every go test run through it
// and ends with the count line of the whole run.
//
// Usage:
//
//	go test -json ./... | tee -a tests.json | testsummary   # show one run
//	testsummary -summary < tests.json                     # count every run
//
// Shown (the first form): each package's result line ("ok  pkg  1.2s",
// "FAIL pkg", "?  pkg [no test files]"), build errors, and the output of
// every test that failed or was skipped, as `go test -v` prints it (without
// the === RUN lines); passing tests stay quiet, as with plain `go test`. A
// test still running when its package failed (a panic or a timeout) is shown
// and counted as failed.
//
// Counted (-summary): every test, subtest and example that passed, failed or
// was skipped, over all the runs in the input. It lists the failed ones and
// the packages that failed outside any test (a build error, a panic, a
// timeout), then prints the count line last:
//
//	tests: 812 passed, 0 failed, 3 skipped
//
// Both forms exit with status 1 when a test or a package failed (and
// -summary when no test ran at all), so a pipeline under `set -o pipefail`
// fails either way.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Output     string
}

// key names a test within its package.
type key struct{ pkg, test string }

// tally follows the events of one or more go test runs.
type tally struct {
	out                     io.Writer // where the human-readable form goes; nil: show nothing
	passed, failed, skipped int
	failedTests             []string         // "pkg TestX/sub"
	failedPkgs              []string         // packages that failed with no failed test
	running                 map[key][]string // output of tests not finished yet
	pkgFailedTests          map[string]int
}

func newTally(out io.Writer) *tally {
	return &tally{out: out, running: map[key][]string{}, pkgFailedTests: map[string]int{}}
}

func (t *tally) show(lines ...string) {
	if t.out == nil {
		return
	}
	for _, l := range lines {
		fmt.Fprint(t.out, l)
	}
}

// verbose reports whether a line is one that only `go test -v` prints.
func verbose(line string) bool {
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// line takes one line of input: an event, or anything else (shown as is).
func (t *tally) line(raw string) {
	var e event
	if !strings.HasPrefix(raw, "{") || json.Unmarshal([]byte(raw), &e) != nil {
		t.show(raw + "\n")
		return
	}
	switch {
	case e.Action == "build-output":
		t.show(e.Output)
	case e.Test != "":
		t.test(e)
	case e.Action == "output":
		if strings.TrimSpace(e.Output) != "PASS" {
			t.show(e.Output)
		}
	case e.Action == "fail":
		t.packageFailed(e.Package)
	}
}

func (t *tally) test(e event) {
	k := key{e.Package, e.Test}
	switch e.Action {
	case "run":
		t.running[k] = nil
	case "output":
		if !verbose(e.Output) {
			t.running[k] = append(t.running[k], e.Output)
		}
	case "pass":
		t.passed++
		delete(t.running, k)
	case "skip":
		t.skipped++
		t.show(t.running[k]...)
		delete(t.running, k)
	case "fail":
		t.fail(k)
	}
}

func (t *tally) fail(k key) {
	t.failed++
	t.pkgFailedTests[k.pkg]++
	t.failedTests = append(t.failedTests, k.pkg+" "+k.test)
	t.show(t.running[k]...)
	delete(t.running, k)
}

// packageFailed counts the tests of pkg that never finished as failed (their
// output holds the panic or the timeout) and notes a package that failed
// without a failed test.
func (t *tally) packageFailed(pkg string) {
	var open []key
	for k := range t.running {
		if k.pkg == pkg {
			open = append(open, k)
		}
	}
	sort.Slice(open, func(i, j int) bool { return open[i].test < open[j].test })
	for _, k := range open {
		t.fail(k)
	}
	if t.pkgFailedTests[pkg] == 0 {
		t.failedPkgs = append(t.failedPkgs, pkg)
	}
}

// ok reports whether nothing failed.
func (t *tally) ok() bool { return t.failed == 0 && len(t.failedPkgs) == 0 }

// summary writes the failed tests and packages, then the count line.
func (t *tally) summary(w io.Writer) {
	for _, name := range t.failedTests {
		fmt.Fprintf(w, "failed: %s\n", name)
	}
	for _, pkg := range t.failedPkgs {
		fmt.Fprintf(w, "failed outside any test (build error, panic or timeout): %s\n", pkg)
	}
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped)
}

func run(in io.Reader, out io.Writer, summary bool) (int, error) {
	var t *tally
	if summary {
		t = newTally(nil)
	} else {
		t = newTally(out)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		t.line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return 2, err
	}
	if summary {
		t.summary(out)
		if t.passed+t.failed+t.skipped == 0 {
			return 1, fmt.Errorf("no test ran")
		}
	}
	if !t.ok() {
		return 1, nil
	}
	return 0, nil
}

func main() {
	summary := flag.Bool("summary", false, "print only the failed tests and the count line of all the input")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go test -json ... | testsummary [-summary]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	code, err := run(os.Stdin, os.Stdout, *summary)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
	}
	os.Exit(code)
}
