// Command mutants runs a mutation pass over sparselm: it puts one small,
// plausible bug into a copy of the tree at a time, runs the tests of the
// packages that reach the code, and reports which bugs the tests catch.
//
// Usage, from the repository root:
//
//	go run ./scripts/mutants                      # every scripts/mutants/*.mut
//	go run ./scripts/mutants -run 'prune/' scripts/mutants/prune.mut
//	go run ./scripts/mutants -stale               # after a refactor: which entries no longer match
//
// A mutant file lists mutants in this form (text between old/new/end is
// taken verbatim, whole lines; old must occur exactly once in the file):
//
//	# a comment
//	test ./measure ./report        default test packages for the mutants below
//	mutant measure/product-uses-effective
//	file measure/measure.go
//	why Factors.Product must be Activity·Weight
//	old
//		return f.Activity * f.Weight
//	new
//		return f.Activity * f.Effective
//	end
//
// A line "test ..." inside a mutant overrides the default for that mutant.
// A line "arch arm64", before the mutants (for all below it) or inside
// one, builds their tests for arm64 and runs them under qemu-aarch64 (go
// test -exec), for the code only an arm64 build compiles: the NEON
// assembly.
// The tree is copied once (tracked and untracked, non-ignored files), so
// the working tree is never touched and a run can be interrupted at any
// time. A mutant is killed when `go test` fails, survives when it passes,
// and is invalid when the mutated package does not build; an old text
// that is not found exactly once (the code moved on) is stale. Each of
// survived, invalid and stale makes the exit status non-zero, so the pass
// can be rerun as a check after a refactor.
//
// No Go mutation tool is used because the ones that exist mutate operators
// blindly (thousands of mostly equivalent mutants, many minutes each on two
// cores); a hand-picked list of plausible bugs is what this pass is for.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

// mutant is one plausible bug: in file, old is replaced by new.
type mutant struct {
	id, file, why string
	old, new      string
	tests         []string // package patterns given to go test
	arch          string   // GOARCH of the test build, "" for the host's
	source        string   // mutant file and line, for messages
}

func main() {
	runPattern := flag.String("run", "", "only mutants whose id matches this regular expression")
	timeout := flag.Duration("timeout", 5*time.Minute, "go test timeout per mutant")
	list := flag.Bool("list", false, "list the mutants and exit")
	staleOnly := flag.Bool("stale", false, "only check that every old text is found exactly once (no tests run)")
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		var err error
		files, err = filepath.Glob("scripts/mutants/*.mut")
		if err != nil || len(files) == 0 {
			fatal(fmt.Errorf("no mutant files given and none in scripts/mutants/ (run from the repository root)"))
		}
	}
	var mutants []mutant
	for _, f := range files {
		ms, err := parseFile(f)
		if err != nil {
			fatal(err)
		}
		mutants = append(mutants, ms...)
	}
	if *runPattern != "" {
		re, err := regexp.Compile(*runPattern)
		if err != nil {
			fatal(fmt.Errorf("-run: %v", err))
		}
		var kept []mutant
		for _, m := range mutants {
			if re.MatchString(m.id) {
				kept = append(kept, m)
			}
		}
		mutants = kept
	}
	if err := checkIDs(mutants); err != nil {
		fatal(err)
	}
	if *list {
		for _, m := range mutants {
			fmt.Printf("%-45s %s (%s)%s\n", m.id, m.file, strings.Join(m.tests, " "), archNote(m.arch))
		}
		return
	}
	if len(mutants) == 0 {
		fatal(fmt.Errorf("no mutants selected"))
	}
	if *staleOnly {
		n := 0
		for _, m := range mutants {
			b, err := os.ReadFile(m.file)
			if err != nil {
				fatal(fmt.Errorf("%s: %v", m.source, err))
			}
			if why, ok := staleReason(b, m); ok {
				fmt.Printf("%s %s (%s): %s\n", stale, m.id, m.source, why)
				n++
			}
		}
		fmt.Printf("%d of %d mutants stale\n", n, len(mutants))
		if n > 0 {
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, mutants, *timeout); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mutants:", err)
	os.Exit(2)
}

