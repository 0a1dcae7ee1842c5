//go:build !amd64 && !arm64

package fmapeak

import (
	"fmt"
	"runtime"
)

// chooseLoop says that there is no FMA loop for this architecture.
func chooseLoop() (*fmaLoop, error) {
	return nil, fmt.Errorf("fmapeak: no FMA loop for GOARCH=%s (amd64 and arm64 have one)", runtime.GOARCH)
}

// runnable returns no loop: there is none for this architecture.
func runnable() []*fmaLoop { return nil }
