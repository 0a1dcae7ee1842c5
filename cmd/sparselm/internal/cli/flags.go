package cli

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/sparselm/sparselm/config"
	"github.com/sparselm/sparselm/train"
)

// optionFlag ties a flag of `sparselm train` to the field of train.Options
// it sets. The table below is the one place where flags meet fields: it
// defines the flags, overlays the given ones on the preset (or on the
// stored options of a resumed run), shows the resolved values in --help,
// turns a field named by a library error into its flag, and names the
// flags of a resumed run whose stored values differ from those given.
type optionFlag struct {
	name  string                     // the flag, without dashes
	path  string                     // JSON path of the field in train.Options (config.FieldError.Path, config.Diff)
	field func(o *train.Options) any // a pointer to the field in o
	usage string
	// resumable flags may differ from the stored run on --resume: they do
	// not change the numbers (the kernels are bit-identical for any thread
	// count; the test pass comes after training).
	resumable bool
}

// trainFlags lists every flag of train that sets an option.
var trainFlags = []optionFlag{
	{name: "preset", path: "preset", field: func(o *train.Options) any { return &o.Preset },
		usage: "settings to start from: " + strings.Join(train.Presets, " | ") + " (flags override them)"},
	{name: "model", path: "model.cell", field: func(o *train.Options) any { return &o.Model.Cell }, usage: "recurrent `cell`: lstm | egru"},
	{name: "dataset", path: "dataset", field: func(o *train.Options) any { return &o.Dataset },
		usage: "dataset `name` (ptb, wikitext-2) or a directory holding train/valid/test splits"},
	{name: "max-vocab", path: "max_vocab", field: func(o *train.Options) any { return &o.MaxVocab },
		usage: "keep only the most frequent words (0: all); others become <unk>"},
	{name: "min-count", path: "min_count", field: func(o *train.Options) any { return &o.MinCount },
		usage: "words seen fewer times in train become <unk>"},

	{name: "embed", path: "model.embed", field: func(o *train.Options) any { return &o.Model.Embed },
		usage: "embedding width E (the decoder is tied to it: the last layer must be E wide; --embed alone sets both)"},
	{name: "hidden", path: "model.hidden", field: func(o *train.Options) any { return &o.Model.Hidden },
		usage: "comma-separated layer `widths`, bottom to top, e.g. 400,400"},
	{name: "drop-word", path: "model.drop_word", field: func(o *train.Options) any { return &o.Model.DropWord }, usage: "word (embedding-row) dropout"},
	{name: "drop-input", path: "model.drop_input", field: func(o *train.Options) any { return &o.Model.DropInput },
		usage: "locked dropout on the embedding output"},
	{name: "drop-hidden", path: "model.drop_hidden", field: func(o *train.Options) any { return &o.Model.DropHidden },
		usage: "locked dropout between layers"},
	{name: "drop-output", path: "model.drop_output", field: func(o *train.Options) any { return &o.Model.DropOutput },
		usage: "locked dropout before the decoder"},
	{name: "drop-connect", path: "model.drop_connect", field: func(o *train.Options) any { return &o.Model.DropConnect },
		usage: "DropConnect on the recurrent weights"},
	{name: "threshold-mean", path: "model.threshold_mean", field: func(o *train.Options) any { return &o.Model.ThresholdMean },
		usage: "EGRU: mean μ of the Beta(3μ/(1−μ), 3) threshold initialisation"},
	{name: "learn-threshold", path: "model.learn_threshold", field: func(o *train.Options) any { return &o.Model.LearnThreshold },
		usage: "EGRU: learn the thresholds (false: frozen)"},
	{name: "pseudo-height", path: "model.pseudo_height", field: func(o *train.Options) any { return &o.Model.PseudoHeight },
		usage: "EGRU: height γ of the pseudo-derivative"},
	{name: "pseudo-width", path: "model.pseudo_width", field: func(o *train.Options) any { return &o.Model.PseudoWidth },
		usage: "EGRU: β of the pseudo-derivative (support half-width 1/β)"},
	{name: "zero-state-window", path: "model.zero_state_window", field: func(o *train.Options) any { return &o.Model.ZeroStateWindow },
		usage: "EGRU: zero c at every BPTT window as the reference code does"},
	{name: "activity-reg", path: "model.activity_reg", field: func(o *train.Options) any { return &o.Model.ActivityReg },
		usage: "EGRU: weight of the mean-event-rate regulariser"},

	{name: "optimizer", path: "optimizer.kind", field: func(o *train.Options) any { return &o.Optim.Kind }, usage: "adamw | sgd"},
	{name: "lr", path: "optimizer.lr", field: func(o *train.Options) any { return &o.Optim.LR }, usage: "learning rate"},
	{name: "beta1", path: "optimizer.beta1", field: func(o *train.Options) any { return &o.Optim.Beta1 }, usage: "AdamW β1 (0 allowed)"},
	{name: "beta2", path: "optimizer.beta2", field: func(o *train.Options) any { return &o.Optim.Beta2 }, usage: "AdamW β2"},
	{name: "weight-decay", path: "optimizer.weight_decay", field: func(o *train.Options) any { return &o.Optim.WeightDecay },
		usage: "decoupled weight decay on the weight matrices"},
	{name: "threshold-lr", path: "optimizer.threshold_lr", field: func(o *train.Options) any { return &o.Optim.ThresholdLR },
		usage: "EGRU: learning rate of the thresholds (0: --lr)"},
	{name: "clip", path: "clip", field: func(o *train.Options) any { return &o.Clip }, usage: "gradient-norm clipping (0: off)"},
	{name: "constant-frac", path: "constant_frac", field: func(o *train.Options) any { return &o.ConstantFrac },
		usage: "fraction of steps at the full learning rate before the cosine decay"},
	{name: "min-lr-scale", path: "min_lr_scale", field: func(o *train.Options) any { return &o.MinLRScale },
		usage: "learning-rate multiplier reached at the last step"},

	{name: "batch", path: "batch", field: func(o *train.Options) any { return &o.Batch }, usage: "parallel streams B"},
	{name: "bptt", path: "bptt", field: func(o *train.Options) any { return &o.BPTT }, usage: "BPTT window length T"},
	{name: "variable-bptt", path: "variable_bptt", field: func(o *train.Options) any { return &o.VariableBPTT },
		usage: "AWD-LSTM variable-length windows"},
	{name: "epochs", path: "epochs", field: func(o *train.Options) any { return &o.Epochs }, usage: "maximum epochs"},
	{name: "epoch-tokens", path: "epoch_tokens", field: func(o *train.Options) any { return &o.EpochTokens },
		usage: "cap on training tokens per epoch (0: whole split)"},
	{name: "eval-batch", path: "eval_batch", field: func(o *train.Options) any { return &o.EvalBatch },
		usage: "streams for validation (test always uses 1)"},
	{name: "eval-bptt", path: "eval_bptt", field: func(o *train.Options) any { return &o.EvalBPTT }, usage: "window length for evaluation"},
	{name: "patience", path: "patience", field: func(o *train.Options) any { return &o.Patience },
		usage: "early stopping: epochs without a better validation perplexity (0: never)"},
	{name: "seed", path: "seed", field: func(o *train.Options) any { return &o.Seed }, usage: "random seed"},
	{name: "threads", path: "threads", field: func(o *train.Options) any { return &o.Threads },
		usage: "threads for the numeric kernels (results do not depend on it)", resumable: true},
	{name: "save-every", path: "save_every", field: func(o *train.Options) any { return &o.SaveEvery },
		usage: "interval of resumable checkpoints within an epoch", resumable: true},
	{name: "skip-test", path: "skip_test", field: func(o *train.Options) any { return &o.SkipTest },
		usage: "do not evaluate the test split at the end", resumable: true},
}

