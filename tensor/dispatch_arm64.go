//go:build arm64 && !purego

package tensor

// On arm64 Advanced SIMD (NEON) is part of the base architecture (ARMv8-A
// makes it mandatory for the A64 instruction set), so the NEON kernels need
// no run-time feature check: every arm64 CPU Go runs on has the 32 128-bit
// V registers and the FMLA they use.

// Assembly micro-kernels (sgemm_neon_arm64.s); see sgemmKernel for the
// contract.

//go:noescape
func sgemmKernelNEON(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// Edge variants of the NEON kernel: rows×cols sub-tiles of the 8×12 tile.

//go:noescape
func sgemmKernelNEON_4x4(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelNEON_4x8(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelNEON_8x4(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelNEON_4x12(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernelNEON_8x8(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func packBNNEON(dst, src *float32, ldb, kc, strips int)

// neonKernel: 8×12 tiles (sgemm_neon_arm64.s says why that shape). The
// blocking is chosen for the arm64 cores users run on, from their cache
// sizes (it could not be tuned here, under qemu): L1 data 64 KiB per core
// (Graviton 2 and 3, Neoverse N1/V1) or 128 KiB (Apple M1/M2 performance
// cores); L2 1 MiB per core (Graviton) to 12-16 MiB shared (Apple).
//   - kc = 256: the B micro-panel kc×12 (12 KiB, 24 KiB when kcFor doubles
//     kc for wide products) and the 8-row A strip being read (8/16 KiB) stay
//     in a 64 KiB L1 with room to spare.
//   - mc = 256 (a multiple of 8): the packed A block, 256 KiB (512 KiB at
//     doubled kc), takes at most half of a 1 MiB L2; it also keeps the
//     small preset's dW product (m = 256) in one row block.
//   - nc = 3072 = 256·12 (a multiple of nr): the packed B block, 3 MiB
//     (6 MiB), sits in the shared last level (Graviton 3: 32 MiB, Apple: the
//     L2), and n ≤ 3072 (all but the paper's 5400 and 10000) needs no
//     second column block, so A is packed once per k block.
var neonKernel = &kernelInfo{name: "neon", mr: 8, nr: 12, mc: 256, kc: 256, nc: 3072, kern: sgemmKernelNEON, vec: &neonVec, packBN: packBNNEON,
	edges: []edgeKernel{
		{4, 4, sgemmKernelNEON_4x4}, {4, 8, sgemmKernelNEON_4x8}, {8, 4, sgemmKernelNEON_8x4},
		{4, 12, sgemmKernelNEON_4x12}, {8, 8, sgemmKernelNEON_8x8},
	}}

func bestKernel() *kernelInfo { return neonKernel }

// kernelsAvailable lists the kernels usable on this machine (for tests).
func kernelsAvailable() []*kernelInfo { return []*kernelInfo{genericKernel, neonKernel} }
