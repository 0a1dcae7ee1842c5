package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/tensor"
	"github.com/sparselm/sparselm/train"
)

// benchResult is what `sparselm bench` prints: the median throughput over
// the repeats and the allocations of one step. bench/torch_lm.py prints the
// same fields for PyTorch, and bench/compare.sh reads both.
type benchResult struct {
	Impl          string                 `json:"impl"` // "sparselm"
	Mode          string                 `json:"mode"` // "train" or "eval"
	Cell          string                 `json:"cell"`
	Preset        string                 `json:"preset"`
	Threads       int                    `json:"threads"`
	Batch         int                    `json:"batch"`
	BPTT          int                    `json:"bptt"`
	Vocab         int                    `json:"vocab"`
	Embed         int                    `json:"embed"`
	Hidden        []int                  `json:"hidden"`
	Parameters    int                    `json:"parameters"`
	Steps         int                    `json:"steps"`   // timed steps per repeat
	Warmup        int                    `json:"warmup"`  // untimed steps before the first repeat
	Repeats       int                    `json:"repeats"` // timed repeats
	TokensPerS    float64                `json:"tokens_per_s"`
	TokensPerSAll []float64              `json:"tokens_per_s_all"`
	MsPerStep     float64                `json:"ms_per_step"`
	AllocsPerStep float64                `json:"allocs_per_step"`
	BytesPerStep  float64                `json:"bytes_per_step"`
	Kernel        string                 `json:"kernel"`
	Model         *model.Config          `json:"model,omitempty"`
	Optim         *train.OptimizerConfig `json:"optimizer,omitempty"`
	Clip          float64                `json:"clip"`
}

