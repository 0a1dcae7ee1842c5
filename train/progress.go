package train

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Progress draws a one-line progress bar with throughput and ETA. On a
// terminal it redraws in place (carriage return, then the line, then "erase
// to the end of the line") at most every 200 ms, fitted to the terminal's
// width; otherwise (a log file, CI) it prints the whole line at every tenth
// of the work so logs stay short.
//
// The line holds, in this order: the label, the bar, the percentage done,
// the throughput, the ETA and the status fields given to Add. When it is
// wider than the terminal, the bar first narrows from 24 to 10 columns,
// then whole fields go, least important first:
//
//	status fields after the second (last first), the bar, the throughput,
//	the second status field, the first, the ETA, the percentage
//
// and a label that still does not fit is cut. The line keeps one column
// free: some terminals wrap a line that fills the last column, and a
// wrapped line is what made every redraw add a line.
//
// The bar is ours rather than a library's (schollz/progressbar and
// vbauerster/mpb were considered): both fit a line by narrowing the bar
// alone, so a long status still wraps, neither drops fields by importance,
// and neither has the line-per-tenth mode that keeps logs readable.
type Progress struct {
	w        io.Writer
	tty      bool
	cols     func() int // terminal width in columns (tty only)
	label    string
	total    int64 // units of work (tokens)
	done     int64
	base     int64 // tokens already done when the bar started (a resumed epoch)
	start    time.Time
	last     time.Time
	lastDec  int64
	now      func() time.Time
	status   []string
	finished bool
}

// Bar widths in columns: the full bar, and the narrowest one drawn before
// the bar is dropped.
const (
	barWidth    = 24
	minBarWidth = 10
)

// NewProgress starts a bar over total tokens. w may be nil (no output).
func NewProgress(w io.Writer, label string, total int64) *Progress {
	p := &Progress{w: w, label: label, total: total, now: time.Now}
	if f, ok := w.(*os.File); ok {
		if _, tty := terminalWidth(f); tty {
			p.tty = true
			p.cols = func() int { return columns(f) }
		}
	}
	p.start = p.now()
	return p
}

// columns returns the width of the terminal f: as the terminal reports it
// (read at every redraw, so a resized window is followed), else $COLUMNS,
// else 80.
func columns(f *os.File) int {
	if n, _ := terminalWidth(f); n > 0 {
		return n
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// Resume marks done tokens as finished before the bar started (an epoch
// continued from a checkpoint): they count towards the fraction done but not
// towards the throughput or the ETA.
func (p *Progress) Resume(done int64) {
	if p == nil {
		return
	}
	p.done, p.base = done, done
	p.lastDec = done * 10 / max(1, p.total)
}

// Add records n more tokens done and the status fields shown after the ETA
// ("ppl 180.2", "sparsity 75.2%", ...), most important first: a narrow
// terminal drops them from the last (see Progress).
func (p *Progress) Add(n int64, status ...string) {
	if p == nil || p.w == nil {
		return
	}
	p.done += n
	p.status = status
	now := p.now()
	if p.tty {
		if now.Sub(p.last) >= 200*time.Millisecond || p.done >= p.total {
			p.last = now
			fmt.Fprintf(p.w, "\r%s\033[K", p.line(now, p.cols()))
		}
		return
	}
	if dec := p.done * 10 / max(1, p.total); dec > p.lastDec {
		p.lastDec = dec
		fmt.Fprintln(p.w, p.line(now, 0))
	}
}

// Finish ends the bar's line.
func (p *Progress) Finish() {
	if p == nil || p.w == nil || p.finished {
		return
	}
	p.finished = true
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\033[K\n", p.line(p.now(), p.cols()))
	}
}

// Rate returns tokens per second since the bar started.
func (p *Progress) Rate() float64 {
	el := p.now().Sub(p.start).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(p.done-p.base) / el
}

// field is one part of the line; rank orders the parts by importance (0 is
// dropped last).
type field struct {
	text string
	rank int
	bar  bool // the bar, drawn at the width fit gives it
}

// line renders the bar at now, fitted to cols columns (0: no limit).
func (p *Progress) line(now time.Time, cols int) string {
	frac := float64(p.done) / float64(max(1, p.total))
	frac = min(1, frac)
	el := now.Sub(p.start)
	rate := float64(p.done-p.base) / max(1e-9, el.Seconds())
	eta := "?"
	if rate > 0 {
		eta = FormatDuration(time.Duration(float64(p.total-p.done) / rate * float64(time.Second)))
	}
	// The ranks implement the drop order of the Progress doc.
	fields := []field{
		{text: p.label, rank: 0},
		{bar: true, rank: 6},
		{text: fmt.Sprintf("%3.0f%%", frac*100), rank: 1},
		{text: fmtRate(rate) + " tok/s", rank: 5},
		{text: "ETA " + eta, rank: 2},
	}
	for i, s := range p.status {
		rank := 3 + i // the first two status fields: 3, 4
		if i >= 2 {
			rank = 5 + i // after the bar (6): 7, 8, ...
		}
		fields = append(fields, field{text: s, rank: rank})
	}
	return fitLine(fields, frac, cols)
}

// fitLine joins fields with single spaces, the bar filled to frac, in at
// most cols-1 columns when cols > 0 (see Progress for the order in which
// the bar narrows and fields go).
func fitLine(fields []field, frac float64, cols int) string {
	bw := barWidth
	if cols > 0 {
		budget := cols - 1
		for {
			n, hasBar := 0, false
			for i, f := range fields {
				if i > 0 {
					n++ // the separating space
				}
				if f.bar {
					hasBar = true
					n += 2 // the brackets
					continue
				}
				n += utf8.RuneCountInString(f.text)
			}
			if !hasBar && n <= budget {
				break
			}
			if hasBar && n+minBarWidth <= budget {
				bw = min(barWidth, budget-n)
				break
			}
			if len(fields) == 1 {
				fields[0].text = cut(fields[0].text, budget)
				break
			}
			worst := 0
			for i, f := range fields {
				if f.rank > fields[worst].rank {
					worst = i
				}
			}
			fields = append(fields[:worst:worst], fields[worst+1:]...)
		}
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		if f.bar {
			filled := int(frac * float64(bw))
			f.text = "[" + strings.Repeat("=", filled) + strings.Repeat(" ", bw-filled) + "]"
		}
		parts[i] = f.text
	}
	return strings.Join(parts, " ")
}

// cut returns the first n runes of s (none when n < 1).
func cut(s string, n int) string {
	if n < 1 {
		return ""
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func fmtRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

// FormatDuration is d rounded to the second as 1h05m or 4m10s: the ETA of
// the progress bar, and the estimates of sparselm study --dry-run.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}