// parseFile reads the mutants of one file.
func parseFile(path string) ([]mutant, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var (
		out         []mutant
		defaults    []string
		defaultArch string
		cur         *mutant
		block       *strings.Builder // old or new text being read
		blockName   string
		oldB, newB  strings.Builder
		lines       = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		where       = func(i int) string { return fmt.Sprintf("%s:%d", path, i+1) }
		finishBlock = func() { block = nil; blockName = "" }
	)
	for i, line := range lines {
		if block != nil {
			switch line {
			case "new":
				if blockName != "old" {
					return nil, fmt.Errorf("%s: 'new' without 'old'", where(i))
				}
				block, blockName = &newB, "new"
				continue
			case "end":
				if blockName != "new" {
					return nil, fmt.Errorf("%s: 'end' without 'new'", where(i))
				}
				cur.old, cur.new = oldB.String(), newB.String()
				if cur.file == "" {
					return nil, fmt.Errorf("%s: mutant %s has no file", cur.source, cur.id)
				}
				if cur.tests == nil {
					cur.tests = defaults
				}
				if len(cur.tests) == 0 {
					return nil, fmt.Errorf("%s: mutant %s has no test packages", cur.source, cur.id)
				}
				if cur.old == cur.new {
					return nil, fmt.Errorf("%s: mutant %s changes nothing", cur.source, cur.id)
				}
				out = append(out, *cur)
				cur = nil
				finishBlock()
				continue
			}
			block.WriteString(line)
			block.WriteByte('\n')
			continue
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, val, _ := strings.Cut(trimmed, " ")
		val = strings.TrimSpace(val)
		switch key {
		case "test":
			if cur != nil {
				cur.tests = strings.Fields(val)
			} else {
				defaults = strings.Fields(val)
			}
		case "mutant":
			if cur != nil {
				return nil, fmt.Errorf("%s: mutant %s not ended", where(i), cur.id)
			}
			cur = &mutant{id: val, source: where(i), arch: defaultArch}
		case "arch":
			if _, ok := emulators[val]; !ok {
				return nil, fmt.Errorf("%s: arch %q: only %s are emulated", where(i), val, emulatedArches())
			}
			if cur != nil {
				cur.arch = val
			} else {
				defaultArch = val
			}
		case "file", "why", "old":
			if cur == nil {
				return nil, fmt.Errorf("%s: %q outside a mutant", where(i), key)
			}
			switch key {
			case "file":
				cur.file = val
			case "why":
				cur.why = val
			case "old":
				oldB.Reset()
				newB.Reset()
				block, blockName = &oldB, "old"
			}
		default:
			return nil, fmt.Errorf("%s: unknown line %q", where(i), line)
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: mutant %s not ended", cur.source, cur.id)
	}
	return out, nil
}

func checkIDs(ms []mutant) error {
	seen := map[string]string{}
	for _, m := range ms {
		if prev, ok := seen[m.id]; ok {
			return fmt.Errorf("%s: mutant id %s already used at %s", m.source, m.id, prev)
		}
		seen[m.id] = m.source
	}
	return nil
}

type outcome string

const (
	killed   outcome = "killed"
	survived outcome = "SURVIVED"
	invalid  outcome = "INVALID"
	stale    outcome = "STALE"
)

func run(ctx context.Context, mutants []mutant, timeout time.Duration) error {
	tree, err := copyTree(ctx)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tree)
	fmt.Printf("tree copied to %s; %d mutants\n", tree, len(mutants))

	// The unmutated tests must pass, or every mutant would look killed:
	// once per architecture.
	pkgs := map[string]map[string]bool{}
	for _, m := range mutants {
		if pkgs[m.arch] == nil {
			pkgs[m.arch] = map[string]bool{}
		}
		for _, p := range m.tests {
			pkgs[m.arch][p] = true
		}
	}
	var arches []string
	for a := range pkgs {
		arches = append(arches, a)
	}
	sort.Strings(arches)
	for _, arch := range arches {
		if arch == "" {
			continue
		}
		if _, err := exec.LookPath(emulators[arch]); err != nil {
			return fmt.Errorf("the %s mutants run their tests under %s: %v (on Debian: apt-get install qemu-user)", arch, emulators[arch], err)
		}
	}
	for _, arch := range arches {
		var all []string
		for p := range pkgs[arch] {
			all = append(all, p)
		}
		sort.Strings(all)
		start := time.Now()
		if out, err := goTest(ctx, tree, arch, all, timeout); err != nil {
			return fmt.Errorf("the unmutated tests fail%s (%v):\n%s", archNote(arch), err, tail(out, 40))
		}
		fmt.Printf("baseline: tests of %s pass%s (%.0f s)\n", strings.Join(all, " "), archNote(arch), time.Since(start).Seconds())
	}

	type tally struct{ killed, total int }
	perPkg := map[string]*tally{}
	var bad []string
	for _, m := range mutants {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		start := time.Now()
		res, detail, err := runOne(ctx, tree, m, timeout)
		if err != nil {
			return err
		}
		pkg := filepath.Dir(m.file)
		t := perPkg[pkg]
		if t == nil {
			t = &tally{}
			perPkg[pkg] = t
		}
		if res == killed || res == survived {
			t.total++
			if res == killed {
				t.killed++
			}
		}
		if res != killed {
			bad = append(bad, fmt.Sprintf("%s %s (%s): %s", res, m.id, m.source, m.why))
		}
		fmt.Printf("%-9s %-50s %5.1fs  %s\n", res, m.id, time.Since(start).Seconds(), detail)
	}
	fmt.Println()
	fmt.Println("package              killed/valid   rate")
	var names []string
	for p := range perPkg {
		names = append(names, p)
	}
	sort.Strings(names)
	var k, n int
	for _, p := range names {
		t := perPkg[p]
		k += t.killed
		n += t.total
		fmt.Printf("%-20s %6d/%-6d %5.1f%%\n", p, t.killed, t.total, rate(t.killed, t.total))
	}
	fmt.Printf("%-20s %6d/%-6d %5.1f%%\n", "all", k, n, rate(k, n))
	if len(bad) > 0 {
		fmt.Println()
		for _, b := range bad {
			fmt.Println(b)
		}
		os.Exit(1)
	}
	return nil
}

func rate(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(k) / float64(n)
}

// staleReason says why m no longer applies to src, the contents of its
// file: its old text must occur exactly once.
func staleReason(src []byte, m mutant) (string, bool) {
	if n := bytes.Count(src, []byte(m.old)); n != 1 {
		return fmt.Sprintf("old text found %d times in %s", n, m.file), true
	}
	return "", false
}

// runOne applies m in tree, runs its tests and restores the file.
func runOne(ctx context.Context, tree string, m mutant, timeout time.Duration) (outcome, string, error) {
	path := filepath.Join(tree, m.file)
	orig, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("%s: %v", m.source, err)
	}
	if why, ok := staleReason(orig, m); ok {
		return stale, why, nil
	}
	mutated := bytes.Replace(orig, []byte(m.old), []byte(m.new), 1)
	if err := os.WriteFile(path, mutated, 0o644); err != nil {
		return "", "", err
	}
	defer os.WriteFile(path, orig, 0o644)
	out, err := goTest(ctx, tree, m.arch, m.tests, timeout)
	if ctx.Err() != nil {
		return "", "", ctx.Err()
	}
	switch {
	case err == nil:
		return survived, "", nil
	case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
		return invalid, firstLines(out, 3), nil
	default:
		return killed, failedTests(out), nil
	}
}

