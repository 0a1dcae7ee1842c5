//go:build linux

package tensor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// adviseHuge asks Linux to back the 2 MiB-aligned interior of s with
// transparent huge pages (MADV_HUGEPAGE). Where THP is in "madvise" mode, as
// on the project machine, Go's heap otherwise gets 4 KiB pages only, and a
// packed operand of several MiB then spans more pages than the TLB holds.
// The advice is a hint: it changes no data, and failures are ignored.
func adviseHuge(s []float32) {
	const huge = 2 << 20
	if !useHugePages || len(s)*4 < 2*huge {
		return
	}
	p := uintptr(unsafe.Pointer(&s[0]))
	off := (huge - p%huge) % huge
	n := (uintptr(len(s))*4 - off) &^ (huge - 1)
	if n == 0 {
		return
	}
	_ = unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&s[0]), off)), n), unix.MADV_HUGEPAGE)
}

func adviseHugeBytes(b []byte) {
	if len(b) > 0 {
		_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
	}
}
