package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sparselm/sparselm/cmd/sparselm/internal/cli"
)

// TestMain doubles as the sparselm binary when SPARSELM_MAIN_CHILD is set,
// so a test can run the real main, signal handling included, in a child
// process. With SPARSELM_HOLD_AT set as well, the child holds at the first
// line of its standard error that matches that regular expression (see
// holdAt) until it receives SIGINT or SIGTERM, or for good with
// SPARSELM_HOLD_FOREVER=1 (a command that never stops by itself).
func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		var stderr io.Writer = os.Stderr
		if pat := os.Getenv(envHoldAt); pat != "" {
			forever := os.Getenv(envHoldForever) == "1"
			stderr = &holdAt{w: os.Stderr, re: regexp.MustCompile(pat), forever: forever}
		}
		os.Exit(run(os.Args[1:], os.Stdout, stderr))
	}
	os.Exit(m.Run())
}

const (
	envChild       = "SPARSELM_MAIN_CHILD"
	envHoldAt      = "SPARSELM_HOLD_AT"
	envHoldForever = "SPARSELM_HOLD_FOREVER"
	heldLine       = "sparselm-test: held"
)

// holdAt passes writes on to w; at the first one that matches re it prints
// heldLine on standard output and blocks until the process receives SIGINT
// or SIGTERM (or a minute has passed), then carries on; or, if forever,
// blocks for good.
// The parent signals the child once it reads heldLine, so a signal arrives
// while the child is in the middle of its work (for a progress line:
// between two windows), never before the work started or after it ended.
type holdAt struct {
	w       io.Writer
	re      *regexp.Regexp
	forever bool
	held    atomic.Bool // main's signal handler writes too, from its goroutine
}

func (h *holdAt) Write(b []byte) (int, error) {
	n, err := h.w.Write(b)
	if h.re.Match(b) && h.held.CompareAndSwap(false, true) {
		if h.forever {
			fmt.Fprintln(os.Stdout, heldLine)
			select {}
		}
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		fmt.Fprintln(os.Stdout, heldLine)
		select {
		case <-sigs:
		case <-time.After(time.Minute):
		}
		signal.Stop(sigs)
	}
	return n, err
}

// watchBuffer collects a child's standard error and closes seen once it
// holds the text want.
type watchBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	want string
	seen chan struct{}
}

func (w *watchBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := w.want != "" && strings.Contains(w.b.String(), w.want)
	w.b.Write(p)
	if w.want != "" && !had && strings.Contains(w.b.String(), w.want) {
		close(w.seen)
	}
	return len(p), nil
}

func (w *watchBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// child is sparselm running in a child process.
type child struct {
	cmd    *exec.Cmd
	stderr *watchBuffer
	exited chan error
}

// startHeld runs sparselm with args in a child that holds at the first line
// of its standard error matching pattern until it receives a signal (for
// good if forever); it returns once the child holds there, and fails the
// test if the child exits first (it was never signalled, so nothing would
// be tested). stderr.seen is closed once the child's standard error holds
// want ("": never).
func startHeld(t *testing.T, pattern string, forever bool, want string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], args...), stderr: &watchBuffer{want: want, seen: make(chan struct{})},
		exited: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), envChild+"=1", envHoldAt+"="+pattern)
	if forever {
		c.cmd.Env = append(c.cmd.Env, envHoldForever+"=1")
	}
	c.cmd.Stderr = c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	held := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == heldLine {
				held <- true
				io.Copy(io.Discard, stdout)
				return
			}
		}
		held <- false
	}()
	select {
	case ok := <-held:
		if !ok {
			err := c.cmd.Wait()
			t.Fatalf("the child exited (%v) before a line matching %q, so it was never signalled:\n%s", err, pattern, c.stderr)
		}
	case <-time.After(time.Minute):
		c.cmd.Process.Kill()
		c.cmd.Wait()
		t.Fatalf("no line matching %q within a minute:\n%s", pattern, c.stderr)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	return c
}

// wait returns the child's exit status, killing it and failing the test if
// it has not exited within d.
func (c *child) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(d):
		c.cmd.Process.Kill()
		<-c.exited
		t.Fatalf("the child did not exit within %v:\n%s", d, c.stderr)
	}
	return c.cmd.ProcessState.ExitCode()
}

