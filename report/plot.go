package report

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The size of every figure: the width of a paper's text block (US letter
// or A4 with one-inch margins), PNG at print resolution. The fonts are
// sized for this width, 8 to 12 points like a paper's captions and text.
const (
	FigureWidth  = 6.5 * vg.Inch
	FigureHeight = 4.5 * vg.Inch
	PNGDPI       = 300
)

// Font sizes and marker radius of the figures.
const (
	titleSize      = 12
	axisLabelSize  = 11
	tickLabelSize  = 10
	legendTextSize = 10
	levelLabelSize = 8
	markerRadius   = 3 // points
)

// seriesColors are the colours of the sweeps' lines in order: the
// Okabe–Ito palette, told apart with colour blindness; the lines also
// differ in marker shape and dash pattern, for greyscale print.
var seriesColors = []color.Color{
	color.RGBA{0x00, 0x72, 0xb2, 0xff}, // blue
	color.RGBA{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	color.RGBA{0x00, 0x9e, 0x73, 0xff}, // bluish green
	color.RGBA{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	color.RGBA{0xe6, 0x9f, 0x00, 0xff}, // orange
	color.RGBA{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	color.RGBA{0x00, 0x00, 0x00, 0xff}, // black
}

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
	{File: "ppl-vs-macs-layers", Title: "Recurrent layers: test perplexity against compute",
		XLabel: "effective MACs per token, recurrent layers (log scale)",
		X:      func(p Point) float64 { return p.Stats.Recurrent.MACs.Effective }},
	{File: "ppl-vs-macs-model", Title: "Whole model: test perplexity against compute",
		XLabel: "effective MACs per token, layers and decoder (log scale)",
		X:      func(p Point) float64 { return p.Stats.Model.MACs.Effective }},
}

// levelNote explains the point labels; it ends the legend.
const levelNote = "point labels: target weight sparsity"

// SpeedPlotFile is the base name of the figure of measured speed that
// Write saves when a sweep has timings (NewSpeedFigure).
const SpeedPlotFile = "speedup-vs-reduction"

// The texts of the speed figure's legend, after the sweeps.
const (
	layersKey   = "recurrent layers"
	modelKey    = "whole model"
	diagonalKey = "speed = counted"
)

// NewSpeedFigure draws the speed that the event engine measured against
// what its MAC count promises: the measured speedup over the dense engine
// (y) against the counted reduction (x) of every timed point (Point.Bench),
// for each sweep with timings a solid line for the recurrent layers and a
// dashed one for the whole model, in the sweep's colour and marker (its
// place among sweeps, as in the other figures). Both axes are logarithmic
// over one range, fitted to all the points, with the line y = x across it
// (speed = counted); the layers' points are labelled with their levels. Sweeps without
// timings have no line. It returns an error when no point is timed, or
// when a timed point has no positive speedup or reduction for the log axes.
func NewSpeedFigure(sweeps []Sweep) (*Figure, error) {
	lines, err := speedLines(sweeps)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: no point of the sweeps has been timed", SpeedPlotFile)
	}
	grey := color.Gray{Y: 0x50}
	key := func(dashes []vg.Length) *plotter.Line {
		return &plotter.Line{LineStyle: draw.LineStyle{Color: grey, Width: vg.Points(1.2), Dashes: dashes}}
	}
	notes := []legendEntry{
		{text: layersKey, thumbs: []plot.Thumbnailer{key(nil)}},
		{text: modelKey, thumbs: []plot.Thumbnailer{key(modelDashes)}},
		{text: diagonalKey, thumbs: []plot.Thumbnailer{&plotter.Line{LineStyle: diagonalStyle()}}},
		{text: levelNote},
	}
	return newFigure(figureAxes{file: SpeedPlotFile, title: "Event engine: measured speedup against counted reduction",
		xLabel:  "counted reduction, dense MACs / executed MACs (log scale)",
		yLabel:  "measured speedup over the dense engine (log scale)",
		xFormat: factorLabel, yFormat: factorLabel, diagonal: true}, lines, notes)
}

// modelDashes is the dash pattern of the speed figure's whole-model lines.
var modelDashes = []vg.Length{vg.Points(5), vg.Points(3)}

// diagonalStyle is the style of the line y = x: thin, dotted, grey.
func diagonalStyle() draw.LineStyle {
	return draw.LineStyle{Color: color.Gray{Y: 0x80}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(1), vg.Points(2.5)}}
}

