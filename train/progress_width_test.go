package train

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// egruStatus is the status of an EGRU training window, as the trainer
// passes it (most important first).
var egruStatus = []string{"ppl 180.2", "sparsity 75.2%", "loss 5.123", "lr 0.002"}

// ttyBar returns a bar that draws as on a terminal of cols columns, with a
// clock the test moves, at frac of 100000 tokens done at rate tokens/s.
func ttyBar(out *strings.Builder, label string, cols int, frac, rate float64) (*Progress, *time.Time) {
	clock := time.Unix(0, 0)
	p := NewProgress(out, label, 100000)
	p.tty, p.cols = true, func() int { return cols }
	p.now = func() time.Time { return clock }
	p.start = clock
	done := int64(frac * 100000)
	clock = clock.Add(time.Duration(float64(done) / rate * float64(time.Second)))
	p.done = done
	return p, &clock
}

// TestProgressFitsWidth checks that on a terminal the line never takes more
// than the width less one column, for the EGRU's whole field set and the
// widest values of each field, at 40, 60, 80 and 120 columns; that 80
// columns keep the bar and the fields that matter most; and that a wide
// terminal gets every field and the full bar.
func TestProgressFitsWidth(t *testing.T) {
	for _, cols := range []int{40, 60, 80, 120} {
		for _, c := range []struct {
			label      string
			frac, rate float64
		}{
			{"epoch 1/10", 0.33, 12345},
			{"epoch 100/500", 1, 1.5e6},  // 100%, "1.50M tok/s"
			{"epoch 10/10", 0.0001, 0.5}, // ETA in hours
			{"  valid", 0.5, 999},        // short label, short rate
			{"a very long label for a bar of this width", 0.5, 1000},
		} {
			var out strings.Builder
			p, _ := ttyBar(&out, c.label, cols, c.frac, c.rate)
			p.status = egruStatus
			line := p.line(p.now(), cols)
			if n := utf8.RuneCountInString(line); n > cols-1 {
				t.Errorf("%d columns: %d-column line %q", cols, n, line)
			}
		}
	}
	var out strings.Builder
	p, _ := ttyBar(&out, "epoch 1/10", 80, 0.33, 12345)
	p.status = egruStatus
	line := p.line(p.now(), 80)
	for _, want := range []string{"epoch 1/10 [", " 33%", "ETA ", "ppl 180.2", "sparsity 75.2%", "tok/s"} {
		if !strings.Contains(line, want) {
			t.Errorf("80 columns: line %q lacks %q", line, want)
		}
	}
	full := p.line(p.now(), 0)
	if n := utf8.RuneCountInString(full); n < 100 {
		t.Fatalf("the EGRU's whole line %q is %d columns: it should need over 100", full, n)
	}
	if wide := p.line(p.now(), 200); wide != full || !strings.Contains(wide, "["+strings.Repeat("=", 7)+strings.Repeat(" ", 17)+"]") {
		t.Errorf("200 columns: %q, want the whole line with the full bar %q", wide, full)
	}
}

