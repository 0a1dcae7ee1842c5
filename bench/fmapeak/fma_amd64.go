package fmapeak

import "golang.org/x/sys/cpu"

var (
	loopAVX512 = fmaLoop{unit: UnitAVX512, lanes: 16, chains: 16, run: fmaLoopAVX512}
	loopAVX2   = fmaLoop{unit: UnitAVX2, lanes: 8, chains: 12, run: fmaLoopAVX2}
)

// chooseLoop picks the widest loop from x/sys/cpu's features (which include
// the OS's support for saving the wider registers).
func chooseLoop() (*fmaLoop, error) {
	unit, err := pickX86(cpu.X86.HasAVX512F, cpu.X86.HasAVX2, cpu.X86.HasFMA)
	switch unit {
	case UnitAVX512:
		return &loopAVX512, nil
	case UnitAVX2:
		return &loopAVX2, nil
	}
	return nil, err
}

// runnable returns every loop this CPU can run, widest first (for the tests).
func runnable() []*fmaLoop {
	var l []*fmaLoop
	if cpu.X86.HasAVX512F {
		l = append(l, &loopAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		l = append(l, &loopAVX2)
	}
	return l
}

// fmaLoopAVX512 is fmaLoop.run on zmm registers: 16 chains Z0..Z15 of 16 lanes.
//
//go:noescape
func fmaLoopAVX512(n int, v *[16]float32)

// fmaLoopAVX2 is fmaLoop.run on ymm registers: 12 chains Y0..Y11 of 8 lanes.
//
//go:noescape
func fmaLoopAVX2(n int, v *[16]float32)