// speedLines returns the lines of NewSpeedFigure: for each sweep with a
// timed point, the layers' line (LayerReduction, LayerSpeedup) and then the
// whole model's (Reduction, Speedup), through its timed points in file
// order. Only the layers' points are labelled: the whole model's follow in
// the same order, and where the decoder is small they sit on the layers'
// and leave no room for a second label. It returns an error when a timed point has no positive figure for
// the log axes.
//
// A seed group (SeedGroups) has one pair of lines, through the means over
// its timed seeds, with error bars of ± one standard deviation of the
// speedup (y) and of the counted reduction (x).
func speedLines(sweeps []Sweep) ([]plotLine, error) {
	groups, err := SeedGroups(sweeps)
	if err != nil {
		return nil, err
	}
	var lines []plotLine
	for i, u := range seriesOf(sweeps, groups) {
		var layers, model plotLine
		if u.group != nil {
			layers, model, err = groupSpeedLines(u.group)
		} else {
			layers, model, err = sweepSpeedLines(*u.sweep)
		}
		if err != nil {
			return nil, err
		}
		layers.series, layers.legend = i, true
		model.series, model.dashes = i, modelDashes
		if len(layers.xys) > 0 {
			lines = append(lines, layers, model)
		}
	}
	return lines, nil
}

// checkBench returns an error unless b has the positive, finite figures of
// a log axis; name and level say which point.
func checkBench(name string, level float64, b *BenchRow) error {
	for _, v := range []float64{b.LayerReduction, b.LayerSpeedup, b.Reduction, b.Speedup} {
		if !(v > 0) || math.IsInf(v, 1) {
			return fmt.Errorf("%s: level %g has no positive, finite speedup and counted reduction for a log axis", name, level)
		}
	}
	return nil
}

// sweepSpeedLines returns the layers' and the whole model's speed lines of
// one sweep, through its timed points in file order.
func sweepSpeedLines(s Sweep) (layers, model plotLine, err error) {
	layers.name, model.name = lineName(s), lineName(s)+", "+modelKey
	for _, pt := range s.Points {
		b := pt.Bench
		if b == nil {
			continue
		}
		if err := checkBench(s.Name, pt.Level, b); err != nil {
			return layers, model, err
		}
		layers.xys = append(layers.xys, plotter.XY{X: b.LayerReduction, Y: b.LayerSpeedup})
		model.xys = append(model.xys, plotter.XY{X: b.Reduction, Y: b.Speedup})
		layers.labels = append(layers.labels, levelLabel(pt.Level))
	}
	return layers, model, nil
}

// groupSpeedLines returns the speed lines of a seed group: per point with
// a timed seed, the means over the timed seeds, ± one standard deviation.
func groupSpeedLines(g *SeedGroup) (layers, model plotLine, err error) {
	layers.name, model.name = groupLineName(g), groupLineName(g)+", "+modelKey
	for _, sp := range g.Points {
		t := sp.Bench
		if t == nil {
			continue
		}
		for i, p := range sp.points {
			if p.Bench != nil {
				if err := checkBench(fmt.Sprintf("%s seed %d", g.Name, sp.Seeds[i]), sp.Level, p.Bench); err != nil {
					return layers, model, err
				}
			}
		}
		layers.add(t.LayerReduction, t.LayerSpeedup)
		model.add(t.Reduction, t.Speedup)
		layers.labels = append(layers.labels, levelLabel(sp.Level))
	}
	return layers, model, nil
}

// Figure is one of the study's plots, ready to draw: the plot with its axes,
// lines, points and level labels, the axis titles, and the legend that Draw
// puts below, outside the data area, where it cannot cover data.
type Figure struct {
	// Plot draws the title, the axes with their ticks, and the data. Its
	// axis labels and Legend stay empty: Draw writes the axis titles
	// XLabel and YLabel and the legend itself, because gonum/plot reserves
	// room for an axis label centred at the arithmetic mean of the axis
	// range, far off the middle of a log axis, and shrinks the data area
	// by the difference.
	Plot           *plot.Plot
	XLabel, YLabel string
	legend         []legendEntry
	labels         *levelLabels
}

// legendEntry is one entry of a Figure's legend: a sweep's thumbnail and
// name, or a note (no thumbnail).
type legendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// NewFigure draws spec for sweeps: both axes logarithmic and fitted to the
// points, a line with points per sweep in its file order, the points
// labelled with their pruning levels where a label fits (see levelLabels),
// and a legend below. A seed group (SeedGroups) is one line instead of its
// sweeps', through the means over its seeds, with error bars of ± one
// sample standard deviation of the perplexity (and of the MACs, which vary
// with the seed by activity); the seeds themselves are not drawn. It
// returns an error when a point has no positive MAC count or perplexity
// for the log axes, when the points span more than the axes (with their
// margins) can hold in float64, or when a seed group is not the seeds of
// one model (SeedGroups).
func NewFigure(spec PlotSpec, sweeps []Sweep) (*Figure, error) {
	lines, err := plotLines(spec, sweeps)
	if err != nil {
		return nil, err
	}
	return newFigure(figureAxes{file: spec.File, title: spec.Title, xLabel: spec.XLabel, yLabel: "test perplexity (log scale)",
		xFormat: siLabel, yFormat: plainLabel}, lines, []legendEntry{{text: levelNote}})
}

