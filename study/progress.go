package study

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
	if bar := lastBar(LogPath(dir, j.ID)); bar != "" {
		parts = append(parts, bar)
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

// lastBar returns the last progress bar line of the log at path, shortened
// to its label, percentage and ETA and stamped with the log's modification
// time, or "" when it has none. Only the log's last 16 KiB are read.
func lastBar(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	const tail = 16 << 10
	off := max(0, fi.Size()-tail)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		m := barLine.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		out := fmt.Sprintf("%s at %s%%", m[1], m[2])
		if m[3] != "" {
			out += ", ETA " + m[3]
		}
		return out + " at " + fi.ModTime().Local().Format("15:04")
	}
	return ""
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
// count every session of a resumed run), else Estimate's. measured counts
// the jobs not done whose figure came from this study's own logs.
func Remaining(dir string, spec Spec, trainTokens int) (left time.Duration, measured, pending int, err error) {
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
		switch k := (key{j.Kind, j.Model}); {
		case done > 0 && wall > 0:
			// Running, killed half-way, or (a run copied in) complete.
			left += wall / time.Duration(done) * time.Duration(total-done)
			measured++
		case n[k] > 0:
			d := sum[k] / time.Duration(n[k])
			if states[i].Status == Running && total > 0 {
				d = d * time.Duration(total-done) / time.Duration(total)
			}
			left += d
			measured++
		default:
			left += Estimate(spec, j, trainTokens)
		}
	}
	return left, measured, pending, nil
}
