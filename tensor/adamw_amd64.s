//go:build amd64 && !purego

#include "textflag.h"

// func adamwAVX512(xp, gp, mp, vp *float32, n, useM int, c *adamwConsts)
//
// 16 elements per iteration; the same operations in the same order as
// adamwGeneric (multiplies, adds and IEEE divisions and square roots, no
// FMA), so the results are bit-identical. c = lr, decay, β1, 1−β1, β2, 1−β2,
// ε, bc1, bc2.
TEXT ·adamwAVX512(SB), NOSPLIT, $0-56
	MOVQ xp+0(FP), DI
	MOVQ gp+8(FP), SI
	MOVQ mp+16(FP), R8
	MOVQ vp+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ useM+40(FP), R10
	MOVQ c+48(FP), AX
	VBROADCASTSS 0(AX), Z20  // lr
	VBROADCASTSS 4(AX), Z21  // decay
	VBROADCASTSS 8(AX), Z22  // β1
	VBROADCASTSS 12(AX), Z23 // 1−β1
	VBROADCASTSS 16(AX), Z24 // β2
	VBROADCASTSS 20(AX), Z25 // 1−β2
	VBROADCASTSS 24(AX), Z26 // ε
	VBROADCASTSS 28(AX), Z27 // bc1
	VBROADCASTSS 32(AX), Z28 // bc2
	XORQ BX, BX

loop:
	CMPQ CX, $16
	JLT  done
	VMOVUPS (SI)(BX*1), Z0 // g
	VMOVAPS Z0, Z1         // m_i = g without a first moment
	TESTQ   R10, R10
	JZ      second
	VMULPS  (R8)(BX*1), Z22, Z1 // β1·m
	VMULPS  Z0, Z23, Z2         // (1−β1)·g
	VADDPS  Z2, Z1, Z1          // m_i
	VMOVUPS Z1, (R8)(BX*1)

second:
	VMULPS  (R9)(BX*1), Z24, Z3 // β2·v
	VMULPS  Z0, Z25, Z4         // (1−β2)·g
	VMULPS  Z0, Z4, Z4          // ·g
	VADDPS  Z4, Z3, Z3          // v_i
	VMOVUPS Z3, (R9)(BX*1)
	VDIVPS  Z28, Z3, Z5         // v_i/bc2
	VSQRTPS Z5, Z5
	VADDPS  Z26, Z5, Z5         // + ε
	VDIVPS  Z27, Z1, Z6         // m_i/bc1
	VDIVPS  Z5, Z6, Z6          // q
	VMOVUPS (DI)(BX*1), Z7      // x
	VMULPS  Z7, Z21, Z8         // decay·x
	VADDPS  Z6, Z8, Z8          // + q
	VMULPS  Z8, Z20, Z8         // lr·(…)
	VSUBPS  Z8, Z7, Z7          // x − lr·(…)
	VMOVUPS Z7, (DI)(BX*1)
	ADDQ    $64, BX
	SUBQ    $16, CX
	JMP     loop

done:
	VZEROUPPER
	RET

// func adamwAVX2(xp, gp, mp, vp *float32, n, useM int, c *adamwConsts)
//
// adamwAVX512 with 8 elements per iteration in YMM registers (n a
// multiple of 8): the same operations in the same order as adamwGeneric,
// so the results are bit-identical.
TEXT ·adamwAVX2(SB), NOSPLIT, $0-56
	MOVQ xp+0(FP), DI
	MOVQ gp+8(FP), SI
	MOVQ mp+16(FP), R8
	MOVQ vp+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ useM+40(FP), R10
	MOVQ c+48(FP), AX
	VBROADCASTSS 0(AX), Y8   // lr
	VBROADCASTSS 4(AX), Y9   // decay
	VBROADCASTSS 8(AX), Y10  // β1
	VBROADCASTSS 12(AX), Y11 // 1−β1
	VBROADCASTSS 16(AX), Y12 // β2
	VBROADCASTSS 20(AX), Y13 // 1−β2
	VBROADCASTSS 24(AX), Y14 // ε
	VBROADCASTSS 28(AX), Y15 // bc1
	XORQ BX, BX

avx2loop:
	CMPQ CX, $8
	JLT  avx2done
	VMOVUPS (SI)(BX*1), Y0 // g
	VMOVAPS Y0, Y1         // m_i = g without a first moment
	TESTQ   R10, R10
	JZ      avx2second
	VMULPS  (R8)(BX*1), Y10, Y1 // β1·m
	VMULPS  Y0, Y11, Y2         // (1−β1)·g
	VADDPS  Y2, Y1, Y1          // m_i
	VMOVUPS Y1, (R8)(BX*1)

avx2second:
	VMULPS       (R9)(BX*1), Y12, Y3 // β2·v
	VMULPS       Y0, Y13, Y4         // (1−β2)·g
	VMULPS       Y0, Y4, Y4          // ·g
	VADDPS       Y4, Y3, Y3          // v_i
	VMOVUPS      Y3, (R9)(BX*1)
	VBROADCASTSS 32(AX), Y7          // bc2 (no register left to keep it)
	VDIVPS       Y7, Y3, Y5          // v_i/bc2
	VSQRTPS      Y5, Y5
	VADDPS       Y14, Y5, Y5         // + ε
	VDIVPS       Y15, Y1, Y6         // m_i/bc1
	VDIVPS       Y5, Y6, Y6          // q
	VMOVUPS      (DI)(BX*1), Y7      // x
	VMULPS       Y7, Y9, Y2          // decay·x
	VADDPS       Y6, Y2, Y2          // + q
	VMULPS       Y2, Y8, Y2          // lr·(…)
	VSUBPS       Y2, Y7, Y7          // x − lr·(…)
	VMOVUPS      Y7, (DI)(BX*1)
	ADDQ         $32, BX
	SUBQ         $8, CX
	JMP          avx2loop

avx2done:
	VZEROUPPER
	RET
