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
// The figures are FigureWidth × FigureHeight (6.5 × 4.5 inches, a paper's
// text width), PNG at PNGDPI (300) and SVG, fonts 8 to 12 points. Both axes
// are logarithmic (log perplexity is the cross-entropy), fitted to the
// points with a small margin, labelled in the 1-2-5 manner with plain
// numbers (logTicks). The legend sits in a strip below the plot, where it
// cannot cover data; each point is labelled with its level where the label
// fits without covering a label, marker or line, and is left out where it
// does not (the tables carry every level).
package report