// figureAxes is what newFigure needs besides the lines: the figure's file
// (for errors), title and axis titles, the tick label formats, and whether
// both axes share one range with the line y = x drawn across it (the
// speed figure, where y = x is speed as counted).
type figureAxes struct {
	file, title, xLabel, yLabel string
	xFormat, yFormat            func(float64) string
	diagonal                    bool
}

// newFigure draws lines on log axes fitted to their points (one range for
// both with ax.diagonal), each line in the colour and marker of its series
// and with its dashes, a legend entry for each line that has one and then
// notes, and the points' labels.
func newFigure(ax figureAxes, lines []plotLine, notes []legendEntry) (*Figure, error) {
	p := plot.New()
	p.Title.Text = ax.title
	p.Title.TextStyle.Font.Size = titleSize
	p.Title.Padding = vg.Points(8)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Scale = plot.LogScale{}
		a.Tick.Label.Font.Size = tickLabelSize
		a.Tick.Length = vg.Points(5)
	}
	p.X.Tick.Marker = logTicks{format: ax.xFormat}
	p.Y.Tick.Marker = logTicks{format: ax.yFormat}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xdd}
	grid.Horizontal.Color = color.Gray{Y: 0xdd}
	p.Add(grid)

	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, ln := range lines {
		for j, xy := range ln.xys {
			minX, maxX = math.Min(minX, xy.X), math.Max(maxX, xy.X)
			minY, maxY = math.Min(minY, xy.Y), math.Max(maxY, xy.Y)
			// The error bars too, but for a low end at or below 0, where a
			// log axis cannot reach: that bar is cut at the axis.
			if e := errorAt(ln.xerr, j); e > 0 {
				maxX = math.Max(maxX, xy.X+e)
				if xy.X-e > 0 {
					minX = math.Min(minX, xy.X-e)
				}
			}
			if e := errorAt(ln.yerr, j); e > 0 {
				maxY = math.Max(maxY, xy.Y+e)
				if xy.Y-e > 0 {
					minY = math.Min(minY, xy.Y-e)
				}
			}
		}
	}
	if ax.diagonal {
		minX, maxX = math.Min(minX, minY), math.Max(maxX, maxY)
		minY, maxY = minX, maxX
	}
	p.X.Min, p.X.Max = logRange(minX, maxX)
	p.Y.Min, p.Y.Max = logRange(minY, maxY)
	if !(p.X.Min > 0 && p.Y.Min > 0 && p.X.Max < math.Inf(1) && p.Y.Max < math.Inf(1)) {
		// gonum/plot panics on a log axis that reaches 0 or +Inf.
		return nil, fmt.Errorf("%s: the points span x %g to %g and y %g to %g, more than a log axis of float64 can hold", ax.file, minX, maxX, minY, maxY)
	}

	f := &Figure{Plot: p, XLabel: ax.xLabel, YLabel: ax.yLabel}
	var guides []plotter.XYs
	if ax.diagonal {
		diag := plotter.XYs{{X: p.X.Min, Y: p.Y.Min}, {X: p.X.Max, Y: p.Y.Max}}
		line, err := plotter.NewLine(diag)
		if err != nil {
			return nil, err
		}
		line.LineStyle = diagonalStyle()
		p.Add(line)
		guides = append(guides, diag)
	}
	for _, ln := range lines {
		line, points, err := plotter.NewLinePoints(ln.xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ln.name, err)
		}
		c := seriesColors[ln.series%len(seriesColors)]
		bars, ends, err := errorBars(p, ln, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ln.name, err)
		}
		p.Add(bars...) // under the line and markers
		guides = append(guides, ends...)
		line.Color = c
		line.Width = vg.Points(1.2)
		line.Dashes = ln.dashes
		points.Color = c
		points.Shape = plotutil.Shape(ln.series)
		points.Radius = vg.Points(markerRadius)
		p.Add(line, points)
		if ln.legend {
			f.legend = append(f.legend, legendEntry{text: ln.name, thumbs: []plot.Thumbnailer{line, points}})
		}
	}
	f.legend = append(f.legend, notes...)
	f.labels = &levelLabels{lines: lines, guides: guides, radius: vg.Points(markerRadius), style: levelLabelStyle()}
	p.Add(f.labels)
	return f, nil
}

// axisMargin is the room logRange leaves beyond the extreme points, as a
// fraction of the axis span in decades: the markers stay clear of the axes
// and the labels of the extreme points find a place.
const axisMargin = 0.08

