package report

// The event raster: the picture that papers on event-based and spiking
// networks draw of activity sparsity. One panel per recurrent layer, units
// up the y axis (unit 0 at the bottom), the tokens of a text along the x
// axis (the word read at each step, rotated, every k-th where they would
// overlap), a small filled mark where a unit's output was non-zero at a
// token. It shares the figures' width, resolution and font sizes (plot.go).

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/sparselm/sparselm/internal/ckptdir"
)

// RasterEvents is what a raster draws: for L layers of H_l units each and T
// tokens, whether each unit's output was non-zero at each token.
// *infer.Raster implements it.
type RasterEvents interface {
	Layers() int            // L
	Units(l int) int        // H_l
	Tokens() int            // T
	Fired(l, t, j int) bool // unit j of layer l non-zero at token t
}

// RasterSpec is what a raster figure says beside the events.
type RasterSpec struct {
	Checkpoint string   // the model, named in the figure's title
	Source     string   // the text (a file name), named under the title; may be empty
	Words      []string // [T] the token read at each step: the x axis labels
	// TextTokens is the length of the whole text when the raster shows only
	// its first T tokens; 0 when it shows all of them.
	TextTokens int
}

// RasterFigure is an event raster ready to draw (NewRasterFigure).
type RasterFigure struct {
	title, subtitle string
	words           []string
	panels          []rasterPanel
	width, height   vg.Length
}

// rasterPanel is the data of one layer's panel: its events as marks, one
// vertical run of adjacent units per mark.
type rasterPanel struct {
	layer, units int
	events       int       // non-zero outputs over the tokens
	active       float64   // events / (units · tokens)
	runs         []markRun // by token, then unit, ascending
}

// markRun is units j0 … j0+n−1 (n ≥ 1), all non-zero at token t.
type markRun struct{ t, j0, n int }

// RasterSize returns the size of a raster of L layers: FigureWidth ×
// FigureHeight up to two layers, rasterLayerHeight taller for each layer
// after the second so that panels stay readable.
func RasterSize(L int) (width, height vg.Length) {
	return FigureWidth, FigureHeight + vg.Length(max(L-2, 0))*rasterLayerHeight
}

// rasterLayerHeight is what a layer after the second adds to a raster's
// height.
const rasterLayerHeight = 1.5 * vg.Inch

// RasterFormats lists the file formats of a raster, by extension.
const RasterFormats = ".png | .svg"

// CheckRasterPath returns an error unless path ends in .png or .svg (in
// any case), the formats SaveRaster writes.
func CheckRasterPath(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".svg":
		return nil
	}
	return fmt.Errorf("report: raster %q: the extension chooses the format, want %s", path, RasterFormats)
}

// NewRasterFigure lays out the raster of ev with spec. It returns an error
// when ev has no layers or no tokens, when a layer has no units, or when
// spec.Words does not hold one word per token.
func NewRasterFigure(ev RasterEvents, spec RasterSpec) (*RasterFigure, error) {
	L, T := ev.Layers(), ev.Tokens()
	switch {
	case L < 1:
		return nil, fmt.Errorf("report: raster: no layers")
	case T < 1:
		return nil, fmt.Errorf("report: raster: no tokens (a raster needs at least one step)")
	case len(spec.Words) != T:
		return nil, fmt.Errorf("report: raster: %d words for %d tokens", len(spec.Words), T)
	}
	f := &RasterFigure{words: spec.Words}
	f.width, f.height = RasterSize(L)
	events, units := 0, 0
	for l := range L {
		p, err := newRasterPanel(ev, l)
		if err != nil {
			return nil, err
		}
		f.panels = append(f.panels, p)
		events += p.events
		units += p.units
	}
	f.title = "Event raster: " + spec.Checkpoint
	shown := fmt.Sprintf("%d tokens", T)
	if spec.TextTokens > T {
		shown = fmt.Sprintf("the first %d of %d tokens", T, spec.TextTokens)
	}
	if spec.Source != "" {
		shown += " of " + spec.Source
	}
	f.subtitle = fmt.Sprintf("%s; %s of all unit outputs non-zero", shown, percentLabel(float64(events)/float64(units*T)))
	return f, nil
}

