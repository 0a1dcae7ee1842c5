// Package report turns pruning sweeps into the study's tables and plots:
// test perplexity against effective multiply-accumulates per token, for the
// recurrent layers and for the whole model, and the composition of activity
// and weight sparsity (does the effective saving equal the activity factor
// times the weight factor?).
//
// A sweep is the --out directory of `sparselm prune`: its summary.json holds
// one Point per model, the starting checkpoint first, then one per pruning
// level, each with the full accounting of package measure on the test split.
// Write produces report.md, report.csv, report.json and the plots of Plots
// as PNG and SVG (gonum/plot).
//
// Measured speed: `sparselm bench infer --sweep DIR` times the dense and
// the event engine (package infer) on every checkpoint of a sweep and
// stores the timings in DIR/infer-bench.json (InferBench: the session's
// provenance, the CPU model and tensor kernel, the timing settings, a
// BenchRow per checkpoint). AttachBench attaches each row to the point it
// timed, matched by the checkpoint (as summary.json names it, or the same
// directory once resolved) and checked against what summary.json says of
// the point (kind, level, test perplexity, effective and dense MACs, cell);
// a row that does not match is left out with a warning, never shown
// against another point. A timed point has:
//
//	column (report.csv)          Markdown              what
//	bench_tokens                 tokens                test (the test split) or random (ids drawn at random)
//	dense_tokens_per_s           dense tok/s           the dense engine, whole model: 1e9 / median ns per token
//	event_tokens_per_s           event tok/s           the event engine, the same
//	recurrent_measured_speedup   speedup, layers       dense / event ns per token: embedding lookup and layers, no decoder
//	recurrent_counted_reduction  counted red., layers  dense MACs / MACs the event engine executed, layers, timed tokens
//	model_measured_speedup       speedup, model        dense / event ns per token, whole model
//	model_counted_reduction      counted red., model   as recurrent_counted_reduction, whole model
//	-                            speed / counted       measured speedup / counted reduction (1: speed as counted)
//
// The counted reduction is the effective factor of measure over the timed
// tokens (the first Steps of them) rather than the whole test split. The
// columns are empty in report.csv, and "–" in report.md, for a point that
// was not timed; report.json holds the point's whole BenchRow ("bench") and
// each timed sweep's setup ("infer_bench"). When a point is timed, Write
// also saves speedup-vs-reduction (NewSpeedFigure): measured speedup
// against counted reduction, with y = x (speed = counted) for reference.
//
// What a row is, and what was not measured:
//
//   - Every point has a kind: KindStart for the checkpoint the sweep
//     started from (not pruned by it, not fine-tuned), KindLevel for the
//     best checkpoint of a pruning level. A level 0 (`--levels 0`) is a
//     fine-tuned level, not the start. Summaries without kinds (written
//     before Kind existed) read with their first point as the start.
//   - CSV (report.csv, and summary.csv of `sparselm prune`): column kind;
//     level is empty for the start; a value that was not measured is an
//     empty field, never 0 (valid_ppl of the start).
//   - JSON (report.json): "kind" on every point; "valid_ppl" is left out
//     when it was not measured.
//   - Markdown: the level column reads "start" for the start and the target
//     sparsity (0% for a level 0) otherwise; "–" stands for not measured.
//
// Seeds: sweeps of one model trained with different seeds carry their
// training seed and the model's name in Setup.Seed and Setup.Group (in
// summary.json as "seed" and "group", left out when unset). The sweeps that
// share a Group, two or more, are a seed group (SeedGroups), summarised
// point by point (the start, each level) over the seeds that have the
// point: for each figure the mean and the sample standard deviation, with
// n − 1 in the denominator (Stat; none for one seed). Write then gives:
//
//   - report.md: a table per group (level, n, and mean ± std of the
//     layers' weight sparsity, activity sparsity, test perplexity and
//     effective MACs per token of the layers and of the model) in place of
//     its seeds' rows in the table of perplexity; the tables of the
//     sweeps, of composition and of speed list every seed.
//   - report.csv: every seed's rows, as for any sweep, with the seed in
//     the last column, seed (empty when unknown). Every row of report.csv
//     stays one checkpoint, so the aggregates have a file of their own:
//   - report-seeds.csv (SeedsCSVFile, SeedsCSVHeader): a row per group and
//     point with n, the seeds, and FIGURE_mean and FIGURE_std of each
//     figure and of the timings (an empty std for one seed). Write removes
//     an earlier one when the sweeps have no group.
//   - report.json: "seed_groups", each with its points' Stats ({"n",
//     "mean", "std"}, std null for one seed).
//   - the figures: one line per group through the means, error bars of ±
//     one std of the perplexity and of the MACs (in the speed figure, of
//     the speedup and the counted reduction, over the timed seeds); the
//     seeds are not drawn one by one.
//
// A sweep with no Group, or alone in its group, is reported as before
// seeds existed. Seeds of one group that have different levels are not an
// error, so that a study whose job failed still reports what is there: each
// level is over the seeds that have it (n says how many), and the group's
// Missing, printed in report.md, names the sweeps and levels that are not.
// What is an error (SeedGroups, before Write writes anything): a group
// whose sweeps differ in cell, dataset, preset, criterion or schedule, a
// seed that is unknown or given twice, or a sweep with two points of one
// level.
//
// The figures are FigureWidth × FigureHeight (6.5 × 4.5 inches, a paper's
// text width), PNG at PNGDPI (300) and SVG, fonts 8 to 12 points. Both axes
// are logarithmic (log perplexity is the cross-entropy), fitted to the
// points with a small margin, labelled in the 1-2-5 manner with plain
// numbers (logTicks). The legend sits in a strip below the plot, where it
// cannot cover data; each point is labelled with its level where the label
// fits without covering a label, marker or line, and is left out where it
// does not (the tables carry every level).
package report