// logRange is a log axis's range for data in [min, max]: the data and a
// margin of axisMargin of the span (taken as a tenth of a decade when it
// is less) on each side; a twentieth of a decade each side of a single
// value.
func logRange(min, max float64) (lo, hi float64) {
	span := math.Max(math.Log10(max/min), 0.1)
	pad := math.Pow(10, axisMargin*span)
	if min == max {
		pad = math.Pow(10, 0.05)
	}
	return min / pad, max * pad
}

// plotLine is a line of a Figure: its name, its points and their labels,
// the error bars of its points (± xerr[j] and ± yerr[j] about point j,
// none where an error is 0 or not finite; nil for a line without bars),
// the series it belongs to (the sweep's or seed group's place in the
// report: its colour and marker shape), its dash pattern, and whether it
// has an entry of its own in the legend (the speed figure's whole-model
// line shares its sweep's).
type plotLine struct {
	name       string
	xys        plotter.XYs
	labels     []string
	xerr, yerr []float64
	series     int
	dashes     []vg.Length
	legend     bool
}

// add appends the point (x.Mean, y.Mean) to ln with the standard
// deviations as its error bars.
func (ln *plotLine) add(x, y Stat) {
	ln.xys = append(ln.xys, plotter.XY{X: x.Mean, Y: y.Mean})
	ln.xerr, ln.yerr = append(ln.xerr, x.Std), append(ln.yerr, y.Std)
}

// errorAt is the error bar errs[j]: 0 for none (nil errs, NaN, ±Inf, ≤ 0).
func errorAt(errs []float64, j int) float64 {
	if j >= len(errs) || !(errs[j] > 0) || math.IsInf(errs[j], 1) {
		return 0
	}
	return errs[j]
}

// yErrorBars and xErrorBars are the data of gonum/plot's error bars:
// points with their errors.
type yErrorBars struct {
	plotter.XYs
	plotter.YErrors
}

type xErrorBars struct {
	plotter.XYs
	plotter.XErrors
}

// errorBars returns the plotters of ln's error bars in colour c on the
// axes of p (their ranges set), and each bar's ends in data coordinates,
// for the level labels to keep off. A bar whose low end would reach 0 or
// below, where a log axis cannot go, ends at the axis.
func errorBars(p *plot.Plot, ln plotLine, c color.Color) ([]plot.Plotter, []plotter.XYs, error) {
	var ys yErrorBars
	var xs xErrorBars
	var ends []plotter.XYs
	for j, xy := range ln.xys {
		if e := errorAt(ln.yerr, j); e > 0 {
			low := math.Min(e, xy.Y-p.Y.Min)
			if xy.Y-low > 0 {
				ys.XYs = append(ys.XYs, xy)
				ys.YErrors = append(ys.YErrors, struct{ Low, High float64 }{low, e})
				ends = append(ends, plotter.XYs{{X: xy.X, Y: xy.Y - low}, {X: xy.X, Y: xy.Y + e}})
			}
		}
		if e := errorAt(ln.xerr, j); e > 0 {
			low := math.Min(e, xy.X-p.X.Min)
			if xy.X-low > 0 {
				xs.XYs = append(xs.XYs, xy)
				xs.XErrors = append(xs.XErrors, struct{ Low, High float64 }{low, e})
				ends = append(ends, plotter.XYs{{X: xy.X - low, Y: xy.Y}, {X: xy.X + e, Y: xy.Y}})
			}
		}
	}
	style := draw.LineStyle{Color: c, Width: vg.Points(0.8)}
	var bars []plot.Plotter
	if len(ys.XYs) > 0 {
		b, err := plotter.NewYErrorBars(ys)
		if err != nil {
			return nil, nil, err
		}
		b.LineStyle, b.CapWidth = style, vg.Points(errorCapWidth)
		bars = append(bars, b)
	}
	if len(xs.XYs) > 0 {
		b, err := plotter.NewXErrorBars(xs)
		if err != nil {
			return nil, nil, err
		}
		b.LineStyle, b.CapWidth = style, vg.Points(errorCapWidth)
		bars = append(bars, b)
	}
	return bars, ends, nil
}

// errorCapWidth is the width of an error bar's caps, in points.
const errorCapWidth = 4

// plotLines returns the lines of spec: one per sweep, or per seed group
// instead of its sweeps (seriesOf), the group's through the means over its
// seeds. It returns an error when a point has no positive x or perplexity
// for the log axes, or when a seed group is not the seeds of one model.
func plotLines(spec PlotSpec, sweeps []Sweep) ([]plotLine, error) {
	groups, err := SeedGroups(sweeps)
	if err != nil {
		return nil, err
	}
	var lines []plotLine
	for i, u := range seriesOf(sweeps, groups) {
		var ln plotLine
		if u.group != nil {
			ln, err = groupLine(spec, u.group)
		} else {
			ln, err = sweepLine(spec, *u.sweep)
		}
		if err != nil {
			return nil, err
		}
		ln.series, ln.dashes, ln.legend = i, plotutil.Dashes(i), true
		lines = append(lines, ln)
	}
	return lines, nil
}

