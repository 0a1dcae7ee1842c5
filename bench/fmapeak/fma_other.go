//go:build !amd64

package fmapeak

// Available reports whether the AVX-512 loop can run on this CPU: never off amd64.
func Available() bool { return false }

// FlopsPerIter is the number of floating-point operations of one loop iteration.
const FlopsPerIter = 16 * 16 * 2

// Loop panics: there is no FMA loop for this architecture.
func Loop(n int) { panic("fmapeak: no FMA loop for this architecture") }
