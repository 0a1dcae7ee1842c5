//go:build amd64 && !purego

#include "textflag.h"

// func axpy4AVX2(a *float32, w0, w1, w2, w3, y *float32, n int)
//
// y[j] = fma(a3, w3[j], fma(a2, w2[j], fma(a1, w1[j], fma(a0, w0[j], y[j]))))
// for j < n&^7: four Axpy steps in row order with y kept in registers, so the
// bits are those of four axpyAVX2 calls while y is loaded and stored once.
// 32 columns per iteration (four independent chains of four FMAs), then
// one vector at a time. Y0..Y3 hold the broadcast coefficients.
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), AX
	VBROADCASTSS 0(AX), Y0
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	VBROADCASTSS 12(AX), Y3
	MOVQ w0+8(FP), R8
	MOVQ w1+16(FP), R9
	MOVQ w2+24(FP), R10
	MOVQ w3+32(FP), R11
	MOVQ y+40(FP), DI
	MOVQ n+48(FP), CX
	XORQ SI, SI
	MOVQ CX, BX
	SHRQ $5, BX
	JEQ one

four:
	VMOVUPS (DI)(SI*1), Y4
	VMOVUPS 32(DI)(SI*1), Y5
	VMOVUPS 64(DI)(SI*1), Y6
	VMOVUPS 96(DI)(SI*1), Y7
	VFMADD231PS (R8)(SI*1), Y0, Y4
	VFMADD231PS 32(R8)(SI*1), Y0, Y5
	VFMADD231PS 64(R8)(SI*1), Y0, Y6
	VFMADD231PS 96(R8)(SI*1), Y0, Y7
	VFMADD231PS (R9)(SI*1), Y1, Y4
	VFMADD231PS 32(R9)(SI*1), Y1, Y5
	VFMADD231PS 64(R9)(SI*1), Y1, Y6
	VFMADD231PS 96(R9)(SI*1), Y1, Y7
	VFMADD231PS (R10)(SI*1), Y2, Y4
	VFMADD231PS 32(R10)(SI*1), Y2, Y5
	VFMADD231PS 64(R10)(SI*1), Y2, Y6
	VFMADD231PS 96(R10)(SI*1), Y2, Y7
	VFMADD231PS (R11)(SI*1), Y3, Y4
	VFMADD231PS 32(R11)(SI*1), Y3, Y5
	VFMADD231PS 64(R11)(SI*1), Y3, Y6
	VFMADD231PS 96(R11)(SI*1), Y3, Y7
	VMOVUPS Y4, (DI)(SI*1)
	VMOVUPS Y5, 32(DI)(SI*1)
	VMOVUPS Y6, 64(DI)(SI*1)
	VMOVUPS Y7, 96(DI)(SI*1)
	ADDQ $128, SI
	DECQ BX
	JNE four

one:
	ANDQ $31, CX
	SHRQ $3, CX
	JEQ done

oneloop:
	VMOVUPS (DI)(SI*1), Y4
	VFMADD231PS (R8)(SI*1), Y0, Y4
	VFMADD231PS (R9)(SI*1), Y1, Y4
	VFMADD231PS (R10)(SI*1), Y2, Y4
	VFMADD231PS (R11)(SI*1), Y3, Y4
	VMOVUPS Y4, (DI)(SI*1)
	ADDQ $32, SI
	DECQ CX
	JNE oneloop

done:
	VZEROUPPER
	RET
