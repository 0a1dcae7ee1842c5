package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// machinePath matches paths of the machine a document was written on:
// commands in committed docs must run from the repository root anywhere.
var machinePath = regexp.MustCompile(`(^|[\s("'=\x60])(/work/|/tmp/|/root/|/home/)`)

// mdLink matches the target of a Markdown link or image: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsArePortable checks every committed Markdown file (and the JSON
// and CSV results beside them) for paths of this machine, and every
// relative link for a target inside the repository that exists. The README
// once linked ../shared/METHOD.md, outside the repository, and the results
// embedded /work/... paths (issue 10, defect 11).
func TestDocsArePortable(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard",
		"*.md", "docs/*.csv", "docs/*.json", "bench/results/*.json").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a checkout)", err)
	}
	files := strings.Fields(string(out))
	if len(files) < 5 {
		t.Fatalf("found only %d documents: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the working tree
			}
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if machinePath.MatchString(line) {
				t.Errorf("%s:%d names a path of this machine: %s", f, i+1, strings.TrimSpace(line))
			}
			if !strings.HasSuffix(f, ".md") {
				continue
			}
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				abs := filepath.Join(root, filepath.Dir(f), target)
				if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s:%d links %s, outside the repository", f, i+1, m[1])
					continue
				}
				if _, err := os.Stat(abs); err != nil {
					t.Errorf("%s:%d links %s, which does not exist", f, i+1, m[1])
				}
			}
		}
	}
}