// newRasterPanel collects layer l's events into runs of adjacent units.
func newRasterPanel(ev RasterEvents, l int) (rasterPanel, error) {
	H, T := ev.Units(l), ev.Tokens()
	if H < 1 {
		return rasterPanel{}, fmt.Errorf("report: raster: layer %d has %d units", l, H)
	}
	p := rasterPanel{layer: l, units: H}
	for t := range T {
		for j := 0; j < H; j++ {
			if !ev.Fired(l, t, j) {
				continue
			}
			j0 := j
			for j+1 < H && ev.Fired(l, t, j+1) {
				j++
			}
			p.runs = append(p.runs, markRun{t: t, j0: j0, n: j - j0 + 1})
			p.events += j - j0 + 1
		}
	}
	p.active = float64(p.events) / float64(H*T)
	return p, nil
}

// title is the panel's title: the layer, its width and how much of it was
// active.
func (p rasterPanel) title() string {
	if p.active == 1 {
		return fmt.Sprintf("layer %d (H %d): every unit non-zero at every token (dense output, no events)", p.layer, p.units)
	}
	return fmt.Sprintf("layer %d (H %d): %s of units active per token", p.layer, p.units, percentLabel(p.active))
}

// percentLabel writes a fraction as a percentage: one decimal, two
// significant digits under 1%, and exact ends (0%, 100%) only when exact.
func percentLabel(v float64) string {
	switch pct := 100 * v; {
	case v == 0 || v == 1:
		return strconv.FormatFloat(pct, 'f', 0, 64) + "%"
	case pct < 1:
		return strconv.FormatFloat(pct, 'g', 2, 64) + "%"
	case pct > 99.9:
		return ">99.9%"
	default:
		return strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	}
}

// SaveRaster draws the raster of ev with spec and writes it to path (see
// RasterFigure.Save).
func SaveRaster(path string, ev RasterEvents, spec RasterSpec) error {
	f, err := NewRasterFigure(ev, spec)
	if err != nil {
		return err
	}
	return f.Save(path)
}

// Size returns the figure's size (RasterSize of its layers).
func (f *RasterFigure) Size() (width, height vg.Length) { return f.width, f.height }

// Save writes the figure to path in the format of its extension, .png at
// PNGDPI or .svg, replacing the file atomically (ckptdir.WriteFile: no
// half-written picture). It returns an error for another extension and
// when the file cannot be written.
func (f *RasterFigure) Save(path string) error {
	if err := CheckRasterPath(path); err != nil {
		return err
	}
	var c vg.CanvasWriterTo
	if strings.EqualFold(filepath.Ext(path), ".png") {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.width, f.height), vgimg.UseDPI(PNGDPI))}
	} else {
		c = vgsvg.New(f.width, f.height)
	}
	f.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fmt.Errorf("report: raster %s: %w", path, err)
	}
	if err := ckptdir.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("report: raster: %w", err)
	}
	return nil
}

// The geometry and styles of a raster.
const (
	rasterMargin     = 8 * vg.Length(1)  // points, at the figure's edges
	rasterTitleGap   = 6 * vg.Length(1)  // below the subtitle
	rasterPanelGap   = 10 * vg.Length(1) // between panels
	wordLabelSize    = levelLabelSize    // the words along the x axis
	wordLabelGap     = 1.5               // points between neighbouring rotated words
	wordTickGap      = 2 * vg.Length(1)  // between a tick mark and the end of its word
	wordAxisTitleGap = 4 * vg.Length(1)  // between the longest word and the axis title
	tickLength       = 3 * vg.Length(1)
	minPanelShare    = 0.35 // a panel's height is ∝ H, but at least this share of the tallest
	markWidth        = 0.8  // of a token's pitch, when that leaves a visible gap
	markHeight       = 0.8  // of a unit's pitch, likewise
	minMarkGapPoints = 0.6  // the gap below which marks fill their whole pitch
)

