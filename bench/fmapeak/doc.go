// Package fmapeak measures the fp32 fused-multiply-add peak of one core, the
// ceiling against which sparselm's GEMM efficiency is reported (bench/compare.sh).
//
// The kernel is a register-only loop of independent AVX-512 FMAs: 16
// accumulators (more than FMA latency × FMA ports on current Intel and AMD
// cores), no loads, so it runs at the issue rate of the FMA units and the
// result is 2 flops × 16 lanes × FMAs per second.
package fmapeak
