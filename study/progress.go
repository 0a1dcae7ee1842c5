package study

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Progress says how far a training or fine-tuning job has come, from the
// epochs its run directory's log.jsonl records ("epoch 3 of 10 done"), or
// "" for jobs that keep no such log or have not finished an epoch.
func Progress(dir string, spec Spec, j Job) string {
	total := 0
	switch j.Kind {
	case KindTrain:
		o, err := TrainOptions(spec, j.Model, j.Seed)
		if err != nil {
			return ""
		}
		total = o.Epochs
	case KindPrune:
		total = spec.FinetuneEpochs
	default:
		return ""
	}
	f, err := os.Open(filepath.Join(dir, j.Dir, "log.jsonl"))
	if err != nil {
		return ""
	}
	defer f.Close()
	done := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"event":"epoch"`) {
			continue
		}
		var e struct {
			Epoch int `json:"epoch"`
		}
		if json.Unmarshal(line, &e) == nil && e.Epoch > done {
			done = e.Epoch
		}
	}
	if done == 0 {
		return ""
	}
	return fmt.Sprintf("epoch %d of %d done", done, total)
}
