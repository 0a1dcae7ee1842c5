package fmapeak

import "golang.org/x/sys/cpu"

// Available reports whether the AVX-512 loop can run on this CPU.
func Available() bool { return cpu.X86.HasAVX512F }

// FlopsPerIter is the number of floating-point operations of one loop
// iteration: 16 FMAs on 16 float32 lanes, 2 flops each.
const FlopsPerIter = 16 * 16 * 2

// Loop runs n iterations of the FMA loop. It panics without AVX-512 (see Available).
func Loop(n int) {
	if !Available() {
		panic("fmapeak: the CPU has no AVX-512F")
	}
	fmaLoopAVX512(n)
}

//go:noescape
func fmaLoopAVX512(n int)
