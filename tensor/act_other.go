//go:build (!amd64 && !arm64) || purego

package tensor

// actBest returns the implementation used by default.
func actBest() *actImpl { return actGeneric }

// actAvailable lists every implementation usable on this machine.
func actAvailable() []*actImpl { return []*actImpl{actGeneric} }