// trainFlagByPath returns the row of trainFlags for a field's JSON path.
func trainFlagByPath(path string) (optionFlag, bool) {
	for _, f := range trainFlags {
		if f.path == path {
			return f, true
		}
	}
	return optionFlag{}, false
}

// defineOptionFlags defines the flags of trainFlags on fs, bound to the
// fields of o (zero-valued: what the flags hold matters only for the flags
// given, which overlayOptions copies).
func defineOptionFlags(fs *flagSet, o *train.Options) {
	for _, f := range trainFlags {
		switch p := f.field(o).(type) {
		case *string:
			fs.StringVar(p, f.name, *p, f.usage)
		case *int:
			fs.IntVar(p, f.name, *p, f.usage)
		case *uint64:
			fs.Uint64Var(p, f.name, *p, f.usage)
		case *float64:
			fs.Float64Var(p, f.name, *p, f.usage)
		case *bool:
			fs.BoolVar(p, f.name, *p, f.usage)
		case *time.Duration:
			fs.DurationVar(p, f.name, *p, f.usage)
		case *[]int:
			fs.Var((*intList)(p), f.name, f.usage)
		default:
			panic(fmt.Sprintf("cli: flag --%s: no flag type for %T", f.name, p))
		}
	}
}

// overlayOptions copies into dst the fields of the flags in given from src.
// Given --embed without --hidden, the last layer follows the embedding
// (the decoder is tied to it).
func overlayOptions(dst, src *train.Options, given map[string]bool) {
	for _, f := range trainFlags {
		if given[f.name] {
			v := reflect.ValueOf(f.field(src)).Elem()
			if v.Kind() == reflect.Slice {
				v = reflect.AppendSlice(reflect.MakeSlice(v.Type(), 0, v.Len()), v)
			}
			reflect.ValueOf(f.field(dst)).Elem().Set(v)
		}
	}
	if given["embed"] && !given["hidden"] && len(dst.Model.Hidden) > 0 {
		dst.Model.Hidden = slices.Clone(dst.Model.Hidden)
		dst.Model.Hidden[len(dst.Model.Hidden)-1] = dst.Model.Embed
	}
}

