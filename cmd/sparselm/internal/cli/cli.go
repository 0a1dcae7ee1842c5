// Package cli implements the sparselm command line: subcommands, flags and
// presets. It holds no numerics; it wires package data, model and train.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Version is the sparselm version printed by `sparselm version`.
const Version = "0.1.0-dev"

// Env is what a command sees of the outside world, so tests can use fakes.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env *Env, args []string) error
}

func commands() []command {
	return []command{
		{"train", "train an LSTM or EGRU language model", runTrain},
		{"eval", "perplexity and activity sparsity of a checkpoint on a split or a text file", runEval},
		{"prune", "prune a checkpoint's weights (one-shot, iterative, gradual) and fine-tune", runPrune},
		{"stats", "weight and activity sparsity and MACs per token of a checkpoint", runStats},
		{"report", "tables and plots of perplexity against MACs per token from pruning sweeps", runReport},
		{"data", "download and verify datasets (data fetch ptb|wikitext-2)", runData},
		{"bench", "time training steps or evaluation windows on synthetic ids (bench train|eval)", runBench},
		{"version", "print the version", func(_ context.Context, env *Env, _ []string) error {
			fmt.Fprintln(env.Stdout, "sparselm", Version)
			return nil
		}},
	}
}

// errHelp is returned after printing help that the user asked for; main exits 0.
var errHelp = flag.ErrHelp

// IsHelp reports whether err only means that help was printed.
func IsHelp(err error) bool { return errors.Is(err, errHelp) }

// Run executes the command line args (without the program name).
func Run(ctx context.Context, env *Env, args []string) error {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return errHelp
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	usage(env.Stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "sparselm: activity- and connectivity-sparse recurrent language models\n\nUsage: sparselm COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'sparselm COMMAND --help' for the flags of a command.")
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: sparselm %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// intList is a comma-separated list of positive integers, e.g. --hidden 400,400.
type intList []int

func (l *intList) String() string {
	parts := make([]string, len(*l))
	for i, v := range *l {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

func (l *intList) Set(s string) error {
	var out []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 {
			return fmt.Errorf("%q is not a comma-separated list of positive integers", s)
		}
		out = append(out, v)
	}
	*l = out
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) []string {
	var names []string
	fs.Visit(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	return names
}