// bigDataset writes a dataset whose train split is the tiny corpus's 40
// times over (about 480k tokens: seconds to evaluate, so a prompt stop is
// far from the end) and whose other splits are the tiny corpus's.
func bigDataset(t *testing.T) string {
	t.Helper()
	tiny := filepath.Join("..", "..", "testdata", "data", "tiny")
	dir := filepath.Join(t.TempDir(), "big")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, split := range []string{"train", "valid", "test"} {
		b, err := os.ReadFile(filepath.Join(tiny, split+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		if split == "train" {
			b = bytes.Repeat(b, 40)
		}
		if err := os.WriteFile(filepath.Join(dir, split+".txt"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// trainTiny trains a tiny EGRU on the dataset in dir for 200 tokens and
// returns its run directory.
func trainTiny(t *testing.T, dir string) string {
	t.Helper()
	ckpt := filepath.Join(t.TempDir(), "run")
	var out bytes.Buffer
	env := &cli.Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if err := cli.Run(context.Background(), env, []string{"train", "--preset", "tiny", "--model", "egru", "--dataset", dir,
		"--epochs", "1", "--epoch-tokens", "200", "--threads", "1", "--quiet", "--skip-test", "--out", ckpt}); err != nil {
		t.Fatalf("train: %v\n%s", err, out.String())
	}
	return ckpt
}

// stoppedAt matches the error of an evaluation or accounting pass that stopped early.
var stoppedAt = regexp.MustCompile(`stopped after (\d+) of (\d+) tokens: interrupted by (SIG[A-Z]+)`)

// TestSignalStopsEvalAndStats sends SIGINT and SIGTERM to `eval` and
// `stats` in the middle of a pass over 480k tokens (about two seconds
// uninterrupted): each must exit with 130 or 143 right away, having scored
// at most the tenth of the tokens that preceded its first progress line
// plus a window, and say so. Before the fix they ignored both signals and
// ran to the end with status 0.
func TestSignalStopsEvalAndStats(t *testing.T) {
	ckpt := trainTiny(t, bigDataset(t))
	names := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}
	for _, cmd := range []string{"eval", "stats"} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(cmd+"/"+names[sig], func(t *testing.T) {
				c := startHeld(t, "^"+cmd+` \[`, false, "", cmd, "--ckpt", ckpt, "--split", "train", "--threads", "1", "--bptt", "16")
				start := time.Now()
				if err := c.cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				status := c.wait(t, 30*time.Second)
				took := time.Since(start)
				if got, want := status, 128+int(sig); got != want {
					t.Fatalf("exit status %d after %s, want %d:\n%s", got, names[sig], want, c.stderr.String())
				}
				m := stoppedAt.FindStringSubmatch(c.stderr.String())
				if m == nil {
					t.Fatalf("the error does not say where %s stopped and why:\n%s", cmd, c.stderr.String())
				}
				done, _ := strconv.Atoi(m[1])
				total, _ := strconv.Atoi(m[2])
				if m[3] != names[sig] {
					t.Errorf("the error names %s, the signal was %s", m[3], names[sig])
				}
				// The first progress line comes at a tenth of the tokens; the
				// child resumes after the signal, so it may score a few more
				// windows before it sees the cancelled context, but not
				// another tenth.
				if done < total/10 || done >= total/5 {
					t.Errorf("%s scored %d of %d tokens: want it stopped soon after the first tenth", cmd, done, total)
				}
				if n := strings.Count(c.stderr.String(), cmd+" ["); n != 1 {
					t.Errorf("%d progress lines, want only the one it was signalled at:\n%s", n, c.stderr.String())
				}
				t.Logf("%s stopped %v after %s at %d of %d tokens", cmd, took.Round(time.Millisecond), names[sig], done, total)
			})
		}
	}
}

// TestSecondSignalQuits holds `eval` for good at its first progress line,
// so that it cannot stop after the first SIGINT, and checks that a second
// SIGINT ends the process at once with status 130.
func TestSecondSignalQuits(t *testing.T) {
	ckpt := trainTiny(t, filepath.Join("..", "..", "testdata", "data", "tiny"))
	c := startHeld(t, `^eval \[`, true, "stopping", "eval", "--ckpt", ckpt, "--threads", "1")
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.stderr.seen:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		t.Fatalf("no word that the first SIGINT is stopping the command:\n%s", c.stderr)
	}
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if status := c.wait(t, 30*time.Second); status != 130 || !strings.Contains(c.stderr.String(), "quitting now") {
		t.Errorf("exit status %d after a second SIGINT, want 130 and word of quitting:\n%s", status, c.stderr)
	}
}