func runBench(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "infer" {
		return runBenchInfer(ctx, env, args[1:])
	}
	const synopsis = "bench train|eval|infer [--preset small] [--model lstm|egru] [--threads N] [--steps K] [--warmup W] [--repeats R] [flags]"
	if len(args) == 0 || (args[0] != "train" && args[0] != "eval") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintf(env.Stdout, "Usage: sparselm %s\n\nTimes training steps (forward, backward, clipping, AdamW) or evaluation\nwindows of a preset's model on synthetic token ids, or (infer) the dense and event\ninference engines at batch 1. Run 'sparselm bench train --help' or 'sparselm bench infer --help' for the flags.\n", synopsis)
			return errHelp
		}
		return fmt.Errorf("bench: give the mode first: sparselm %s", synopsis)
	}
	mode := args[0]
	fs := newFlagSet(env, "bench "+mode, synopsis)
	presetName := fs.String("preset", "small", "model, batch, BPTT, dropout and optimizer settings to start from: tiny | small | paper")
	cell := fs.String("model", model.CellLSTM, "recurrent cell: lstm | egru")
	threads := fs.Int("threads", runtime.NumCPU(), "threads for the numeric kernels")
	steps := fs.Int("steps", 10, "timed steps (windows) per repeat")
	warmup := fs.Int("warmup", 3, "untimed steps before timing")
	repeats := fs.Int("repeats", 3, "timed repeats; tokens/s is their median")
	vocab := fs.Int("vocab", 10000, "vocabulary size V of the synthetic ids (PTB: 10000)")
	batch := fs.Int("batch", 0, "parallel streams B (0: the preset's training batch)")
	bptt := fs.Int("bptt", 0, "window length T (0: the preset's BPTT)")
	embed := fs.Int("embed", 0, "embedding width E (0: the preset's; the last layer follows it unless --hidden is given)")
	var hidden intList
	fs.Var(&hidden, "hidden", "comma-separated layer `widths` (default: the preset's)")
	noDropout := fs.Bool("no-dropout", false, "train without any dropout or DropConnect")
	seed := fs.Uint64("seed", 1, "seed of the weights, ids and dropout masks")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	printConfig := fs.Bool("print-config", false, "include the full model and optimizer settings in the JSON (for bench/torch_lm.py --config)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed steps to this file")
	memProfile := fs.String("memprofile", "", "write a profile of every allocation of the timed steps to this file (slows them down)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := fs.noArgs("bench"); err != nil {
		return err
	}
	o, err := train.Preset(*presetName, *cell, "ptb")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	o.Model.Cell = *cell
	o.Model.Vocab = *vocab
	if *embed > 0 {
		o.Model.Embed = *embed
		o.Model.Hidden = slices.Clone(o.Model.Hidden)
		o.Model.Hidden[len(o.Model.Hidden)-1] = *embed
	}
	if len(hidden) > 0 {
		o.Model.Hidden = []int(hidden)
	}
	if *batch > 0 {
		o.Batch = *batch
	}
	if *bptt > 0 {
		o.BPTT = *bptt
	}
	if *noDropout {
		m := &o.Model
		m.DropWord, m.DropInput, m.DropHidden, m.DropOutput, m.DropConnect = 0, 0, 0, 0, 0
	}
	o.Threads = *threads
	o.Seed = *seed
	if err := o.Validate(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if *steps < 1 || *repeats < 1 || *warmup < 0 {
		return fmt.Errorf("bench: --steps and --repeats must be positive and --warmup not negative")
	}

	tensor.SetThreads(o.Threads)
	pcg := rand.NewPCG(o.Seed, 0xbe1c)
	rng := rand.New(pcg)
	m, err := model.New[float32](o.Model, rng)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	B, T := o.Batch, o.BPTT
	// A few distinct windows of uniform random ids, cycled; their content
	// does not change the dense work of a step.
	const windows = 4
	ids := make([]int32, (windows*T+1)*B)
	for i := range ids {
		ids[i] = int32(rng.IntN(o.Model.Vocab))
	}
	state := m.NewState(B)
	opt := train.NewOptimizer(o.Optim, len(m.Params.Data))
	step := func(i int) {
		w := i % windows
		x, y := ids[w*T*B:(w+1)*T*B], ids[w*T*B+B:(w+1)*T*B+B]
		if mode == "eval" {
			m.Evaluate(x, y, T, B, state)
			return
		}
		train.Step(m, opt, x, y, T, B, state, pcg, o.Clip, 1)
	}

	for i := 0; i < *warmup; i++ {
		step(i)
	}
	stop, err := startCPUProfile("bench", *cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if *memProfile != "" {
		runtime.MemProfileRate = 1
		defer func() { runtime.MemProfileRate = 512 * 1024 }()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rates := make([]float64, 0, *repeats)
	var total time.Duration
	n := *warmup
	for r := 0; r < *repeats; r++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t0 := time.Now()
		for i := 0; i < *steps; i++ {
			step(n)
			n++
		}
		d := time.Since(t0)
		total += d
		rates = append(rates, float64(*steps*T*B)/d.Seconds())
	}
	runtime.ReadMemStats(&after)
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		runtime.GC() // the profile shows allocations up to the last completed GC
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	timed := float64(*steps * *repeats)
	res := benchResult{Impl: "sparselm", Mode: mode, Cell: o.Model.Cell, Preset: *presetName, Threads: o.Threads,
		Batch: B, BPTT: T, Vocab: o.Model.Vocab, Embed: o.Model.Embed, Hidden: o.Model.Hidden,
		Parameters: len(m.Params.Data), Steps: *steps, Warmup: *warmup, Repeats: *repeats,
		TokensPerS: median(rates), TokensPerSAll: rates, MsPerStep: 1e3 * total.Seconds() / timed,
		AllocsPerStep: float64(after.Mallocs-before.Mallocs) / timed,
		BytesPerStep:  float64(after.TotalAlloc-before.TotalAlloc) / timed,
		Kernel:        tensor.Features(), Clip: o.Clip}
	if *printConfig {
		res.Model, res.Optim = &o.Model, &o.Optim
	}
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(env.Stdout, string(b))
		return nil
	}
	fmt.Fprintf(env.Stdout, "sparselm bench %s: %s %v E=%d V=%d, batch %d × BPTT %d, %d threads, kernel %s: "+
		"%.0f tokens/s (median of %d × %d steps), %.1f ms/step, %.1f allocs/step (%.0f B/step)\n",
		mode, res.Cell, res.Hidden, res.Embed, res.Vocab, B, T, res.Threads, res.Kernel,
		res.TokensPerS, *repeats, *steps, res.MsPerStep, res.AllocsPerStep, res.BytesPerStep)
	return nil
}

// median returns the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// startCPUProfile starts a CPU profile into the file at path (none if path
// is empty) and returns the function that stops it and closes the file.
func startCPUProfile(cmd, path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: --cpuprofile: %w", cmd, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: --cpuprofile: %w", cmd, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
