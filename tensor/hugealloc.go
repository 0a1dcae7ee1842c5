package tensor

import "unsafe"

// hugePage is the size of a transparent huge page on x86-64 and arm64 Linux.
const hugePage = 2 << 20

// hugeBytes returns n zeroed bytes starting on a huge-page boundary, their
// pages advised into transparent huge pages before anything touches them.
func hugeBytes(n int) unsafe.Pointer {
	b := make([]byte, (n+hugePage-1)/hugePage*hugePage+hugePage)
	p := unsafe.Pointer(&b[0])
	off := (hugePage - uintptr(p)%hugePage) % hugePage
	q := unsafe.Add(p, off)
	adviseHugeBytes(unsafe.Slice((*byte)(q), (n+hugePage-1)/hugePage*hugePage))
	return q
}

// MakeHuge returns a zeroed slice of n float32, backed by transparent huge
// pages where the system allows it and n is large enough to profit (a
// quarter of a 2 MiB page or more): for weights read every step, whose
// matrices of several MiB otherwise span more 4 KiB pages than the TLB
// holds. It is make([]float32, n) otherwise.
func MakeHuge(n int) []float32 { return makeHugeFloats(n, n) }

// makeHugeFloats returns make([]float32, n, c) for c > n, backed by huge pages
// when c floats are at least a quarter of one.
func makeHugeFloats(n, c int) []float32 {
	if !useHugePages || 4*c < hugePage/4 {
		return make([]float32, n, c)
	}
	return unsafe.Slice((*float32)(hugeBytes(4*c)), c)[:n]
}

func makeHugeUint16(n, c int) []uint16 {
	if !useHugePages || 2*c < hugePage/4 {
		return make([]uint16, n, c)
	}
	return unsafe.Slice((*uint16)(hugeBytes(2*c)), c)[:n]
}