// TestProgressDropOrder narrows the terminal one column at a time and
// checks the order in which the EGRU line loses its parts: the learning
// rate, the loss, the bar, the throughput, the sparsity, the perplexity,
// the ETA and the percentage; before each part goes the bar has narrowed to
// 10 columns (it takes the room a dropped part leaves, up to 24); a part
// once dropped never comes back at a narrower width; the label stays (cut
// to the width at the very end).
func TestProgressDropOrder(t *testing.T) {
	var out strings.Builder
	p, _ := ttyBar(&out, "epoch 1/10", 0, 0.33, 12345)
	p.status = egruStatus
	parts := []struct{ name, text string }{
		{"lr", "lr 0.002"}, {"loss", "loss 5.123"}, {"bar", "["}, {"throughput", "tok/s"},
		{"sparsity", "sparsity 75.2%"}, {"ppl", "ppl 180.2"}, {"ETA", "ETA "}, {"percentage", "33%"},
	}
	var order []string
	gone := map[string]bool{}
	prevBar := -1 // the bar's width one column wider (-1: no bar)
	for cols := 200; cols >= 2; cols-- {
		line := p.line(p.now(), cols)
		if n := utf8.RuneCountInString(line); n > cols-1 {
			t.Fatalf("%d columns: %d-column line %q", cols, n, line)
		}
		bar := -1
		if i := strings.Index(line, "["); i >= 0 {
			bar = strings.Index(line, "]") - i - 1
			if bar < minBarWidth || bar > barWidth || cols == 200 && bar != barWidth {
				t.Errorf("%d columns: a %d-column bar, want %d to %d (%d on a wide terminal)", cols, bar, minBarWidth, barWidth, barWidth)
			}
		}
		for _, part := range parts {
			has := strings.Contains(line, part.text)
			switch {
			case !has && !gone[part.name]:
				gone[part.name] = true
				order = append(order, part.name)
				if prevBar >= 0 && prevBar != minBarWidth {
					t.Errorf("%d columns: the %s went while the bar was still %d columns wide, not %d", cols, part.name, prevBar, minBarWidth)
				}
			case has && gone[part.name]:
				t.Errorf("%d columns: %s came back: %q", cols, part.name, line)
			}
		}
		if want := "epoch 1/10"[:min(10, cols-1)]; !strings.HasPrefix(line, want) {
			t.Errorf("%d columns: line %q does not start with the label %q", cols, line, want)
		}
		prevBar = bar
	}
	want := []string{"lr", "loss", "bar", "throughput", "sparsity", "ppl", "ETA", "percentage"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("parts dropped in the order %v, want %v", order, want)
	}
}

// TestProgressRedrawsInPlace checks the bytes a terminal gets: every
// redraw returns the cursor to the start of the line, writes a fitted line
// and erases the rest of the old one; only Finish ends the line.
func TestProgressRedrawsInPlace(t *testing.T) {
	var out strings.Builder
	p, clock := ttyBar(&out, "epoch 1/10", 80, 0, 1000)
	for range 100 {
		*clock = clock.Add(time.Second)
		p.Add(1000, egruStatus...)
	}
	draws := strings.Split(out.String(), "\r")[1:]
	if len(draws) != 100 || strings.Contains(out.String(), "\n") {
		t.Fatalf("%d redraws, output with a newline: %t; want 100 in place", len(draws), strings.Contains(out.String(), "\n"))
	}
	for _, d := range draws {
		line, ok := strings.CutSuffix(d, "\033[K")
		if !ok || utf8.RuneCountInString(line) > 79 {
			t.Fatalf("redraw %q: want a line of at most 79 columns, then erase to the end of the line", d)
		}
	}
	p.Finish()
	if !strings.HasSuffix(out.String(), "\033[K\n") {
		t.Errorf("Finish did not end the line: %q", out.String()[len(out.String())-20:])
	}
}

// TestProgressLogKeepsEveryField checks that output that is not a terminal
// (a log) still gets one line per tenth, each with every field and the full
// bar, whatever $COLUMNS says: a log has no width.
func TestProgressLogKeepsEveryField(t *testing.T) {
	t.Setenv("COLUMNS", "40")
	var out strings.Builder
	clock := time.Unix(0, 0)
	p := NewProgress(&out, "epoch 1/10", 1000)
	p.now = func() time.Time { return clock }
	p.start = clock
	for range 100 {
		clock = clock.Add(10 * time.Millisecond)
		p.Add(10, egruStatus...)
	}
	p.Finish()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want one per tenth:\n%s", len(lines), out.String())
	}
	for _, line := range lines {
		for _, want := range append([]string{"epoch 1/10 [", "tok/s", "ETA "}, egruStatus...) {
			if !strings.Contains(line, want) || strings.ContainsAny(line, "\r\033") {
				t.Errorf("log line %q lacks %q or holds terminal controls", line, want)
			}
		}
	}
}
