package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparselm/sparselm/train"
)

// TestTrainResumeFinished resumes a finished run that holds a test result,
// with --skip-test (the user's command) and without: the run is complete, so
// each prints its stored result, test perplexity included, says so, and
// leaves result.json and log.jsonl byte for byte as they were. Before the
// fix --skip-test dropped the test result and cut the wall time to the
// training's, and a plain --resume ran the test pass again and logged it.
func TestTrainResumeFinished(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, err := run(t, tinyTrain("lstm", out)...)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	_, testLine, ok := strings.Cut(stdout, "test ppl")
	if !ok {
		t.Fatalf("train printed no test perplexity:\n%s", stdout)
	}
	testLine, _, _ = strings.Cut(testLine, "\n")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	result, log := read(train.FileResult), read(train.FileLog)
	for _, extra := range [][]string{{"--skip-test", "--quiet"}, {"--quiet=false"}} {
		args := append([]string{"train", "--out", out, "--resume"}, extra...)
		stdout, stderr, err := run(t, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		if !strings.Contains(stdout, "test ppl"+testLine+"\n") {
			t.Errorf("%s printed\n%s\nwant the stored test ppl%s", strings.Join(args, " "), stdout, testLine)
		}
		if extra[0] == "--quiet=false" && !strings.Contains(stderr, "complete") {
			t.Errorf("%s does not say that the run is complete:\n%s", strings.Join(args, " "), stderr)
		}
		if read(train.FileResult) != result {
			t.Errorf("%s changed %s", strings.Join(args, " "), train.FileResult)
		}
		if got := read(train.FileLog); got != log {
			t.Errorf("%s appended to %s:\n%s", strings.Join(args, " "), train.FileLog, strings.TrimPrefix(got, log))
		}
	}
}
