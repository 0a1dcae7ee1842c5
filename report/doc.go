// Package report turns pruning sweeps into the study's tables and plots:
// test perplexity against effective multiply-accumulates per token, for the
// recurrent layers and for the whole model, and the composition of activity
// and weight sparsity (does the effective saving equal the activity factor
// times the weight factor?).
//
// A sweep is the --out directory of `sparselm prune`: its summary.json holds
// one Point per level (the starting checkpoint first), each with the full
// accounting of package measure on the test split. Write produces
// report.md, report.csv, report.json and the plots of Plots as PNG and SVG
// (gonum/plot).
package report
