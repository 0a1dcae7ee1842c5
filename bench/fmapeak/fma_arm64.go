package fmapeak

var loopNEON = fmaLoop{unit: UnitNEON, lanes: 4, chains: 24, run: fmaLoopNEON}

// chooseLoop returns the NEON loop: Advanced SIMD is part of every ARMv8-A
// core Go runs on (Go's arm64 port assumes it).
func chooseLoop() (*fmaLoop, error) { return &loopNEON, nil }

// runnable returns every loop this CPU can run, widest first (for the tests).
func runnable() []*fmaLoop { return []*fmaLoop{&loopNEON} }

// fmaLoopNEON is fmaLoop.run on 128-bit vector registers: 24 chains V0..V23
// of 4 lanes (SVE's wider vectors, where present, are not used).
//
//go:noescape
func fmaLoopNEON(n int, v *[16]float32)