// checkPoint returns an error unless pt has a positive x and perplexity
// for the log axes; name says whose point it is.
func checkPoint(spec PlotSpec, name string, pt Point) error {
	if !(spec.X(pt) > 0) {
		return fmt.Errorf("%s: level %g has no positive MAC count for a log axis", name, pt.Level)
	}
	if !(pt.TestPPL > 0) {
		return fmt.Errorf("%s: level %g has no positive perplexity for a log axis", name, pt.Level)
	}
	return nil
}

// sweepLine is the line of one sweep through its points in file order.
func sweepLine(spec PlotSpec, s Sweep) (plotLine, error) {
	ln := plotLine{name: lineName(s), xys: make(plotter.XYs, len(s.Points)), labels: make([]string, len(s.Points))}
	for j, pt := range s.Points {
		if err := checkPoint(spec, s.Name, pt); err != nil {
			return ln, err
		}
		ln.xys[j] = plotter.XY{X: spec.X(pt), Y: pt.TestPPL}
		ln.labels[j] = levelLabel(pt.Level)
	}
	return ln, nil
}

// groupLine is the line of a seed group through its points: the means of
// x and of the perplexity over the seeds, ± one standard deviation.
func groupLine(spec PlotSpec, g *SeedGroup) (plotLine, error) {
	ln := plotLine{name: groupLineName(g)}
	for _, sp := range g.Points {
		for i, pt := range sp.points {
			if err := checkPoint(spec, fmt.Sprintf("%s seed %d", g.Name, sp.Seeds[i]), pt); err != nil {
				return ln, err
			}
		}
		ln.add(statOf(sp.points, spec.X), sp.TestPPL)
		ln.labels = append(ln.labels, levelLabel(sp.Level))
	}
	return ln, nil
}

// lineName is a sweep's name in a legend, with its cell when the name does
// not say it.
func lineName(s Sweep) string {
	if !strings.Contains(strings.ToLower(s.Name), s.Cell) {
		return s.Name + " (" + s.Cell + ")"
	}
	return s.Name
}

// SavePlot draws spec for sweeps and writes it to path (see Figure.Save).
func SavePlot(path string, spec PlotSpec, sweeps []Sweep) error {
	f, err := NewFigure(spec, sweeps)
	if err != nil {
		return err
	}
	return f.Save(path)
}

// Save writes the figure to path, FigureWidth × FigureHeight, in the format
// of its extension: .png at PNGDPI, or a vector format (.svg, .pdf, .eps).
func (f *Figure) Save(path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	var c vg.CanvasWriterTo
	if ext == ".png" {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(FigureWidth, FigureHeight), vgimg.UseDPI(PNGDPI))}
	} else {
		var err error
		if c, err = draw.NewFormattedCanvas(FigureWidth, FigureHeight, strings.TrimPrefix(ext, ".")); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	f.Draw(draw.New(c))
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(out); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return out.Close()
}

// Draw draws the figure on c (see layout).
func (f *Figure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	l := f.layout(c)
	f.Plot.Draw(l.plot)
	fillText(c, axisTitleStyle(0), l.xLabel.Min, f.XLabel)
	fillText(c, axisTitleStyle(math.Pi/2), l.yLabel.Min, f.YLabel)
	for _, cell := range l.legend {
		x := cell.box.Min.X
		if len(cell.entry.thumbs) > 0 {
			thumb := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: cell.box.Min.Y}, Max: vg.Point{X: x + legendThumbWidth, Y: cell.box.Max.Y}}}
			for _, t := range cell.entry.thumbs {
				t.Thumbnail(&thumb)
			}
			x += legendThumbWidth + legendThumbGap
		}
		sty := legendStyle(len(cell.entry.thumbs) == 0)
		fillText(c, sty, vg.Point{X: x, Y: (cell.box.Min.Y + cell.box.Max.Y - sty.Rectangle(cell.entry.text).Size().Y) / 2}, cell.entry.text)
	}
}

// fillText writes txt in style sty with the lower left corner of its
// bounding box (rotated with the text) at min.
func fillText(c draw.Canvas, sty text.Style, min vg.Point, txt string) {
	c.FillText(sty, min.Sub(sty.Rectangle(txt).Min), txt)
}

// The geometry of the axis titles and the legend.
const (
	figureMargin     = 8 * vg.Length(1) // points, right of the plot
	axisTitlePad     = 4 * vg.Length(1) // between an axis title and the edge or the legend; above the plot title
	legendThumbWidth = 24 * vg.Length(1)
	legendThumbGap   = 5 * vg.Length(1)
	legendEntryGap   = 18 * vg.Length(1) // between entries of a row
	legendRowGap     = 3 * vg.Length(1)
	legendMargin     = 6 * vg.Length(1) // above the legend, below it and at the sides
)