// optionDefaults returns, for --help, the value of every option flag in o.
func optionDefaults(o *train.Options) map[string]string {
	d := map[string]string{}
	for _, f := range trainFlags {
		d[f.name] = config.Format(reflect.ValueOf(f.field(o)).Elem().Interface())
	}
	return d
}

// resumeConflicts returns a line per flag whose field differs between the
// stored options of a run and the options resolved from the command line,
// leaving out the resumable flags.
func resumeConflicts(stored, given *train.Options) []string {
	var lines []string
	for _, d := range config.Diff(*stored, *given) {
		f, ok := trainFlagByPath(d.Path)
		switch {
		case !ok:
			lines = append(lines, fmt.Sprintf("%s: stored %s, given %s", d.Path, config.Format(d.A), config.Format(d.B)))
		case !f.resumable:
			lines = append(lines, fmt.Sprintf("--%s: stored %s, given %s", f.name, config.Format(d.A), config.Format(d.B)))
		}
	}
	return lines
}

// flagged returns err for a user of command cmd: a *config.FieldError of a
// field that has a flag is said with the flag (flagOf returns how to name
// the field, "--lr", and true), followed by what err adds after it (a
// hint); other errors are returned as they are.
func flagged(cmd string, err error, flagOf func(path string) (string, bool)) error {
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	name, ok := flagOf(fe.Path)
	if !ok {
		return err
	}
	_, hint, _ := strings.Cut(err.Error(), fe.Error())
	return fmt.Errorf("%s: %s%s", cmd, fe.Named(name), hint)
}

// trainFlagOf is the flagOf of flagged for train.Options.
func trainFlagOf(path string) (string, bool) {
	f, ok := trainFlagByPath(path)
	return "--" + f.name, ok
}
