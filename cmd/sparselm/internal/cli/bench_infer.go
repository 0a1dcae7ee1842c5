package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/infer"
	"github.com/sparselm/sparselm/model"
	"github.com/sparselm/sparselm/provenance"
	"github.com/sparselm/sparselm/prune"
	"github.com/sparselm/sparselm/report"
	"github.com/sparselm/sparselm/tensor"
	"github.com/sparselm/sparselm/train"
)

// benchInferPoint is one setting of `bench infer --paper`.
type benchInferPoint struct {
	infer.GridPoint
	Speedup        float64 `json:"speedup"`
	Reduction      float64 `json:"reduction"`
	LayerSpeedup   float64 `json:"layer_speedup"`
	LayerReduction float64 `json:"layer_reduction"`
}

func runBenchInfer(ctx context.Context, env *Env, args []string) error {
	const synopsis = "bench infer --ckpt DIR | --sweep DIR | --paper [--cell egru|lstm] [--vocab V] [--sparsities S,...] [--active A,...] [--steps K] [--warmup W] [--repeats R] [--json]"
	fs := newFlagSet(env, "bench infer", synopsis)
	ckpt := fs.String("ckpt", "", "checkpoint directory, or a run directory (its best checkpoint)")
	sweep := fs.String("sweep", "", "output `directory` of 'sparselm prune': time its start and every level's best checkpoint, and store the timings in it as "+report.InferBenchFile+" for 'sparselm report'")
	paper := fs.Bool("paper", false, "paper-shape model (layers 1350, 1350, 750; E 750) with random weights, pruned (and, for the EGRU, thresholded) in memory")
	cell := fs.String("cell", model.CellEGRU, "--paper: the cell, egru or lstm (the LSTM's outputs are never zero: --active does not apply)")
	shape := fs.String("shape", "", "model shape built in memory: paper (the same as --paper)")
	var sparsities, active floatList = floatList{0, 0.5, 0.75, 0.9, 0.95, 0.98}, floatList{0.05, 0.1, 0.2, 0.4}
	fs.Var(&sparsities, "sparsities", "--paper: weight `sparsities` of every layer matrix (magnitude, per matrix), ascending")
	fs.Var(&active, "active", "--paper: target `fractions` of units firing per step (ϑ set to the ĉ quantile)")
	vocab := fs.Int("vocab", 10000, "--paper: vocabulary size V")
	steps := fs.Int("steps", 200, "timed tokens per repeat")
	warmup := fs.Int("warmup", 20, "untimed tokens before timing")
	repeats := fs.Int("repeats", 5, "timed repeats; ns/token is their median")
	threads := fs.Int("threads", 1, "threads: the engines are single-threaded, so only 1 is accepted")
	dataDir := fs.String("data", "", dataFlagHelp)
	seed := fs.Uint64("seed", 1, "seed of the random weights and token ids")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (models built, engines timed) to this `file`; go tool pprof -focus Step reads the timed part")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fs.noArgs("bench infer"); err != nil {
		return err
	}
	if *shape != "" && *shape != "paper" {
		return fmt.Errorf("bench infer: --shape %q: the only shape is paper", *shape)
	}
	*paper = *paper || *shape == "paper"
	given := 0
	for _, on := range []bool{*ckpt != "", *sweep != "", *paper} {
		if on {
			given++
		}
	}
	if given != 1 {
		return fmt.Errorf("bench infer: give exactly one of --ckpt, --sweep and --paper: sparselm %s", synopsis)
	}
	set := fs.given()
	if !*paper {
		for _, f := range []string{"cell", "vocab", "sparsities", "active"} {
			if set[f] {
				return fmt.Errorf("bench infer: --%s builds a model in memory and goes with --paper, not --ckpt or --sweep", f)
			}
		}
	}
	if *threads != 1 {
		return fmt.Errorf("bench infer: --threads %d: the inference engines are single-threaded (batch 1, one goroutine); give --threads 1", *threads)
	}
	o := infer.BenchOptions{Steps: *steps, Warmup: *warmup, Repeats: *repeats}
	if err := o.Validate(); err != nil {
		return fmt.Errorf("bench infer: --steps and --repeats must be positive and --warmup not negative (%w)", err)
	}
	tensor.SetThreads(1)
	stop, err := startCPUProfile("bench infer", *cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	rng := rand.New(rand.NewPCG(*seed, 0x1f3e))
	if *paper {
		if *cell != model.CellEGRU && *cell != model.CellLSTM {
			return fmt.Errorf("bench infer: --cell %q: want egru or lstm", *cell)
		}
		if *cell == model.CellLSTM {
			if set["active"] {
				return fmt.Errorf("bench infer: --active applies to the EGRU only: every LSTM unit is non-zero at every step")
			}
			active = nil
		}
		return benchInferPaper(ctx, env, *cell, sparsities, active, *vocab, o, rng, *asJSON)
	}

	// The checkpoints to time, with the sweep's points they are (none for --ckpt).
	dirs, points := []string{*ckpt}, []*report.Point{nil}
	if *sweep != "" {
		s, err := readSweep("bench infer", *sweep)
		if err != nil {
			return err
		}
		dirs, points = dirs[:0], points[:0]
		for i := range s.Points {
			dirs = append(dirs, report.CheckpointPath(*sweep, s.Points[i].Checkpoint))
			points = append(points, &s.Points[i])
		}
	}
	bench := report.InferBench{BenchSetup: report.BenchSetup{CPU: provenance.CPUModel(), Kernel: tensor.Features(),
		Steps: *steps, Warmup: *warmup, Repeats: *repeats, Threads: 1, Batch: 1}}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	if !*asJSON {
		fmt.Fprintf(env.Stdout, "sparselm bench infer: batch 1, one thread, median of %d × %d tokens after %d warmup; CPU %s, kernel %s\n",
			*repeats, *steps, *warmup, bench.CPU, bench.Kernel)
		fmt.Fprintln(w, "checkpoint\tcell\tweight sp.\ttokens\tdense ns/tok\tdense tok/s\tevent ns/tok\tevent tok/s\texec MACs/tok\tdense MACs/tok\tspeedup\tcounted red.\tlayers speedup\tlayers red.\tactive\t")
	}
	// The checkpoints of a sweep share one dataset: load it once.
	var corpus *data.Corpus
	var corpusKey string
	for i, arg := range dirs {
		var dir string
		var c *train.Checkpoint
		var err error
		if *sweep == "" {
			dir, c, err = openCheckpoint("bench infer", arg)
		} else if dir, c, err = loadCheckpointArg(arg); err != nil {
			err = fmt.Errorf("bench infer: %s, named by %s: %w (a relative path is relative to the directory `sparselm prune` ran in: run bench infer there)",
				points[i].Checkpoint, filepath.Join(*sweep, report.SummaryFile), err)
		}
		if err != nil {
			return err
		}
		if bench.Provenance == nil {
			// The session and the data files of the first checkpoint: a sweep's share its dataset.
			bench.Provenance = checkpointProvenance(env, "bench", append([]string{"infer"}, args...), c, *dataDir)
		}
		key := fmt.Sprint(c.Options.Dataset, c.Options.MaxVocab, c.Options.MinCount)
		if corpus == nil || key != corpusKey || !slices.Equal(corpus.Vocab.Words(), c.Vocab.Words()) {
			corpus, corpusKey = nil, key
			if corpus, err = loadCheckpointCorpus(env, c, *dataDir); err != nil {
				corpus = nil
			}
		}
		var ids []int32
		source := report.TokensTest
		if corpus != nil && len(corpus.Test) > 0 {
			ids = corpus.Test
		} else {
			ids, source = randomIDs(rng, c.Model.Config.Vocab, *steps+*warmup), report.TokensRandom
			if !*asJSON {
				fmt.Fprintf(env.Stderr, "sparselm bench infer: %s: timing random token ids (the dataset does not resolve: %v)\n", dir, err)
			}
		}
		cmp, err := infer.Compare(ctx, c.Model, ids, o)
		if err != nil {
			return fmt.Errorf("bench infer: %s: %w", dir, err)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("bench infer: %w", err)
		}
		r := report.NewBenchRow(abs, c.Model.Config.Cell, prune.Sparsity(&c.Model.Params), source, cmp)
		if points[i] != nil {
			r.Point = report.KeyOf(*points[i])
		}
		bench.Checkpoints = append(bench.Checkpoints, r)
		if !*asJSON {
			fmt.Fprintf(w, "%s\t%s\t%.3f\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%.2f×\t%.2f×\t%.2f×\t%.2f×\t%s\t\n", dir, r.Cell, r.WeightSparsity, source,
				cmp.Dense.NsPerToken, cmp.Dense.TokensPerS, cmp.Event.NsPerToken, cmp.Event.TokensPerS,
				cmp.Counts.LayerMACs+cmp.Counts.DecoderMACs, cmp.DenseLayerMACs+cmp.DenseDecoderMACs,
				r.Speedup, r.Reduction, r.LayerSpeedup, r.LayerReduction, fractions(cmp.Counts.Active))
		}
	}
	w.Flush() // tabwriter aligns the rows written before a flush
	if *sweep != "" {
		// Replaced whole, and only once every checkpoint is timed: a
		// cancelled run leaves the previous timings.
		if err := report.WriteInferBench(*sweep, bench); err != nil {
			return fmt.Errorf("bench infer: %w", err)
		}
		wrote := env.Stdout
		if *asJSON {
			wrote = env.Stderr
		}
		fmt.Fprintln(wrote, "wrote", filepath.Join(*sweep, report.InferBenchFile))
	}
	if *asJSON {
		return printJSON(env.Stdout, bench)
	}
	return nil
}