func axisTitleStyle(rotation float64) text.Style {
	return text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, axisLabelSize), Rotation: rotation,
		Handler: plot.DefaultTextHandler}
}

// legendStyle is the style of a sweep's name, or of a note in grey.
func legendStyle(note bool) text.Style {
	sty := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, legendTextSize), Handler: plot.DefaultTextHandler}
	if note {
		sty.Color = color.Gray{Y: 0x50}
	}
	return sty
}

// figureLayout is where Draw puts the parts of a Figure: the Plot in plot
// (its data area is data), the axis titles in the boxes xLabel and yLabel,
// and the legend's entries.
type figureLayout struct {
	plot, data     draw.Canvas
	xLabel, yLabel vg.Rectangle
	legend         []legendCell
}

// legendCell is where layout puts a legend entry: its thumbnail and text in
// box.
type legendCell struct {
	entry legendEntry
	box   vg.Rectangle
}

// layout lays the figure out on c, from the bottom: a strip with the
// legend, its entries side by side in rows as wide as c allows, each row
// centred under the data area; above it the x axis title, centred under
// the data area; the y axis title along the left edge, centred beside the
// data area; the Plot in the rest. Nothing the Plot draws reaches the
// titles or the legend.
func (f *Figure) layout(c draw.Canvas) figureLayout {
	height := vg.Length(math.Max(float64(legendStyle(false).Rectangle("Mg").Size().Y), 2*markerRadius+2))
	width := func(e legendEntry) vg.Length {
		w := legendStyle(len(e.thumbs) == 0).Rectangle(e.text).Size().X
		if len(e.thumbs) > 0 {
			w += legendThumbWidth + legendThumbGap
		}
		return w
	}
	var rows [][]legendEntry
	var rowWidths []vg.Length
	avail := c.Size().X - 2*legendMargin
	for _, e := range f.legend {
		w := width(e)
		if n := len(rows); n > 0 && rowWidths[n-1]+legendEntryGap+w <= avail {
			rows[n-1] = append(rows[n-1], e)
			rowWidths[n-1] += legendEntryGap + w
			continue
		}
		rows = append(rows, []legendEntry{e})
		rowWidths = append(rowWidths, w)
	}
	strip := 2*legendMargin + vg.Length(len(rows))*height + vg.Length(max(len(rows)-1, 0))*legendRowGap
	xSize := axisTitleStyle(0).Rectangle(f.XLabel).Size()
	ySize := axisTitleStyle(math.Pi / 2).Rectangle(f.YLabel).Size()
	var l figureLayout
	l.plot = draw.Crop(c, axisTitlePad+ySize.X+axisTitlePad, -figureMargin, strip+xSize.Y+axisTitlePad, -axisTitlePad)
	l.data = f.Plot.DataCanvas(l.plot)
	centre := (l.data.Min.X + l.data.Max.X) / 2
	l.xLabel.Min = vg.Point{X: centre - xSize.X/2, Y: c.Min.Y + strip}
	l.xLabel.Max = l.xLabel.Min.Add(xSize)
	l.yLabel.Min = vg.Point{X: c.Min.X + axisTitlePad, Y: (l.data.Min.Y+l.data.Max.Y)/2 - ySize.Y/2}
	l.yLabel.Max = l.yLabel.Min.Add(ySize)
	top := c.Min.Y + strip - legendMargin
	for i, row := range rows {
		x := centre - rowWidths[i]/2
		x = vg.Length(math.Max(float64(c.Min.X+legendMargin), math.Min(float64(x), float64(c.Max.X-legendMargin-rowWidths[i]))))
		y := top - vg.Length(i)*(height+legendRowGap)
		for _, e := range row {
			w := width(e)
			l.legend = append(l.legend, legendCell{entry: e, box: vg.Rectangle{Min: vg.Point{X: x, Y: y - height}, Max: vg.Point{X: x + w, Y: y}}})
			x += w + legendEntryGap
		}
	}
	return l
}

// levelLabels is the plotter of the points' level labels. A label goes to
// the first of a few places around its point (right, left, above, below,
// the diagonals; then the same a little farther) where it stays inside the
// data area, covers no label, marker or line, and is nearer its own point
// than any other. A label that fits nowhere is left out, and so is one
// that repeats the label of a point at the same place (the starts of
// sweeps pruned from one checkpoint): the levels are the same in every
// sweep and in the tables, so a missing label loses nothing, while a label
// on top of data or of another label would make the figure unreadable.
type levelLabels struct {
	lines  []plotLine
	guides []plotter.XYs // lines without markers or labels that the labels must not cover either
	style  text.Style
	radius vg.Length // of the markers
}

