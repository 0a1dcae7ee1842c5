package fmapeak

import (
	"errors"
	"fmt"
	"time"
)

// The vector units, as Unit names them.
const (
	UnitAVX512 = "AVX-512"
	UnitAVX2   = "AVX2+FMA"
	UnitNEON   = "NEON"
)

// fmaLoop is one FMA loop: chains accumulators of lanes float32 each.
type fmaLoop struct {
	unit          string
	lanes, chains int
	// run performs n iterations (none if n ≤ 0). Every accumulator starts
	// at 0 and each iteration adds v[l]·v[l] to lane l of each; on return
	// v[l] holds the sum of the accumulators' lane l (v[lanes:] untouched).
	run func(n int, v *[16]float32)
}

// flopsPerIter is 2 flops (multiply and add) × lanes × chains.
func (l *fmaLoop) flopsPerIter() int { return 2 * l.lanes * l.chains }

// best is the widest loop this CPU runs (nil if none, and then errNone says why).
var best, errNone = chooseLoop()

// pickX86 names the widest x86 unit with a loop, from the CPU's features,
// or says why there is none. AVX-512F alone suffices: its FMAs on zmm
// registers are AVX-512F instructions, not part of the FMA extension.
func pickX86(avx512f, avx2, fma bool) (string, error) {
	switch {
	case avx512f:
		return UnitAVX512, nil
	case avx2 && fma:
		return UnitAVX2, nil
	case avx2:
		return "", errors.New("fmapeak: the CPU has AVX2 but not FMA")
	default:
		return "", errors.New("fmapeak: the CPU has neither AVX-512F nor AVX2 with FMA")
	}
}

// Unit returns the vector unit the loop uses (UnitAVX512, UnitAVX2,
// UnitNEON), or "" when this CPU has none (see Err).
func Unit() string {
	if best == nil {
		return ""
	}
	return best.unit
}

// Err returns nil when this CPU has an FMA loop, else why not.
func Err() error { return errNone }

// Available reports whether Loop can run on this CPU.
func Available() bool { return best != nil }

// FlopsPerIter returns the floating-point operations of one iteration of
// Loop (2 × lanes × chains), or 0 when there is no loop.
func FlopsPerIter() int {
	if best == nil {
		return 0
	}
	return best.flopsPerIter()
}

// Describe returns one line naming the unit and the loop's shape, or why
// there is none.
func Describe() string {
	if best == nil {
		return fmt.Sprintf("none (%v)", errNone)
	}
	return fmt.Sprintf("%s: %d chains × %d float32 lanes, %d flop/iteration", best.unit, best.chains, best.lanes, best.flopsPerIter())
}

// Loop runs n iterations of the FMA loop. It panics when the CPU has no
// loop (see Available).
func Loop(n int) {
	if best == nil {
		panic(errNone)
	}
	var zero [16]float32 // accumulators stay 0: no growth, no denormals
	best.run(n, &zero)
}

// Rate runs the loop for about flops floating-point operations (at least
// one iteration) and returns the rate it ran at in GFLOP/s. It panics when
// the CPU has no loop (see Available).
func Rate(flops float64) float64 {
	if best == nil {
		panic(errNone)
	}
	n := max(1, int(flops/float64(best.flopsPerIter())))
	t0 := time.Now()
	Loop(n)
	return float64(n) * float64(best.flopsPerIter()) / time.Since(t0).Seconds() / 1e9
}
