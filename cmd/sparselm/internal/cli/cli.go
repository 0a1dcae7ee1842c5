// Package cli implements the sparselm command line: subcommands and their
// flags. It holds no numerics and no experiment settings (the presets are
// train.Preset); it parses flags, calls the library packages and prints.
// Library errors name configuration fields by their JSON paths
// (config.FieldError); the tables in flags.go map them to flags.
package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sparselm/sparselm/provenance"
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
		{"score", "per-token log-probabilities and perplexity of a text file under a checkpoint (streaming engine)", runScore},
		{"generate", "sample text from a checkpoint, streamed word by word", runGenerate},
		{"prune", "prune a checkpoint's weights (one-shot, iterative, gradual) and fine-tune", runPrune},
		{"study", "the whole study as one command: train per model and seed, prune, measure, time, report (study run|status|report|submit|emit)", runStudy},
		{"stats", "weight and activity sparsity and MACs per token of a checkpoint", runStats},
		{"report", "tables and plots of perplexity against MACs per token from pruning sweeps", runReport},
		{"data", "download and verify datasets (data fetch ptb|wikitext-2)", runData},
		{"bench", "time training steps or evaluation windows on synthetic ids (bench train|eval), or the inference engines (bench infer)", runBench},
		{"version", "print the version and the build it comes from", func(_ context.Context, env *Env, _ []string) error {
			p := provenance.New(Version, nil, time.Time{})
			modified := ""
			if p.Modified == "true" {
				modified = ", modified"
			}
			fmt.Fprintf(env.Stdout, "sparselm %s (revision %s%s, %s, %s)\n", Version, p.Revision, modified, p.GoVersion, p.Platform)
			return nil
		}},
	}
}

// errHelp is returned after printing help that the user asked for; main exits 0.
var errHelp = flag.ErrHelp

// IsHelp reports whether err only means that help was printed.
func IsHelp(err error) bool { return errors.Is(err, errHelp) }

// Run executes the command line args (without the program name). Help
// that was asked for goes to env.Stdout (and Run returns an error for
// which IsHelp is true); errors are returned, for main to print once.
func Run(ctx context.Context, env *Env, args []string) error {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return errors.New("no command given")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(env.Stdout)
		return errHelp
	case "-version", "--version":
		args = []string{"version"}
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

// flagSet is a command's flags. Parse takes flags before, between and
// after the positional arguments, and prints the help to standard output
// when --help or -h is among the arguments (wherever it stands, after
// parsing the rest, so that train shows the defaults of the preset and
// model given on the same line); errors are returned, not printed.
type flagSet struct {
	*flag.FlagSet
	env      *Env
	synopsis string
	help     bool
	args     []string // the positional arguments, in order
	// defaults, if set, returns what --help shows as the default of some
	// flags (train: the values of the resolved preset).
	defaults func() (map[string]string, error)
}

// newFlagSet returns the flag set of the command name; synopsis follows
// "Usage: sparselm" in the help.
func newFlagSet(env *Env, name, synopsis string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), env: env, synopsis: synopsis}
	fs.SetOutput(io.Discard) // Parse returns the error; main prints it once
	fs.Usage = func() {}
	fs.BoolVar(&fs.help, "help", false, "print this help")
	fs.BoolVar(&fs.help, "h", false, "print this help")
	return fs
}

// Parse parses args, whose flags may stand before, between and after the
// positional arguments (sparselm score FILE --ckpt DIR is sparselm score
// --ckpt DIR FILE); every argument after "--" is positional. Args, NArg
// and Arg then return the positional arguments. After --help it prints the
// help and returns errHelp.
func (fs *flagSet) Parse(args []string) error {
	fs.args = nil
	// The flag package stops at the first positional argument: take it and
	// parse the rest again, until none is left.
	for rest := args; ; {
		if err := fs.FlagSet.Parse(rest); err != nil {
			return fmt.Errorf("%s: %w (see 'sparselm %s --help')", fs.Name(), err, fs.Name())
		}
		left := fs.FlagSet.Args()
		if len(left) == 0 {
			break
		}
		// The flag package consumed a "--" just before left: the end of the
		// flags. (A "--" given as a flag's value, --prompt --, counts as one
		// too when a positional argument follows it.)
		if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
			fs.args = append(fs.args, left...)
			break
		}
		fs.args = append(fs.args, left[0])
		rest = left[1:]
	}
	if !fs.help {
		return nil
	}
	var defaults map[string]string
	if fs.defaults != nil {
		var err error
		if defaults, err = fs.defaults(); err != nil {
			return err
		}
	}
	fs.printHelp(fs.env.Stdout, defaults)
	return errHelp
}

