// Command sparselm trains, prunes and measures activity- and
// connectivity-sparse recurrent language models. See the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sparselm/sparselm/cmd/sparselm/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// signalCause is why the context of a command was cancelled: a signal.
// It unwraps to context.Canceled, as the context's own error does.
type signalCause struct{ sig syscall.Signal }

func (c signalCause) Error() string {
	name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[c.sig]
	if name == "" {
		name = c.sig.String()
	}
	return "interrupted by " + name
}

func (c signalCause) Unwrap() error { return context.Canceled }

// exitStatus is the shell's status of a process ended by sig: 128 + its number.
func exitStatus(sig syscall.Signal) int { return 128 + int(sig) }

// run executes the command line args and returns the exit status: 0, 1 on
// an error, or 130 (SIGINT) / 143 (SIGTERM) when a signal stopped the
// command. The first SIGINT or SIGTERM cancels the command's context: it
// stops within a window, after checkpointing what --resume continues from;
// a second one ends the process at once (checkpoints are written
// atomically, so at worst the work since the last one is lost).
func run(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case s := <-sigs:
			sig := s.(syscall.Signal)
			cancel(signalCause{sig})
			fmt.Fprintf(stderr, "\nsparselm: %v; stopping (once more to quit at once)\n", signalCause{sig})
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "\nsparselm: %v again: quitting now\n", signalCause{s.(syscall.Signal)})
			os.Exit(exitStatus(s.(syscall.Signal)))
		case <-done:
		}
	}()

	err := cli.Run(ctx, &cli.Env{Stdout: stdout, Stderr: stderr}, args)
	if err == nil || cli.IsHelp(err) {
		return 0
	}
	fmt.Fprintln(stderr, "sparselm:", err)
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) {
		return exitStatus(sc.sig)
	}
	return 1
}
