//go:build amd64 && !purego

#include "textflag.h"

// Fused parts of the EGRU cell forward (tensor.EGRUCellForward) for n
// elements of one row, n a multiple of the vector width: the same float32
// operations in the same order as the Go loops of egruCellForwardGeneric
// (no FMA), so the results are bit-identical. Pass 1 forms R_z·y₋ + b_rz and
// adds r·(it) to the z pre-activation; pass 2, after tanh, the state, the
// events and the outputs.

// func egruCellForward1AVX512(rcz, brz, r, zr, z *float32, n int)
TEXT ·egruCellForward1AVX512(SB), NOSPLIT, $0-48
	MOVQ rcz+0(FP), SI
	MOVQ brz+8(FP), DI
	MOVQ r+16(FP), R8
	MOVQ zr+24(FP), R9
	MOVQ z+32(FP), R10
	MOVQ n+40(FP), CX
	XORQ BX, BX
loop:
	CMPQ CX, $16
	JLT done
	VMOVUPS (SI)(BX*1), Z0
	VADDPS (DI)(BX*1), Z0, Z0   // zr = R_z·y₋ + b_rz
	VMOVUPS Z0, (R9)(BX*1)
	VMULPS (R8)(BX*1), Z0, Z1   // r·zr
	VADDPS (R10)(BX*1), Z1, Z1   // z + r·zr
	VMOVUPS Z1, (R10)(BX*1)
	ADDQ $64, BX
	SUBQ $16, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func egruCellForward2AVX512(gates, cprev, theta, chat, o, y, c *float32, h, n int)
TEXT ·egruCellForward2AVX512(SB), NOSPLIT, $0-72
	MOVQ gates+0(FP), SI
	MOVQ cprev+8(FP), R8
	MOVQ theta+16(FP), R9
	MOVQ chat+24(FP), R10
	MOVQ o+32(FP), R11
	MOVQ y+40(FP), R12
	MOVQ c+48(FP), R13
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	VXORPS Z30, Z30, Z30
	MOVQ h+56(FP), DX
	SHLQ $3, DX          // DX = z gate offset (8h bytes) + j·4
	MOVQ n+64(FP), CX
	XORQ BX, BX
loop:
	CMPQ CX, $16
	JLT done
	VMOVUPS (SI)(BX*1), Z0   // u
	VMOVUPS (SI)(DX*1), Z1   // z
	VMULPS (R8)(BX*1), Z0, Z2   // u·c₋
	VSUBPS Z0, Z31, Z3
	VMULPS Z1, Z3, Z3   // (1 − u)·z
	VADDPS Z3, Z2, Z2   // ĉ
	VMOVUPS Z2, (R10)(BX*1)
	VMOVUPS (R9)(BX*1), Z4   // ϑ
	VSUBPS Z4, Z2, Z5   // ĉ − ϑ
	VCMPPS $0x1e, Z30, Z5, K1   // ĉ − ϑ > 0 (false for NaN, as in Go)
	VMOVAPS.Z Z31, K1, Z6   // o: 1 or +0
	VMOVUPS Z6, (R11)(BX*1)
	VMULPS Z2, Z6, Z7
	VMOVUPS Z7, (R12)(BX*1)   // y = o·ĉ
	VMULPS Z4, Z6, Z7
	VSUBPS Z7, Z2, Z7
	VMOVUPS Z7, (R13)(BX*1)   // c = ĉ − o·ϑ
	ADDQ $64, BX
	ADDQ $64, DX
	SUBQ $16, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func egruCellForward1AVX2(rcz, brz, r, zr, z *float32, n int)
TEXT ·egruCellForward1AVX2(SB), NOSPLIT, $0-48
	MOVQ rcz+0(FP), SI
	MOVQ brz+8(FP), DI
	MOVQ r+16(FP), R8
	MOVQ zr+24(FP), R9
	MOVQ z+32(FP), R10
	MOVQ n+40(FP), CX
	XORQ BX, BX
loop:
	CMPQ CX, $8
	JLT done
	VMOVUPS (SI)(BX*1), Y0
	VADDPS (DI)(BX*1), Y0, Y0   // zr = R_z·y₋ + b_rz
	VMOVUPS Y0, (R9)(BX*1)
	VMULPS (R8)(BX*1), Y0, Y1   // r·zr
	VADDPS (R10)(BX*1), Y1, Y1   // z + r·zr
	VMOVUPS Y1, (R10)(BX*1)
	ADDQ $32, BX
	SUBQ $8, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func egruCellForward2AVX2(gates, cprev, theta, chat, o, y, c *float32, h, n int)
TEXT ·egruCellForward2AVX2(SB), NOSPLIT, $0-72
	MOVQ gates+0(FP), SI
	MOVQ cprev+8(FP), R8
	MOVQ theta+16(FP), R9
	MOVQ chat+24(FP), R10
	MOVQ o+32(FP), R11
	MOVQ y+40(FP), R12
	MOVQ c+48(FP), R13
	MOVL $0x3f800000, CX
	VMOVD CX, X15
	VBROADCASTSS X15, Y15
	VXORPS Y14, Y14, Y14
	MOVQ h+56(FP), DX
	SHLQ $3, DX          // DX = z gate offset (8h bytes) + j·4
	MOVQ n+64(FP), CX
	XORQ BX, BX
loop:
	CMPQ CX, $8
	JLT done
	VMOVUPS (SI)(BX*1), Y0   // u
	VMOVUPS (SI)(DX*1), Y1   // z
	VMULPS (R8)(BX*1), Y0, Y2   // u·c₋
	VSUBPS Y0, Y15, Y3
	VMULPS Y1, Y3, Y3   // (1 − u)·z
	VADDPS Y3, Y2, Y2   // ĉ
	VMOVUPS Y2, (R10)(BX*1)
	VMOVUPS (R9)(BX*1), Y4   // ϑ
	VSUBPS Y4, Y2, Y5   // ĉ − ϑ
	VCMPPS $0x1e, Y14, Y5, Y6   // ĉ − ϑ > 0 (false for NaN, as in Go)
	VANDPS Y15, Y6, Y6   // o: 1 or +0
	VMOVUPS Y6, (R11)(BX*1)
	VMULPS Y2, Y6, Y7
	VMOVUPS Y7, (R12)(BX*1)   // y = o·ĉ
	VMULPS Y4, Y6, Y7
	VSUBPS Y7, Y2, Y7
	VMOVUPS Y7, (R13)(BX*1)   // c = ĉ − o·ϑ
	ADDQ $32, BX
	ADDQ $32, DX
	SUBQ $8, CX
	JMP loop
done:
	VZEROUPPER
	RET
