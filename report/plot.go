package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PlotSpec is one of the study's plots: test perplexity against a count of
// multiply-accumulates per token, one line per sweep.
type PlotSpec struct {
	File   string // base name; SavePlot's path chooses the format
	Title  string
	XLabel string
	X      func(Point) float64
}

// Plots are the plots that Write saves: perplexity against the effective
// MACs per token of the recurrent layers (where activity and weight sparsity
// both act) and of the whole model (the tied decoder, dense in weights,
// saves only by the activity of its input).
var Plots = []PlotSpec{
	{File: "ppl-vs-macs-layers", Title: "Perplexity against compute, recurrent layers (labels: weight sparsity)",
		XLabel: "effective MACs per token, recurrent layers (log scale)",
		X:      func(p Point) float64 { return p.Stats.Recurrent.MACs.Effective }},
	{File: "ppl-vs-macs-model", Title: "Perplexity against compute, whole model (labels: weight sparsity)",
		XLabel: "effective MACs per token, layers and decoder (log scale)",
		X:      func(p Point) float64 { return p.Stats.Model.MACs.Effective }},
}

// NewPlot draws spec for sweeps: a line with points per sweep in its file
// order, each point labelled with its pruning level (the weight sparsity of
// the pruned matrices).
func NewPlot(spec PlotSpec, sweeps []Sweep) (*plot.Plot, error) {
	lines, err := plotLines(spec, sweeps)
	if err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = spec.Title
	p.X.Label.Text = spec.XLabel
	p.Y.Label.Text = "test perplexity"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = decadeTicks{}
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(6) // keep the longest names inside the canvas
	p.Add(plotter.NewGrid())
	for i, ln := range lines {
		line, points, err := plotter.NewLinePoints(ln.xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sweeps[i].Name, err)
		}
		c := plotutil.Color(i)
		line.Color = c
		points.Color = c
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(ln.name, line, points)
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: ln.xys, Labels: ln.labels})
		if err != nil {
			return nil, err
		}
		for k := range l.TextStyle {
			l.TextStyle[k].Font.Size = vg.Points(8)
			l.TextStyle[k].XAlign = draw.XLeft
		}
		p.Add(l)
	}
	// Room for the labels right of the last points and above the top one.
	p.X.Max *= 1.6
	p.Y.Max += 0.04 * (p.Y.Max - p.Y.Min)
	return p, nil
}

// plotLine is what NewPlot draws for one sweep: its legend name, its points
// (x from the PlotSpec, y the test perplexity) and their labels.
type plotLine struct {
	name   string
	xys    plotter.XYs
	labels []string
}

// plotLines returns the line of every sweep of spec. It returns an error
// when a point has no positive x for the log axis.
func plotLines(spec PlotSpec, sweeps []Sweep) ([]plotLine, error) {
	lines := make([]plotLine, len(sweeps))
	for i, s := range sweeps {
		xys := make(plotter.XYs, len(s.Points))
		labels := make([]string, len(s.Points))
		for j, pt := range s.Points {
			x := spec.X(pt)
			if !(x > 0) {
				return nil, fmt.Errorf("%s: level %g has no positive MAC count for a log axis", s.Name, pt.Level)
			}
			xys[j] = plotter.XY{X: x, Y: pt.TestPPL}
			labels[j] = " " + levelLabel(pt.Level)
		}
		name := s.Name
		if !strings.Contains(strings.ToLower(name), s.Cell) {
			name += " (" + s.Cell + ")"
		}
		lines[i] = plotLine{name: name, xys: xys, labels: labels}
	}
	return lines, nil
}

// SavePlot draws spec for sweeps and writes it to path, in the format of
// its extension (.png, .svg, .pdf).
func SavePlot(path string, spec PlotSpec, sweeps []Sweep) error {
	p, err := NewPlot(spec, sweeps)
	if err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

// levelLabel is a pruning level as a weight sparsity: 0% for the
// starting checkpoint.
func levelLabel(level float64) string {
	return strconv.FormatFloat(100*level, 'f', -1, 64) + "%"
}

// decadeTicks marks 1..9 times each power of ten and labels 1, 2 and 5
// times them (20k, 500k, 1M) and the first tick unless a label is near, or
// every tick when that makes fewer than two labels. plot.LogTicks labels
// the powers of ten only: one or two labels on the one or two decades that
// MACs per token span.
type decadeTicks struct{}

func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	labelled := 0
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = siLabel(v)
				labelled++
			}
			ticks = append(ticks, t)
		}
	}
	// Label the axis's start too, unless a label follows too closely.
	if len(ticks) > 0 && ticks[0].Label == "" {
		next := math.Inf(1)
		for _, t := range ticks {
			if t.Label != "" {
				next = t.Value
				break
			}
		}
		if next >= 1.5*ticks[0].Value {
			ticks[0].Label = siLabel(ticks[0].Value)
			labelled++
		}
	}
	if labelled < 2 {
		for i := range ticks {
			ticks[i].Label = siLabel(ticks[i].Value)
		}
	}
	return ticks
}

func siLabel(v float64) string {
	switch {
	case v >= 1e9:
		return strconv.FormatFloat(v/1e9, 'g', 3, 64) + "G"
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
