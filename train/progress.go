package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Progress draws a one-line progress bar with throughput and ETA. On a
// terminal it redraws in place at most every 200 ms; otherwise (a log file,
// CI) it prints a line at every tenth of the work so logs stay short.
type Progress struct {
	w        io.Writer
	tty      bool
	label    string
	total    int64 // units of work (tokens)
	done     int64
	base     int64 // tokens already done when the bar started (a resumed epoch)
	start    time.Time
	last     time.Time
	lastDec  int64
	now      func() time.Time
	extra    string
	finished bool
}

// NewProgress starts a bar over total tokens. w may be nil (no output).
func NewProgress(w io.Writer, label string, total int64) *Progress {
	p := &Progress{w: w, label: label, total: total, now: time.Now}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	p.start = p.now()
	return p
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

// Add records n more tokens done and extra as the trailing status (loss, perplexity, ...).
func (p *Progress) Add(n int64, extra string) {
	if p == nil || p.w == nil {
		return
	}
	p.done += n
	p.extra = extra
	now := p.now()
	if p.tty {
		if now.Sub(p.last) >= 200*time.Millisecond || p.done >= p.total {
			p.last = now
			fmt.Fprintf(p.w, "\r%s\033[K", p.line(now))
		}
		return
	}
	if dec := p.done * 10 / max(1, p.total); dec > p.lastDec {
		p.lastDec = dec
		fmt.Fprintln(p.w, p.line(now))
	}
}

// Finish ends the bar's line.
func (p *Progress) Finish() {
	if p == nil || p.w == nil || p.finished {
		return
	}
	p.finished = true
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\033[K\n", p.line(p.now()))
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

func (p *Progress) line(now time.Time) string {
	frac := float64(p.done) / float64(max(1, p.total))
	frac = min(1, frac)
	const width = 24
	filled := int(frac * width)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	el := now.Sub(p.start)
	rate := float64(p.done-p.base) / max(1e-9, el.Seconds())
	eta := "?"
	if rate > 0 {
		eta = fmtDuration(time.Duration(float64(p.total-p.done) / rate * float64(time.Second)))
	}
	return fmt.Sprintf("%s [%s] %3.0f%% %s tok/s ETA %s %s", p.label, bar, frac*100, fmtRate(rate), eta, p.extra)
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

func fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}
