//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

// Assembly micro-kernels; see sgemmKernel for the contract.

//go:noescape
func sgemmKernelAVX512(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// Edge variants of the AVX-512 kernel: rows×cols sub-tiles of the 12×32 tile.

//go:noescape
func sgemmKernelAVX512_4x16(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelAVX512_4x32(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelAVX512_8x16(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelAVX512_8x32(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelAVX512_12x16(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelAVX2(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func packBNAVX512(dst, src *float32, ldb, kc, strips int)

//go:noescape
func packBNAVX2(dst, src *float32, ldb, kc, strips int)

//go:noescape
func packAT12AVX2(dst, src *float32, lds, kc, strips, stride int)

//go:noescape
func transpose12x16AVX512(dst *float32, src *float32, lds int)

//go:noescape
func transpose16AVX512(dst *float32, ldd int, src *float32, lds int)

//go:noescape
func transpose16AVX2(dst *float32, ldd int, src *float32, lds int)

//go:noescape
func transpose6x16AVX2(dst *float32, src *float32, lds int)

//go:noescape
func packAT6AVX2(dst, src *float32, lds, kc, strips, stride int)

var (
	// avx512Kernel: 12×32 tiles. kc=256 keeps the 256×32 B micro-panel
	// (32 KiB) in the 48 KiB L1; mc×kc of packed A (384 KiB) stays in the
	// 2 MiB L2. mc=384 rather than 192: paired runs (alternating, median
	// ratio of 15) gave dEmb TN 10000×256×512 +11%, 10000×750×512 +5%, the
	// other training shapes within ±2.5%; kc=192 and nc=4096 were no better.
	avx512Kernel = &kernelInfo{name: "avx512", mr: 12, nr: 32, mc: 384, kc: 256, nc: 2048, kern: sgemmKernelAVX512, vec: &avx512Vec, packBN: packBNAVX512, transpose16: transpose16AVX512, packA16: transpose12x16AVX512, packAT: packAT12AVX2,
		edges: []edgeKernel{
			{4, 16, sgemmKernelAVX512_4x16}, {4, 32, sgemmKernelAVX512_4x32},
			{8, 16, sgemmKernelAVX512_8x16}, {8, 32, sgemmKernelAVX512_8x32},
			{12, 16, sgemmKernelAVX512_12x16},
		}}
	// avx2Kernel: 6×16 tiles, B micro-panel 256×16 (16 KiB) in L1.
	avx2Kernel = &kernelInfo{name: "avx2", mr: 6, nr: 16, mc: 192, kc: 256, nc: 2048, kern: sgemmKernelAVX2, vec: &avx2Vec, packBN: packBNAVX2,
		transpose16: transpose16AVX2, packA16: transpose6x16AVX2, packAT: packAT6AVX2}
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
