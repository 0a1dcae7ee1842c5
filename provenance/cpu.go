package provenance

import (
	"os"
	"runtime"
	"strings"
)

// CPUModel is the model name of the first CPU in /proc/cpuinfo ("AMD EPYC
// 7B13 64-Core Processor"), or runtime.GOARCH where there is none: where a
// timing was taken.
func CPUModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH + " (model unknown)"
}