// markColor is the colour of the marks: black, for the density of tiny
// marks to print as it looks on screen.
var markColor = color.Black

func rasterTitleStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, titleSize), XAlign: draw.XCenter, YAlign: draw.YTop,
		Handler: plot.DefaultTextHandler}
}

func rasterSubtitleStyle() text.Style {
	return text.Style{Color: color.Gray{Y: 0x30}, Font: font.From(plot.DefaultFont, legendTextSize), XAlign: draw.XCenter, YAlign: draw.YTop,
		Handler: plot.DefaultTextHandler}
}

// wordStyle is the style of the x axis words: rotated a quarter turn to
// read upwards, the word's end at its tick.
func wordStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, wordLabelSize), Rotation: math.Pi / 2,
		XAlign: draw.XRight, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
}

// labelStep returns k, the step between labelled tokens: the smallest k
// such that k tokens of T across width hold one rotated word of line
// height lineHeight and a gap of wordLabelGap.
func labelStep(T int, width, lineHeight vg.Length) int {
	pitch := float64(width) / float64(T)
	if !(pitch > 0) {
		return T
	}
	return max(1, int(math.Ceil(float64(lineHeight+wordLabelGap)/pitch-1e-9)))
}

// wordTicks returns the labelled tokens 0, k, 2k, … of the x axis, each
// with its word.
func wordTicks(words []string, k int) []plot.Tick {
	var ticks []plot.Tick
	for t := 0; t < len(words); t += k {
		ticks = append(ticks, plot.Tick{Value: float64(t), Label: words[t]})
	}
	return ticks
}

// tokenMarks returns the tick marks of the labelled tokens, without their
// labels: gonum/plot anchors a rotated tick label at the top of its label
// row, against the tick marks, so Draw writes the words itself. The marks
// are minor ticks, which gonum draws on the axis side of Tick.Length.
func tokenMarks(ticks []plot.Tick) plot.ConstantTicks {
	marks := make(plot.ConstantTicks, len(ticks))
	for i, t := range ticks {
		marks[i] = plot.Tick{Value: t.Value}
	}
	return marks
}

// unitTicks returns the y axis ticks of H units: labels at multiples of a
// 1-2-5 step that gives at most maxUnitLabels labels (integers only), unit 0 always.
func unitTicks(H int) []plot.Tick {
	step := 0
	for e := 1; step == 0; e *= 10 {
		for _, m := range []int{1, 2, 5} {
			if s := m * e; (H-1)/s+1 <= maxUnitLabels {
				step = s
				break
			}
		}
	}
	var ticks []plot.Tick
	for j := 0; j < H; j += step {
		ticks = append(ticks, plot.Tick{Value: float64(j), Label: strconv.Itoa(j)})
	}
	return ticks
}

// maxUnitLabels is the most labels unitTicks puts on a y axis: a panel
// can be an inch tall.
const maxUnitLabels = 5

// newPanelPlot returns the gonum plot of panel p over T tokens: the title,
// the axes with marks at the labelled tokens (every k-th; the bottom panel
// leaves room for the words under them, which Draw writes), and the marks
// of the events.
func (f *RasterFigure) newPanelPlot(p rasterPanel, k int, bottom bool) *plot.Plot {
	T := len(f.words)
	pl := plot.New()
	pl.BackgroundColor = nil
	pl.Title.Text = p.title()
	pl.Title.TextStyle.Font.Size = legendTextSize
	pl.Title.Padding = vg.Points(4)
	pl.X.Min, pl.X.Max = -0.5, float64(T)-0.5
	pl.Y.Min, pl.Y.Max = -0.5, float64(p.units)-0.5
	pl.X.Tick.Marker = tokenMarks(wordTicks(f.words, k))
	pl.Y.Tick.Marker = plot.ConstantTicks(unitTicks(p.units))
	pl.X.Tick.Length = 2 * tickLength // minor ticks: the half at the axis is drawn
	pl.Y.Tick.Length = tickLength
	for _, ax := range []*plot.Axis{&pl.X, &pl.Y} {
		ax.Tick.Label.Font.Size = tickLabelSize
		ax.Padding = 0
	}
	pl.Y.Label.Text = "unit"
	pl.Y.Label.TextStyle.Font.Size = axisLabelSize
	if bottom {
		pl.X.Label.Text = "token read"
		if k > 1 {
			pl.X.Label.Text += fmt.Sprintf(" (every %s labelled)", ordinal(k))
		}
		pl.X.Label.TextStyle.Font.Size = axisLabelSize
		pl.X.Label.Padding = wordRowHeight(wordTicks(f.words, k)) + wordAxisTitleGap
	}
	pl.Add(&rasterMarks{runs: p.runs})
	return pl
}

