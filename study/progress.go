package study

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Progress says how far a training or fine-tuning job has come: the epochs
// its run directory's log.jsonl records ("epoch 3 of 10 done"), then the
// last progress bar line of its output (LogPath; "epoch 4/10 at 60%, ETA
// 4m10s at 20:42"), or "" when neither says anything.
func Progress(dir string, spec Spec, j Job) string {
	var parts []string
	if done, total, _ := epochsDone(dir, spec, j); done > 0 {
		parts = append(parts, fmt.Sprintf("epoch %d of %d done", done, total))
	}
	if b, ok := lastBar(LogPath(dir, j.ID)); ok {
		s := fmt.Sprintf("%s at %d%%", b.label, b.percent)
		if b.eta != "" {
			s += ", ETA " + b.eta
		}
		parts = append(parts, s+" at "+b.at.Local().Format("15:04"))
	}
	return strings.Join(parts, "; ")
}

// LogPath is where a study run on one machine writes job id's output.
func LogPath(dir string, id int) string {
	return filepath.Join(dir, "logs", fmt.Sprintf("job-%d.log", id))
}

// barLine matches a progress bar line as train.Progress writes it to a file:
// label, bar, percentage, throughput, then "ETA 3m24s" (when known).
var barLine = regexp.MustCompile(`^(.+?) \[[= ]*\]\s+(\d+)%(?:.*? ETA (\S+))?`)

// bar is the last progress line of a job's output.
type bar struct {
	label   string
	percent int
	eta     string
	at      time.Time // when the output was last written
}

// lastBar returns the last progress bar line of the log at path; only its
// last 16 KiB are read.
func lastBar(path string) (bar, bool) {
	f, err := os.Open(path)
	if err != nil {
		return bar{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return bar{}, false
	}
	const tail = 16 << 10
	off := max(0, fi.Size()-tail)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return bar{}, false
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		m := barLine.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		pct, _ := strconv.Atoi(m[2])
		return bar{label: m[1], percent: pct, eta: m[3], at: fi.ModTime()}, true
	}
	return bar{}, false
}

// epochsDone returns the epochs job j's log records, the epochs it runs (0
// for jobs without epochs) and the run's wall time at the last recorded
// epoch (its log's wall_s, summed over the sessions of a resumed run).
func epochsDone(dir string, spec Spec, j Job) (done, total int, wall time.Duration) {
	switch j.Kind {
	case KindTrain:
		o, err := TrainOptions(spec, j.Model, j.Seed)
		if err != nil {
			return 0, 0, 0
		}
		total = o.Epochs
	case KindPrune:
		total = spec.FinetuneEpochs
	default:
		return 0, 0, 0
	}
	f, err := os.Open(filepath.Join(dir, j.Dir, "log.jsonl"))
	if err != nil {
		return 0, total, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"event":"epoch"`) {
			continue
		}
		var e struct {
			Epoch int     `json:"epoch"`
			Wall  float64 `json:"wall_s"`
		}
		if json.Unmarshal(line, &e) == nil && e.Epoch > done {
			done, wall = e.Epoch, time.Duration(e.Wall*float64(time.Second))
		}
	}
	return min(done, total), total, wall
}

// Remaining estimates the work left in the study in dir. A job with an
// epoch behind it (running, killed half-way, or a complete run copied in)
// goes on at its own pace so far (wall time per epoch from its log); any
// other job takes the mean wall time of the
// study's finished jobs of its kind and model (from their logs, which
// count every session of a resumed run), else Estimate's for a dataset of
// the given size. A running job's current epoch counts as far as its
// progress bar shows. measured counts the jobs not done whose figure came
// from this study's own logs.
func Remaining(dir string, spec Spec, size DataSize) (left time.Duration, measured, pending int, err error) {
	jobs := Plan(spec)
	type key struct {
		kind  Kind
		model string
	}
	sum, n := map[key]time.Duration{}, map[key]int{}
	states := make([]State, len(jobs))
	for i, j := range jobs {
		if states[i], err = ReadState(dir, j.ID); err != nil {
			return 0, 0, 0, err
		}
		if states[i].Status != Done {
			continue
		}
		if done, total, wall := epochsDone(dir, spec, j); total > 0 && done == total && wall > 0 {
			k := key{j.Kind, j.Model}
			sum[k] += wall
			n[k]++
		}
	}
	for i, j := range jobs {
		if states[i].Status == Done {
			continue
		}
		pending++
		done, total, wall := epochsDone(dir, spec, j)
		// The part of its current epoch that a running job's progress bar
		// shows.
		var inEpoch float64
		if states[i].Status == Running && total > 0 && done < total {
			if b, ok := lastBar(LogPath(dir, j.ID)); ok && strings.HasPrefix(b.label, "epoch ") {
				inEpoch = float64(b.percent) / 100
			}
		}
		switch k := (key{j.Kind, j.Model}); {
		case done > 0 && wall > 0:
			// Running, killed half-way, or (a run copied in) complete.
			left += time.Duration(float64(wall) / float64(done) * max(0, float64(total-done)-inEpoch))
			measured++
		case n[k] > 0:
			d := sum[k] / time.Duration(n[k])
			if total > 0 {
				d = time.Duration(float64(d) * max(0, 1-(float64(done)+inEpoch)/float64(total)))
			}
			left += d
			measured++
		default:
			d := Estimate(spec, j, size)
			if total > 0 {
				d = time.Duration(float64(d) * max(0, 1-inEpoch/float64(total)))
			}
			left += d
		}
	}
	return left, measured, pending, nil
}