// levelLabelStyle is the style of the level labels: small, dark grey.
func levelLabelStyle() text.Style {
	return text.Style{Color: color.Gray{Y: 0x30}, Font: font.From(plot.DefaultFont, levelLabelSize), Handler: plot.DefaultTextHandler}
}

// placedLabel is a label that levelLabels draws: text in box (canvas
// coordinates), labelling the point at.
type placedLabel struct {
	text string
	at   vg.Point
	box  vg.Rectangle
}

// Plot draws the labels that place places.
func (l *levelLabels) Plot(c draw.Canvas, p *plot.Plot) {
	for _, pl := range l.place(c, p) {
		rel := l.style.Rectangle(pl.text)
		c.FillText(l.style, pl.box.Min.Sub(rel.Min), pl.text)
	}
}

// place chooses the labels drawn on the data canvas c of p, and where.
func (l *levelLabels) place(c draw.Canvas, p *plot.Plot) []placedLabel {
	x, y := p.Transforms(&c)
	clearance := l.radius + vg.Points(1.5) // around a marker, its outline included
	var points []vg.Point
	var markers []vg.Rectangle
	var segments [][2]vg.Point
	at := make([][]vg.Point, len(l.lines))
	for i, ln := range l.lines {
		for j, xy := range ln.xys {
			pt := vg.Point{X: x(xy.X), Y: y(xy.Y)}
			at[i] = append(at[i], pt)
			points = append(points, pt)
			markers = append(markers, vg.Rectangle{Min: pt.Sub(vg.Point{X: clearance, Y: clearance}), Max: pt.Add(vg.Point{X: clearance, Y: clearance})})
			if j > 0 {
				segments = append(segments, [2]vg.Point{at[i][j-1], pt})
			}
		}
	}
	for _, g := range l.guides {
		for j := 1; j < len(g); j++ {
			segments = append(segments, [2]vg.Point{{X: x(g[j-1].X), Y: y(g[j-1].Y)}, {X: x(g[j].X), Y: y(g[j].Y)}})
		}
	}
	var placed []placedLabel
	fits := func(box vg.Rectangle, own vg.Point) bool {
		if box.Min.X < c.Min.X || box.Min.Y < c.Min.Y || box.Max.X > c.Max.X || box.Max.Y > c.Max.Y {
			return false
		}
		for _, m := range markers {
			if overlaps(box, m) {
				return false
			}
		}
		for _, s := range segments {
			if segmentHits(s[0], s[1], box) {
				return false
			}
		}
		for _, q := range placed {
			if overlaps(box, grow(q.box, vg.Points(1))) {
				return false
			}
		}
		mine := boxDistance(box, own)
		for _, pt := range points {
			if pt != own && boxDistance(box, pt) < mine {
				return false
			}
		}
		return true
	}
	for i, ln := range l.lines {
	point:
		for j, label := range ln.labels {
			own := at[i][j]
			for _, q := range placed {
				if q.text == label && math.Hypot(float64(q.at.X-own.X), float64(q.at.Y-own.Y)) < float64(l.radius) {
					continue point // a point at the same place already says it
				}
			}
			size := l.style.Rectangle(label).Size()
			for _, corner := range labelCorners(own, size, l.radius+vg.Points(2)) {
				box := vg.Rectangle{Min: corner, Max: corner.Add(size)}
				if fits(box, own) {
					placed = append(placed, placedLabel{text: label, at: own, box: box})
					break
				}
			}
		}
	}
	return placed
}

// labelAngles are the directions, in degrees counterclockwise from the
// right, that labelCorners tries, in order of preference: beside the point,
// above and below it, the diagonals, then the directions between.
var labelAngles = []float64{0, 180, 90, 270, 45, 315, 135, 225, 22.5, 337.5, 157.5, 202.5, 67.5, 292.5, 112.5, 247.5}

// labelCorners are the lower-left corners, in order of preference, of a
// label of size around a point pt: the label's centre in each direction of
// labelAngles, d from pt plus half the label's extent that way; then the
// same a label height farther.
func labelCorners(pt, size vg.Point, d vg.Length) []vg.Point {
	var corners []vg.Point
	for _, dist := range []vg.Length{d, d + size.Y} {
		for _, deg := range labelAngles {
			sin, cos := math.Sincos(deg * math.Pi / 180)
			centre := vg.Point{X: pt.X + vg.Length(cos)*(dist+size.X/2), Y: pt.Y + vg.Length(sin)*(dist+size.Y/2)}
			corners = append(corners, centre.Sub(vg.Point{X: size.X / 2, Y: size.Y / 2}))
		}
	}
	return corners
}

// overlaps reports whether rectangles a and b share more than an edge.
func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

func grow(r vg.Rectangle, by vg.Length) vg.Rectangle {
	return vg.Rectangle{Min: r.Min.Sub(vg.Point{X: by, Y: by}), Max: r.Max.Add(vg.Point{X: by, Y: by})}
}

