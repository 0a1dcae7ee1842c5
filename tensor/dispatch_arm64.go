//go:build arm64 && !purego

package tensor

// On arm64 Advanced SIMD (NEON) is part of the base architecture (ARMv8-A
// makes it mandatory for the A64 instruction set), so the NEON kernels need
// no run-time feature check: every arm64 CPU Go runs on has the
// 32 128-bit V registers and FMLA they use.

func bestKernel() *kernelInfo { return genericKernel }

func bestVec() vecKernels { return genericVec }

// kernelsAvailable lists the kernels usable on this machine (for tests).
func kernelsAvailable() []*kernelInfo { return []*kernelInfo{genericKernel} }

// vecAvailable lists the vector kernels usable on this machine (for tests).
func vecAvailable() []namedVec { return []namedVec{{"generic", genericVec}} }
