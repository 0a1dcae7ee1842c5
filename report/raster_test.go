package report

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// patternEvents is a made-up raster: unit j of layer l fires at token t
// where fire(l, t, j) says.
type patternEvents struct {
	units []int
	T     int
	fire  func(l, t, j int) bool
}

func (p patternEvents) Layers() int            { return len(p.units) }
func (p patternEvents) Units(l int) int        { return p.units[l] }
func (p patternEvents) Tokens() int            { return p.T }
func (p patternEvents) Fired(l, t, j int) bool { return p.fire(l, t, j) }

// count returns the events of layer l.
func (p patternEvents) count(l int) int {
	n := 0
	for t := range p.T {
		for j := range p.units[l] {
			if p.fire(l, t, j) {
				n++
			}
		}
	}
	return n
}

// testWords returns T distinct words w0, w1, … (no other text of a raster
// starts with w).
func testWords(T int) []string {
	words := make([]string, T)
	for t := range words {
		words[t] = fmt.Sprintf("w%d", t)
	}
	return words
}

// threeLayers is a raster of three layers: a sparse pattern of runs that
// reach both ends of the layer (unit 0, unit H−1) and cross the 64-unit
// words of a bitset, a dense layer and a silent one.
var threeLayers = patternEvents{units: []int{70, 9, 5}, T: 37, fire: func(l, t, j int) bool {
	switch l {
	case 0:
		return (t+j)%7 < 3 || j == 69 && t%2 == 0
	case 1:
		return true
	}
	return false
}}

// TestRasterPanelsHoldTheEvents: each panel's marks cover exactly the
// layer's events, each once, in runs of adjacent units that cannot be
// longer; the panel titles give each layer's measured activity.
func TestRasterPanelsHoldTheEvents(t *testing.T) {
	ev := threeLayers
	f, err := NewRasterFigure(ev, RasterSpec{Checkpoint: "ckpt", Words: testWords(ev.T)})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.panels) != 3 {
		t.Fatalf("%d panels for 3 layers", len(f.panels))
	}
	for l, p := range f.panels {
		covered := map[[2]int]int{}
		marks := 0
		for _, r := range p.runs {
			if r.n < 1 || (r.j0+r.n < ev.units[l] && ev.fire(l, r.t, r.j0+r.n)) || (r.j0 > 0 && ev.fire(l, r.t, r.j0-1)) {
				t.Errorf("layer %d: run %+v is empty or not maximal", l, r)
			}
			for j := r.j0; j < r.j0+r.n; j++ {
				if !ev.fire(l, r.t, j) {
					t.Errorf("layer %d: run %+v marks silent unit %d", l, r, j)
				}
				covered[[2]int{r.t, j}]++
				marks++
			}
		}
		if want := ev.count(l); marks != want || p.events != want || len(covered) != want {
			t.Errorf("layer %d: marks cover %d units (%d distinct), panel counts %d events, the raster has %d", l, marks, len(covered), p.events, want)
		}
		if want := float64(ev.count(l)) / float64(ev.units[l]*ev.T); p.active != want {
			t.Errorf("layer %d: activity %v, want %v", l, p.active, want)
		}
	}
	// 0: (t+j)%7 < 3 is 3/7 of the units, plus unit 69 at the even tokens
	// where it is not already on.
	for l, want := range []string{"layer 0 (H 70): 43.", "layer 1 (H 9): every unit non-zero at every token (dense output, no events)", "layer 2 (H 5): 0% of units active"} {
		if got := f.panels[l].title(); !strings.HasPrefix(got, want) {
			t.Errorf("panel %d title %q, want it to start %q", l, got, want)
		}
	}
	if !strings.Contains(f.subtitle, "37 tokens") {
		t.Errorf("subtitle %q does not give the tokens", f.subtitle)
	}
}