// emulators names, per GOARCH an arch line may give, the user-mode
// emulator that runs its test binaries (Debian's qemu-user).
var emulators = map[string]string{"arm64": "qemu-aarch64"}

func emulatedArches() string {
	var names []string
	for a := range emulators {
		names = append(names, a)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func archNote(arch string) string {
	if arch == "" {
		return ""
	}
	return " (" + arch + " under " + emulators[arch] + ")"
}

// goTest runs go test on pkgs in dir; for an arch other than "" it builds
// for that GOARCH and runs the test binaries under its emulator.
func goTest(ctx context.Context, dir, arch string, pkgs []string, timeout time.Duration) ([]byte, error) {
	args := []string{"test", "-count=1", "-vet=off", "-timeout", timeout.String()}
	if arch != "" {
		args = append(args, "-exec", emulators[arch])
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkgs...)...)
	cmd.Dir = dir
	if arch != "" {
		cmd.Env = append(os.Environ(), "GOARCH="+arch)
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.Bytes(), err
}

var failLine = regexp.MustCompile(`^\s*--- FAIL: (\S+)`)

// failedTests names the top-level tests that failed, or the panic.
func failedTests(out []byte) string {
	var names []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := failLine.FindStringSubmatch(line); m != nil {
			name, _, _ := strings.Cut(m[1], "/")
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		} else if strings.HasPrefix(line, "panic:") && len(names) == 0 {
			names = append(names, strings.TrimSpace(line))
		}
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("+%d", len(names)-4))
	}
	if len(names) == 0 {
		return firstLines(out, 2)
	}
	return "by " + strings.Join(names, ", ")
}

func firstLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// copyTree copies the repository's tracked and untracked, non-ignored
// files into a new temporary directory.
func copyTree(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return "", fmt.Errorf("git ls-files (run from the repository root): %v", err)
	}
	dir, err := os.MkdirTemp("", "sparselm-mutants-")
	if err != nil {
		return "", err
	}
	for _, name := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		if err := copyFile(name, filepath.Join(dir, name)); err != nil {
			if errors.Is(err, os.ErrNotExist) { // deleted but still tracked
				continue
			}
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

func copyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
