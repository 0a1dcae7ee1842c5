//go:build amd64 && !purego

#include "textflag.h"

// BlockRows kernel (see blockRowsAVX2 in sparse_amd64.go). Per row: skip it
// if x[i] is ±0 (integer test of the bits without the sign, so a NaN is
// active), else broadcast x[i] into Y0 and add x[i]·block onto the 8
// columns of y each block names, four blocks per iteration: the blocks of
// one row name distinct columns, so the four load-FMA-store chains are
// independent.
//
// Registers: SI x, CX rows left, R8 rowStart, R9 blocks, R10 vals, DX y;
// per row DI walks the block indices, R11 the values, BX the blocks left.

// func blockRowsAVX2(x *float32, k int, rowStart *int32, blocks *uint16, vals *float32, y *float32)
TEXT ·blockRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ k+8(FP), CX
	MOVQ rowStart+16(FP), R8
	MOVQ blocks+24(FP), R9
	MOVQ vals+32(FP), R10
	MOVQ y+40(FP), DX
	TESTQ CX, CX
	JEQ done

row:
	MOVL (SI), AX
	ANDL $0x7fffffff, AX
	JEQ next
	VBROADCASTSS (SI), Y0
	MOVLQSX (R8), AX        // first block of the row
	MOVLQSX 4(R8), BX
	SUBQ AX, BX             // BX = blocks in the row
	JEQ next
	LEAQ (R9)(AX*2), DI
	SHLQ $5, AX
	LEAQ (R10)(AX*1), R11   // R11 = vals + 32·first
	CMPQ BX, $4
	JLT one

four:
	MOVWQZX (DI), AX
	MOVWQZX 2(DI), R12
	MOVWQZX 4(DI), R13
	MOVWQZX 6(DI), R14
	SHLQ $5, AX
	SHLQ $5, R12
	SHLQ $5, R13
	SHLQ $5, R14
	VMOVUPS (R11), Y1
	VMOVUPS 32(R11), Y2
	VMOVUPS 64(R11), Y3
	VMOVUPS 96(R11), Y4
	VFMADD213PS (DX)(AX*1), Y0, Y1
	VFMADD213PS (DX)(R12*1), Y0, Y2
	VFMADD213PS (DX)(R13*1), Y0, Y3
	VFMADD213PS (DX)(R14*1), Y0, Y4
	VMOVUPS Y1, (DX)(AX*1)
	VMOVUPS Y2, (DX)(R12*1)
	VMOVUPS Y3, (DX)(R13*1)
	VMOVUPS Y4, (DX)(R14*1)
	ADDQ $8, DI
	ADDQ $128, R11
	SUBQ $4, BX
	CMPQ BX, $4
	JGE four
	TESTQ BX, BX
	JEQ next

one:
	MOVWQZX (DI), AX
	SHLQ $5, AX
	VMOVUPS (R11), Y1
	VFMADD213PS (DX)(AX*1), Y0, Y1
	VMOVUPS Y1, (DX)(AX*1)
	ADDQ $2, DI
	ADDQ $32, R11
	DECQ BX
	JNE one

next:
	ADDQ $4, SI
	ADDQ $4, R8
	DECQ CX
	JNE row

done:
	VZEROUPPER
	RET