// TestRasterDrawsTheEventsAndWords draws a raster on a recording canvas:
// the marks drawn are one rectangle per event (the units are tall enough
// for gaps between marks, so no two merge), the words written under the
// bottom panel are the tokens 0, k, 2k, … in order, with k the smallest
// step at which the rotated words do not overlap, and the panels' data
// areas line up.
func TestRasterDrawsTheEventsAndWords(t *testing.T) {
	for _, T := range []int{12, 37, 300} {
		ev := threeLayers
		ev.T = T
		words := testWords(T)
		f, err := NewRasterFigure(ev, RasterSpec{Checkpoint: "ckpt", Source: "text.txt", Words: words})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder.Canvas{}
		w, h := f.Size()
		c := draw.Canvas{Canvas: rec, Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: h}}}
		f.Draw(c)

		var rects, drawnWords []string
		black := false
		for _, a := range rec.Actions {
			switch a := a.(type) {
			case *recorder.SetColor:
				black = a.Color == markColor
			case *recorder.Fill:
				if black {
					for _, comp := range a.Path {
						if comp.Type == vg.MoveComp {
							rects = append(rects, "")
						}
					}
				}
			case *recorder.FillString:
				if strings.HasPrefix(a.String, "w") {
					drawnWords = append(drawnWords, a.String)
				}
			}
		}
		area := draw.Crop(c, rasterMargin, -rasterMargin, rasterMargin, -rasterMargin)
		l := f.layout(area)
		data := make([]draw.Canvas, len(l.panels))
		for i := range l.panels {
			data[i] = f.newPanelPlot(f.panels[i], l.step, i == len(l.panels)-1).DataCanvas(l.panels[i])
		}

		// A panel whose units are tall enough for a visible gap draws a
		// mark per event; one whose units are not draws a mark per run
		// (adjacent units merge).
		want := 0
		for i, p := range f.panels {
			if unitPitch := data[i].Size().Y / vg.Length(p.units); (1-markHeight)*unitPitch >= minMarkGapPoints {
				want += p.events
			} else {
				want += len(p.runs)
			}
		}
		if len(rects) != want {
			t.Errorf("T %d: %d marks drawn, want %d", T, len(rects), want)
		}
		var labelled []string
		for tok := 0; tok < T; tok += l.step {
			labelled = append(labelled, words[tok])
		}
		if strings.Join(drawnWords, " ") != strings.Join(labelled, " ") {
			t.Errorf("T %d: words drawn %v, want every %d-th token %v", T, drawnWords, l.step, labelled)
		}
		lineHeight := wordStyle().Rectangle("Mg").Size().X
		pitch := data[0].Size().X / vg.Length(T)
		if vg.Length(l.step)*pitch < lineHeight+wordLabelGap || (l.step > 1 && vg.Length(l.step-1)*pitch >= lineHeight+wordLabelGap) {
			t.Errorf("T %d: label step %d at a pitch of %.2f pt for words %.2f pt high: not the smallest without overlap", T, l.step, pitch, lineHeight)
		}
		for i := 1; i < len(data); i++ {
			if d := data[i].Min.X - data[0].Min.X; d < -0.01 || d > 0.01 {
				t.Errorf("T %d: panel %d's data area starts %.3f pt from panel 0's", T, i, d)
			}
			if d := data[i].Max.X - data[0].Max.X; d < -0.01 || d > 0.01 {
				t.Errorf("T %d: panel %d's data area ends %.3f pt from panel 0's", T, i, d)
			}
			if data[i].Max.Y > data[i-1].Min.Y {
				t.Errorf("T %d: panel %d overlaps the one above", T, i)
			}
		}
	}
}

// TestSaveRaster writes PNG and SVG files of the stated size: two layers
// FigureWidth × FigureHeight (1950 × 1350 pixels at PNGDPI), three
// rasterLayerHeight taller.
func TestSaveRaster(t *testing.T) {
	dir := t.TempDir()
	two := patternEvents{units: []int{16, 8}, T: 20, fire: func(l, t, j int) bool { return (t*j+l)%5 == 0 }}
	for _, c := range []struct {
		ev     patternEvents
		width  int
		height int
	}{{two, 1950, 1350}, {threeLayers, 1950, 1800}} {
		spec := RasterSpec{Checkpoint: "runs/egru-tiny", Source: "my.txt", Words: testWords(c.ev.T)}
		path := filepath.Join(dir, fmt.Sprintf("raster%d.png", c.ev.Layers()))
		if err := SaveRaster(path, c.ev, spec); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != c.width || cfg.Height != c.height {
			t.Errorf("%s: %d×%d pixels (%v), want %d×%d", path, cfg.Width, cfg.Height, err, c.width, c.height)
		}
		svgPath := strings.TrimSuffix(path, ".png") + ".SVG"
		if err := SaveRaster(svgPath, c.ev, spec); err != nil {
			t.Fatal(err)
		}
		svg, err := os.ReadFile(svgPath)
		size := fmt.Sprintf(`<svg width="%gpt" height="%gpt"`, float64(c.width)*72/PNGDPI, float64(c.height)*72/PNGDPI)
		if err != nil || !bytes.Contains(svg, []byte(size)) || !bytes.Contains(svg, []byte("runs/egru-tiny")) {
			t.Errorf("%s is not an SVG of %s naming the checkpoint (%v)", svgPath, size, err)
		}
	}
}

// TestRasterErrors: the errors a caller can cause name what is wrong, and
// a failed save leaves no file.
func TestRasterErrors(t *testing.T) {
	dir := t.TempDir()
	ev := threeLayers
	spec := RasterSpec{Checkpoint: "ckpt", Words: testWords(ev.T)}
	none := patternEvents{units: []int{4}, T: 0, fire: ev.fire}
	for _, c := range []struct {
		path string
		ev   patternEvents
		spec RasterSpec
		want string
	}{
		{filepath.Join(dir, "r.jpg"), ev, spec, `the extension chooses the format, want .png | .svg`},
		{filepath.Join(dir, "r"), ev, spec, `want .png | .svg`},
		{filepath.Join(dir, "missing", "r.png"), ev, spec, "no such file or directory"},
		{filepath.Join(dir, "r.png"), ev, RasterSpec{Words: testWords(3)}, "3 words for 37 tokens"},
		{filepath.Join(dir, "r.png"), none, RasterSpec{}, "no tokens"},
		{filepath.Join(dir, "r.png"), patternEvents{units: []int{0}, T: 2, fire: ev.fire}, RasterSpec{Words: testWords(2)}, "layer 0 has 0 units"},
	} {
		err := SaveRaster(c.path, c.ev, c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SaveRaster(%s): %v, want an error with %q", c.path, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed saves left %d files", len(entries))
	}
}

// TestPercentLabel: activity percentages keep their meaning at the ends.
func TestPercentLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "0%", 1: "100%", 0.0042: "0.42%", 0.5: "50.0%", 0.123456: "12.3%", 0.99995: ">99.9%"} {
		if got := percentLabel(v); got != want {
			t.Errorf("percentLabel(%v) = %q, want %q", v, got, want)
		}
	}
}