// Args returns the positional arguments that Parse found.
func (fs *flagSet) Args() []string { return fs.args }

// NArg returns the number of positional arguments that Parse found.
func (fs *flagSet) NArg() int { return len(fs.args) }

// Arg returns the i-th positional argument, or "" if there is none.
func (fs *flagSet) Arg(i int) string {
	if i < 0 || i >= len(fs.args) {
		return ""
	}
	return fs.args[i]
}

// noArgs returns an error naming the first positional argument, if Parse
// found any, for a command (cmd) that takes none.
func (fs *flagSet) noArgs(cmd string) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags start with --)", cmd, fs.Arg(0))
	}
	return nil
}

// printHelp writes the synopsis and every flag with its default (from
// defaults where it has one; false and empty defaults are not shown, nor
// any where the usage says the default itself: "(default: the spec's
// threads)"). A flag's value name is the first back-quoted word of its
// usage (flag.UnquoteUsage), so back-quotes hold nothing else; a
// one-letter flag is written with one dash, -o, as the synopses write it.
func (fs *flagSet) printHelp(w io.Writer, defaults map[string]string) {
	fmt.Fprintf(w, "Usage: sparselm %s\n\nFlags:\n", fs.synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "help" || f.Name == "h" {
			return
		}
		kind, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if len(f.Name) == 1 {
			line = "  -" + f.Name
		}
		if kind != "" {
			line += " " + kind
		}
		def, ok := defaults[f.Name]
		if !ok {
			def = f.DefValue
		}
		if def != "" && def != "false" && !strings.Contains(usage, "(default") {
			usage += " (default " + def + ")"
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
	})
}

// given returns the set of the flags given on the command line.
func (fs *flagSet) given() map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// checkThreads refuses a negative --threads and warns about more threads
// than CPUs, which only compete for them (the results do not change).
func checkThreads(env *Env, cmd string, n int) error {
	if n < 0 {
		return fmt.Errorf("%s: --threads %d must not be negative", cmd, n)
	}
	if cpus := runtime.NumCPU(); n > cpus {
		fmt.Fprintf(env.Stderr, "sparselm %s: warning: --threads %d is more than the %d CPUs of this machine; the extra threads only compete for them\n", cmd, n, cpus)
	}
	return nil
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

// printJSON writes v to w as indented JSON and a newline: every --json output.
func printJSON(w io.Writer, v any) error {
	b, err := marshalJSON(v, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// marshalJSON is json.MarshalIndent (no indent if indent is empty) with a
// final newline and without escaping <, > and & (the vocabulary's <eos> and
// <unk> read as they are).
func marshalJSON(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// jsonStream writes one JSON object whose list field is written item by
// item as it is made, so that a long list (score's tokens) is never held
// in memory whole: the head's fields, the list one item a line, then the
// fields known only at the end. The object is what printJSON would write of
// the same fields, in another order and layout.
type jsonStream struct {
	w     *bufio.Writer
	items int
}

// newJSONStream writes head's fields and opens the list named list.
func newJSONStream(w io.Writer, head map[string]any, list string) (*jsonStream, error) {
	b, err := marshalJSON(head, "  ")
	if err != nil {
		return nil, err
	}
	s := &jsonStream{w: bufio.NewWriter(w)}
	// b is "{\n  ...\n}\n": keep all but the closing brace.
	s.w.Write(bytes.TrimSuffix(b, []byte("\n}\n")))
	fmt.Fprintf(s.w, ",\n  %q: [", list)
	return s, nil
}

// Item appends v to the list.
func (s *jsonStream) Item(v any) error {
	b, err := marshalJSON(v, "")
	if err != nil {
		return err
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	if s.items > 0 {
		s.w.WriteByte(',')
	}
	s.items++
	s.w.WriteString("\n    ")
	_, err = s.w.Write(b)
	return err
}

// Close closes the list, writes tail's fields and the end of the object,
// and flushes.
func (s *jsonStream) Close(tail map[string]any) error {
	b, err := marshalJSON(tail, "  ")
	if err != nil {
		return err
	}
	if s.items > 0 {
		s.w.WriteString("\n  ")
	}
	s.w.WriteString("],")
	// b is "{\n  ...\n}\n": keep all but the opening brace.
	s.w.Write(bytes.TrimPrefix(b, []byte("{")))
	return s.w.Flush()
}