// boxDistance is the distance from point p to the nearest point of r.
func boxDistance(r vg.Rectangle, p vg.Point) float64 {
	dx := math.Max(math.Max(float64(r.Min.X-p.X), 0), float64(p.X-r.Max.X))
	dy := math.Max(math.Max(float64(r.Min.Y-p.Y), 0), float64(p.Y-r.Max.Y))
	return math.Hypot(dx, dy)
}

// segmentHits reports whether the segment from a to b passes through r
// (Liang–Barsky clipping).
func segmentHits(a, b vg.Point, r vg.Rectangle) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	for _, e := range [4][2]float64{
		{-dx, float64(a.X - r.Min.X)}, {dx, float64(r.Max.X - a.X)},
		{-dy, float64(a.Y - r.Min.Y)}, {dy, float64(r.Max.Y - a.Y)},
	} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return false // parallel to this edge and outside it
			}
			continue
		}
		t := q / p
		if p < 0 {
			t0 = math.Max(t0, t)
		} else {
			t1 = math.Min(t1, t)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// levelLabel is a pruning level as a weight sparsity: 0% for the
// starting checkpoint.
func levelLabel(level float64) string {
	return strconv.FormatFloat(100*level, 'f', -1, 64) + "%"
}

// logTicks marks a log axis the way a paper's figures do: labels at m·10^k
// for the mantissas m of the sparsest row of logMantissas that puts at
// least minLogLabels labels on the axis (decades, then 1-2-5, then denser),
// unlabelled minor ticks at the row's minor mantissas. An axis too narrow
// for that takes the densest row if it gives two labels, else the linear
// ticks of plot.DefaultTicks. Format writes a label.
type logTicks struct {
	format func(float64) string
}

// minLogLabels is the fewest labels logTicks puts on an axis: enough to
// read the scale between them.
const minLogLabels = 4

// logMantissas are the rows of logTicks, sparsest first. Each row's labels
// hold the labels of the rows before, and steps about even on a log scale.
var logMantissas = []struct{ labels, minor []float64 }{
	{[]float64{1}, []float64{2, 3, 4, 5, 6, 7, 8, 9}},
	{[]float64{1, 2, 5}, []float64{3, 4, 6, 7, 8, 9}},
	{[]float64{1, 2, 3, 5}, []float64{1.5, 2.5, 4, 6, 7, 8, 9}},
	{[]float64{1, 1.5, 2, 3, 5, 7}, []float64{1.2, 2.5, 4, 6, 8}},
	{[]float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8}, []float64{1.1, 1.3, 1.4, 1.6, 1.8, 2.2, 2.8, 3.5, 4.5, 9}},
	{[]float64{1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2, 2.2, 2.5, 2.8, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9}, nil},
}

// Ticks returns the ticks of the axis [min, max], min > 0.
func (t logTicks) Ticks(min, max float64) []plot.Tick {
	row := -1
	for i, r := range logMantissas {
		if n := len(mantissaTicks(min, max, r.labels)); n >= 2 {
			row = i
			if n >= minLogLabels {
				break
			}
		}
	}
	if row < 0 {
		ticks := plot.DefaultTicks{}.Ticks(min, max)
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = t.format(ticks[i].Value)
			}
		}
		return ticks
	}
	var ticks []plot.Tick
	for _, v := range mantissaTicks(min, max, logMantissas[row].labels) {
		ticks = append(ticks, plot.Tick{Value: v, Label: t.format(v)})
	}
	for _, v := range mantissaTicks(min, max, logMantissas[row].minor) {
		ticks = append(ticks, plot.Tick{Value: v})
	}
	return ticks
}

// mantissaTicks returns the values m·10^k in [min, max] for the mantissas
// m, ascending.
func mantissaTicks(min, max float64, mantissas []float64) []float64 {
	var vs []float64
	for e := math.Floor(math.Log10(min)); e <= math.Floor(math.Log10(max)); e++ {
		for _, m := range mantissas {
			// Rounded to 12 digits: 1.1·100 is 110.00000000000001 in floating point.
			v, _ := strconv.ParseFloat(strconv.FormatFloat(m*math.Pow(10, e), 'g', 12, 64), 64)
			if v >= min && v <= max {
				vs = append(vs, v)
			}
		}
	}
	return vs
}

// siLabel is a tick label for a count: 500, 20k, 1.5M, 2G.
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

// factorLabel is a tick label for a ratio: 0.5×, 2×, 10×.
func factorLabel(v float64) string { return plainLabel(v) + "×" }

// plainLabel is a tick label for a perplexity: 120, 2500, 102.5; never
// trailing zeros.
func plainLabel(v float64) string {
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64) // 102.50000000000001 from a linear step
	return strconv.FormatFloat(v, 'f', -1, 64)
}
