// Package fmapeak measures the fp32 fused-multiply-add peak of one core, the
// ceiling against which sparselm's GEMM efficiency is reported
// (bench/compare.sh, tensor's BenchmarkGemmOfPeak).
//
// The kernel is a register-only loop of independent FMAs on the widest
// vector unit the CPU has, chosen at run time:
//
//	unit       where                           lanes  chains  flop/iteration
//	AVX-512    amd64 with AVX-512F             16     16      512
//	AVX2+FMA   amd64 with AVX2 and FMA         8      12      192
//	NEON       arm64 (ASIMD is architectural)  4      24      192
//
// The chains outnumber FMA latency × FMA ports on current cores (Intel and
// AMD x86: 4 cycles × 2 ports = 8; Apple M1 and Neoverse V1/V2: 4 × 4 = 16),
// and there are no loads, so the loop runs at the issue rate of the FMA
// units and GFLOP/s = 2 × lanes × chains × iterations per second. A CPU
// without any of these units (x86 without FMA, other GOARCHes) has no loop:
// Err says why, and Loop panics.
package fmapeak