// wordRowHeight is the height of the row of rotated words of ticks: the
// longest word's width, and the gap above it.
func wordRowHeight(ticks []plot.Tick) vg.Length {
	sty := wordStyle()
	var h vg.Length
	for _, t := range ticks {
		h = max(h, sty.Rectangle(t.Label).Size().Y)
	}
	return h + wordTickGap
}

// drawWords writes the words of ticks under the x axis of data, the data
// area of the bottom panel pl: rotated, each word's end wordTickGap below
// its tick mark, centred on it.
func drawWords(c draw.Canvas, pl *plot.Plot, data draw.Canvas, ticks []plot.Tick) {
	sty := wordStyle()
	top := data.Min.Y - tickLength - wordTickGap
	for _, t := range ticks {
		x := data.X(pl.X.Norm(t.Value))
		c.FillText(sty, vg.Point{X: x, Y: top}, t.Label)
	}
}

// ordinal writes k as "2nd", "3rd", "11th".
func ordinal(k int) string {
	suffix := "th"
	if k%100 < 11 || k%100 > 13 {
		switch k % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(k) + suffix
}

// rasterMarks is the plotter of a panel's marks: a filled rectangle per
// run, centred on its token and units; markWidth × markHeight of the pitch
// where the gap left is visible, else the whole pitch (so that dense
// columns read as solid).
type rasterMarks struct{ runs []markRun }

// Plot draws the marks on c as one path (one element in an SVG).
func (m *rasterMarks) Plot(c draw.Canvas, pl *plot.Plot) {
	trX, trY := pl.Transforms(&c)
	tokenPitch := float64(trX(1) - trX(0))
	unitPitch := float64(trY(1) - trY(0))
	w, h := 1.0, 1.0
	if (1-markWidth)*tokenPitch >= minMarkGapPoints {
		w = markWidth
	}
	if (1-markHeight)*unitPitch >= minMarkGapPoints {
		h = markHeight
	}
	var path vg.Path
	rect := func(t float64, j0, j1 float64) {
		x0, x1 := trX(t-w/2), trX(t+w/2)
		y0, y1 := trY(j0-h/2), trY(j1+h/2)
		path.Move(vg.Point{X: x0, Y: y0})
		path.Line(vg.Point{X: x1, Y: y0})
		path.Line(vg.Point{X: x1, Y: y1})
		path.Line(vg.Point{X: x0, Y: y1})
		path.Close()
	}
	for _, r := range m.runs {
		t := float64(r.t)
		if h == 1 {
			rect(t, float64(r.j0), float64(r.j0+r.n-1))
			continue
		}
		for j := r.j0; j < r.j0+r.n; j++ {
			rect(t, float64(j), float64(j))
		}
	}
	if len(path) == 0 {
		return
	}
	c.SetColor(markColor)
	c.Fill(path)
}

// Draw draws the figure on c: the title and subtitle centred at the top,
// then one panel per layer, layer 0 at the top, each panel's height in
// proportion to its units (at least minPanelShare of the tallest), their
// data areas aligned left and right; the words label the bottom panel's x
// axis, every k-th (labelStep) so that none overlap.
func (f *RasterFigure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	titleSty, subSty := rasterTitleStyle(), rasterSubtitleStyle()
	area := draw.Crop(c, rasterMargin, -rasterMargin, rasterMargin, -rasterMargin)
	top := area.Max.Y
	centre := (area.Min.X + area.Max.X) / 2
	title := fitText(titleSty, f.title, area.Size().X)
	c.FillText(titleSty, vg.Point{X: centre, Y: top}, title)
	top -= titleSty.Height(title)
	sub := fitText(subSty, f.subtitle, area.Size().X)
	c.FillText(subSty, vg.Point{X: centre, Y: top}, sub)
	top -= subSty.Height(sub) + rasterTitleGap
	area.Max.Y = top

	l := f.layout(area)
	for i, p := range f.panels {
		bottom := i == len(f.panels)-1
		pl := f.newPanelPlot(p, l.step, bottom)
		pl.Draw(l.panels[i])
		if bottom {
			drawWords(c, pl, pl.DataCanvas(l.panels[i]), wordTicks(f.words, l.step))
		}
	}
}

// rasterLayout is where Draw puts the panels and the label step it chose.
type rasterLayout struct {
	panels []draw.Canvas
	step   int
}

// layout places the panels in area (see Draw). The panels' overheads
// (title, axes) do not depend on their heights, and the y axes' widths not
// on the panel heights, so one trial layout measures them.
func (f *RasterFigure) layout(area draw.Canvas) rasterLayout {
	n := len(f.panels)
	T := len(f.words)
	// A first guess of the data width (an unlabelled panel) gives the label
	// step; the bottom panel is then measured with its labels.
	trial := func(i, k int, c draw.Canvas) (left, right, over vg.Length) {
		pl := f.newPanelPlot(f.panels[i], k, i == n-1)
		d := pl.DataCanvas(c)
		return d.Min.X - c.Min.X, c.Max.X - d.Max.X, c.Size().Y - d.Size().Y
	}
	probe := area
	probe.Min.Y = probe.Max.Y - area.Size().Y/vg.Length(n)
	var maxLeft, maxRight vg.Length
	for i := range n {
		left, right, _ := trial(i, T, probe)
		maxLeft, maxRight = max(maxLeft, left), max(maxRight, right)
	}
	wordHeight := wordStyle().Rectangle("Mg").Size().X // rotated: the line height lies along x
	k := labelStep(T, area.Size().X-maxLeft-maxRight, wordHeight)

	lefts, rights, overs := make([]vg.Length, n), make([]vg.Length, n), make([]vg.Length, n)
	maxLeft, maxRight = 0, 0
	var overhead vg.Length
	for i := range n {
		lefts[i], rights[i], overs[i] = trial(i, k, probe)
		maxLeft, maxRight = max(maxLeft, lefts[i]), max(maxRight, rights[i])
		overhead += overs[i]
	}
	maxUnits := 0
	for _, p := range f.panels {
		maxUnits = max(maxUnits, p.units)
	}
	shares := make([]float64, n)
	var total float64
	for i, p := range f.panels {
		shares[i] = math.Max(float64(p.units), minPanelShare*float64(maxUnits))
		total += shares[i]
	}
	dataHeight := area.Size().Y - overhead - vg.Length(n-1)*rasterPanelGap
	l := rasterLayout{step: k}
	y := area.Max.Y
	for i := range n {
		h := overs[i] + dataHeight*vg.Length(shares[i]/total)
		c := area
		c.Max.Y, c.Min.Y = y, y-h
		c.Min.X += maxLeft - lefts[i]
		c.Max.X -= maxRight - rights[i]
		l.panels = append(l.panels, c)
		y -= h + rasterPanelGap
	}
	return l
}

// fitText returns txt, or txt shortened in the middle with an ellipsis
// until it is at most width wide in sty (a long checkpoint path keeps its
// start and its end).
func fitText(sty text.Style, txt string, width vg.Length) string {
	if sty.Width(txt) <= width {
		return txt
	}
	r := []rune(txt)
	for cut := 1; cut < len(r); cut++ {
		head := (len(r) - cut) / 2
		s := string(r[:head]) + "…" + string(r[head+cut:])
		if sty.Width(s) <= width {
			return s
		}
	}
	return "…"
}