// benchInferPaper builds the paper-shape model of the cell and prints the
// grid of infer.Grid, a row per setting as it is measured (active is nil
// for the LSTM).
func benchInferPaper(ctx context.Context, env *Env, cell string, sparsities, active []float64, vocab int, o infer.BenchOptions, rng *rand.Rand, asJSON bool) error {
	opt, err := train.Preset("paper", cell, "ptb")
	if err != nil {
		return fmt.Errorf("bench infer: %w", err)
	}
	cfg := opt.Model
	cfg.Vocab = vocab
	m, err := model.New[float32](cfg, rng)
	if err != nil {
		return fmt.Errorf("bench infer: %w", err)
	}
	// Random ids: the grid's weights are random, so no text is more typical.
	ids, calib := randomIDs(rng, vocab, o.Steps+o.Warmup), randomIDs(rng, vocab, 64)
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	if !asJSON {
		fmt.Fprintf(env.Stdout, "sparselm bench infer --paper: %s %v E=%d V=%d, random weights and ids, batch 1, one thread, median of %d × %d tokens after %d warmup; kernel %s\n",
			strings.ToUpper(cell), cfg.Hidden, cfg.Embed, cfg.Vocab, o.Repeats, o.Steps, o.Warmup, tensor.Features())
		if cell == model.CellEGRU {
			fmt.Fprintln(env.Stdout, "ϑ of each layer = the (1−active)-quantile of its ĉ on 64 calibration tokens (3 rounds); measured = fraction of non-zero layer outputs on the timed tokens (per layer)")
		} else {
			fmt.Fprintln(env.Stdout, "LSTM: every unit is non-zero at every step (active 1); only the weight sparsity saves work")
		}
		fmt.Fprintln(w, "weight sp.\tactive target\tmeasured\tlayers dense ns/tok\tlayers event ns/tok\tlayers speedup\tlayers counted red.\twhole dense ns/tok\twhole event ns/tok\twhole speedup\twhole counted red.\t")
	}
	var pts []benchInferPoint
	err = infer.Grid(ctx, m, ids, calib, sparsities, active, o, func(p infer.GridPoint) error {
		pt := benchInferPoint{GridPoint: p, Speedup: p.Speedup(), Reduction: p.Reduction(), LayerSpeedup: p.LayerSpeedup(), LayerReduction: p.LayerReduction()}
		pts = append(pts, pt)
		if asJSON {
			return nil
		}
		fmt.Fprintf(w, "%.3f\t%.2f\t%s\t%.0f\t%.0f\t%.2f×\t%.2f×\t%.0f\t%.0f\t%.2f×\t%.2f×\t\n", p.WeightSparsity, p.Active, fractions(p.Counts.Active),
			p.DenseLayers.NsPerToken, p.EventLayers.NsPerToken, pt.LayerSpeedup, pt.LayerReduction,
			p.Dense.NsPerToken, p.Event.NsPerToken, pt.Speedup, pt.Reduction)
		return nil
	})
	w.Flush() // tabwriter aligns the rows written before a flush
	if err != nil {
		return fmt.Errorf("bench infer: %w (--sparsities must be ascending, in [0, 1); --active in (0, 1))", err)
	}
	if asJSON {
		return printJSON(env.Stdout, map[string]any{"steps": o.Steps, "warmup": o.Warmup, "repeats": o.Repeats, "threads": 1,
			"batch": 1, "kernel": tensor.Features(), "model": cfg, "points": pts})
	}
	return nil
}

// maxRandomIDs bounds randomIDs: the timing loops cycle through the ids,
// so a longer list (--steps 1e18) would only cost memory.
const maxRandomIDs = 1 << 16

// randomIDs returns n random token ids (at least 1, at most maxRandomIDs).
func randomIDs(rng *rand.Rand, vocab, n int) []int32 {
	ids := make([]int32, min(max(n, 1), maxRandomIDs))
	for i := range ids {
		ids[i] = int32(rng.IntN(vocab))
	}
	return ids
}

// fractions formats per-layer fractions: 0.21/0.19/0.20.
func fractions(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(s, "/")
}
