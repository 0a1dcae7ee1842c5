//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

// Assembly micro-kernels; see sgemmKernel for the contract.

//go:noescape
func sgemmKernelAVX512(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelAVX2(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

var (
	// avx512Kernel: 12×32 tiles. kc=256 keeps the 256×32 B micro-panel
	// (32 KiB) in the 48 KiB L1; mc×kc of packed A (96 KiB..) stays in L2.
	avx512Kernel = &kernelInfo{name: "avx512", mr: 12, nr: 32, mc: 192, kc: 256, nc: 4096, kern: sgemmKernelAVX512, vec: &avx512Vec}
	// avx2Kernel: 6×16 tiles, B micro-panel 256×16 (16 KiB) in L1.
	avx2Kernel = &kernelInfo{name: "avx2", mr: 6, nr: 16, mc: 192, kc: 256, nc: 4096, kern: sgemmKernelAVX2, vec: &avx2Vec}
)

func hasAVX512() bool { return cpu.X86.HasAVX512F && cpu.X86.HasFMA }
func hasAVX2() bool   { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func bestKernel() *kernelInfo {
	switch {
	case hasAVX512():
		return avx512Kernel
	case hasAVX2():
		return avx2Kernel
	}
	return genericKernel
}

// kernelsAvailable lists the kernels usable on this machine (for tests).
func kernelsAvailable() []*kernelInfo {
	ks := []*kernelInfo{genericKernel}
	if hasAVX2() {
		ks = append(ks, avx2Kernel)
	}
	if hasAVX512() {
		ks = append(ks, avx512Kernel)
	}
	return ks
}
