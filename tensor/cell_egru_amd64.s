//go:build amd64 && !purego

#include "textflag.h"

// Fused EGRU cell backward (tensor.EGRUCellBackward) for n elements of one
// row, n a multiple of the vector width, in two passes: the first computes
// dĉ (stored in dp's u slot) and the threshold term, the second the gate
// gradients from dĉ. The same float32 operations in the same order as
// egruCellBackwardGeneric (no FMA), so the results are bit-identical.
// c = activity gradient, γ, β, 1, 0x7fffffff (see egruConsts).

// func egruCellBackward1AVX512(dy, dnext, dcell, chat, theta, o, dchat, dth *float32, n int, c *egruConsts)
TEXT ·egruCellBackward1AVX512(SB), NOSPLIT, $0-80
	MOVQ dy+0(FP), SI
	MOVQ dnext+8(FP), DI
	MOVQ dcell+16(FP), R8
	MOVQ chat+24(FP), R9
	MOVQ theta+32(FP), R10
	MOVQ o+40(FP), R11
	MOVQ dchat+48(FP), R12
	MOVQ dth+56(FP), R13
	MOVQ n+64(FP), CX
	MOVQ c+72(FP), AX
	VBROADCASTSS 0(AX), Z20  // activity gradient
	VBROADCASTSS 4(AX), Z21  // γ
	VBROADCASTSS 8(AX), Z22  // β
	VBROADCASTSS 12(AX), Z31 // 1
	VBROADCASTSS 16(AX), Z30 // 0x7fffffff
	VXORPS Z29, Z29, Z29
	XORQ BX, BX
loop:
	CMPQ CX, $16
	JLT done
	VMOVUPS (SI)(BX*1), Z0
	VADDPS (DI)(BX*1), Z0, Z0   // dy + dnext
	VMOVUPS (R8)(BX*1), Z1   // dc
	VMOVUPS (R9)(BX*1), Z2   // ĉ
	VMOVUPS (R10)(BX*1), Z3  // ϑ
	VMOVUPS (R11)(BX*1), Z4  // o
	VMULPS Z2, Z0, Z5
	VMULPS Z3, Z1, Z6
	VSUBPS Z6, Z5, Z5
	VADDPS Z20, Z5, Z5   // do = dy·ĉ − dc·ϑ + a
	VSUBPS Z3, Z2, Z7   // s = ĉ − ϑ
	VPANDD Z30, Z7, Z7   // |s|
	VMULPS Z7, Z22, Z7
	VSUBPS Z7, Z31, Z7   // v = 1 − β|s|
	VCMPPS $0x06, Z29, Z7, K1  // !(v ≤ 0), true for NaN as in Go
	VMULPS.Z Z7, Z21, K1, Z8  // ψ = γ·v, or +0
	VMULPS Z8, Z5, Z9   // ds = do·ψ
	VMULPS Z4, Z0, Z6
	VADDPS Z1, Z6, Z6
	VADDPS Z9, Z6, Z6
	VMOVUPS Z6, (R12)(BX*1)  // dĉ = dy·o + dc + ds
	VMULPS Z4, Z1, Z7
	VADDPS Z7, Z9, Z7
	VMOVUPS Z7, (R13)(BX*1)  // dϑ term = ds + dc·o
	ADDQ $64, BX
	SUBQ $16, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func egruCellBackward2AVX512(gates, dp, dr, cprev, zr, dcell *float32, h, n int, c *egruConsts)
TEXT ·egruCellBackward2AVX512(SB), NOSPLIT, $0-72
	MOVQ gates+0(FP), SI
	MOVQ dp+8(FP), DI
	MOVQ dr+16(FP), R9
	MOVQ cprev+24(FP), R11
	MOVQ zr+32(FP), R12
	MOVQ dcell+40(FP), R13
	MOVQ n+56(FP), CX
	MOVQ c+64(FP), AX
	VBROADCASTSS 12(AX), Z31 // 1
	MOVQ h+48(FP), DX
	SHLQ $2, DX          // DX = r gate offset + j·4
	LEAQ (DX)(DX*1), R8 // R8 = z gate offset + j·4
	XORQ BX, BX
loop:
	CMPQ CX, $16
	JLT done
	VMOVUPS (DI)(BX*1), Z0   // dĉ (left in dp's u slot by the first pass)
	VMOVUPS (SI)(BX*1), Z1   // u
	VMOVUPS (SI)(DX*1), Z2   // r
	VMOVUPS (SI)(R8*1), Z3   // z
	VMOVUPS (R11)(BX*1), Z4
	VSUBPS Z3, Z4, Z4
	VMULPS Z4, Z0, Z4   // du = dĉ·(c₋ − z)
	VSUBPS Z1, Z31, Z5
	VMULPS Z5, Z0, Z5   // dz = dĉ·(1 − u)
	VMULPS Z1, Z0, Z6
	VMOVUPS Z6, (R13)(BX*1)  // dcell = dĉ·u
	VMULPS Z3, Z3, Z7
	VSUBPS Z7, Z31, Z7
	VMULPS Z7, Z5, Z7   // daz = dz·(1 − z²)
	VMULPS Z1, Z4, Z8
	VSUBPS Z1, Z31, Z9
	VMULPS Z9, Z8, Z8   // dau = du·u·(1 − u)
	VMULPS (R12)(BX*1), Z7, Z10
	VMULPS Z2, Z10, Z10
	VSUBPS Z2, Z31, Z11
	VMULPS Z11, Z10, Z10   // dar = daz·zr·r·(1 − r)
	VMULPS Z2, Z7, Z12   // dzr = daz·r
	VMOVUPS Z8, (DI)(BX*1)
	VMOVUPS Z10, (DI)(DX*1)
	VMOVUPS Z7, (DI)(R8*1)
	VMOVUPS Z8, (R9)(BX*1)
	VMOVUPS Z10, (R9)(DX*1)
	VMOVUPS Z12, (R9)(R8*1)
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, R8
	SUBQ $16, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func egruCellBackward1AVX2(dy, dnext, dcell, chat, theta, o, dchat, dth *float32, n int, c *egruConsts)
TEXT ·egruCellBackward1AVX2(SB), NOSPLIT, $0-80
	MOVQ dy+0(FP), SI
	MOVQ dnext+8(FP), DI
	MOVQ dcell+16(FP), R8
	MOVQ chat+24(FP), R9
	MOVQ theta+32(FP), R10
	MOVQ o+40(FP), R11
	MOVQ dchat+48(FP), R12
	MOVQ dth+56(FP), R13
	MOVQ n+64(FP), CX
	MOVQ c+72(FP), AX
	VBROADCASTSS 0(AX), Y10  // activity gradient
	VBROADCASTSS 4(AX), Y11  // γ
	VBROADCASTSS 8(AX), Y12  // β
	VBROADCASTSS 12(AX), Y15 // 1
	VBROADCASTSS 16(AX), Y14 // 0x7fffffff
	VXORPS Y13, Y13, Y13
	XORQ BX, BX
loop:
	CMPQ CX, $8
	JLT done
	VMOVUPS (SI)(BX*1), Y0
	VADDPS (DI)(BX*1), Y0, Y0   // dy + dnext
	VMOVUPS (R8)(BX*1), Y1   // dc
	VMOVUPS (R9)(BX*1), Y2   // ĉ
	VMOVUPS (R10)(BX*1), Y3  // ϑ
	VMOVUPS (R11)(BX*1), Y4  // o
	VMULPS Y2, Y0, Y5
	VMULPS Y3, Y1, Y6
	VSUBPS Y6, Y5, Y5
	VADDPS Y10, Y5, Y5   // do = dy·ĉ − dc·ϑ + a
	VSUBPS Y3, Y2, Y7   // s = ĉ − ϑ
	VANDPS Y14, Y7, Y7   // |s|
	VMULPS Y7, Y12, Y7
	VSUBPS Y7, Y15, Y7   // v = 1 − β|s|
	VCMPPS $0x06, Y13, Y7, Y9  // !(v ≤ 0), true for NaN as in Go
	VMULPS Y7, Y11, Y8
	VANDPS Y9, Y8, Y8   // ψ = γ·v, or +0
	VMULPS Y8, Y5, Y9   // ds = do·ψ
	VMULPS Y4, Y0, Y6
	VADDPS Y1, Y6, Y6
	VADDPS Y9, Y6, Y6
	VMOVUPS Y6, (R12)(BX*1)  // dĉ = dy·o + dc + ds
	VMULPS Y4, Y1, Y7
	VADDPS Y7, Y9, Y7
	VMOVUPS Y7, (R13)(BX*1)  // dϑ term = ds + dc·o
	ADDQ $32, BX
	SUBQ $8, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func egruCellBackward2AVX2(gates, dp, dr, cprev, zr, dcell *float32, h, n int, c *egruConsts)
TEXT ·egruCellBackward2AVX2(SB), NOSPLIT, $0-72
	MOVQ gates+0(FP), SI
	MOVQ dp+8(FP), DI
	MOVQ dr+16(FP), R9
	MOVQ cprev+24(FP), R11
	MOVQ zr+32(FP), R12
	MOVQ dcell+40(FP), R13
	MOVQ n+56(FP), CX
	MOVQ c+64(FP), AX
	VBROADCASTSS 12(AX), Y15 // 1
	MOVQ h+48(FP), DX
	SHLQ $2, DX          // DX = r gate offset + j·4
	LEAQ (DX)(DX*1), R8 // R8 = z gate offset + j·4
	XORQ BX, BX
loop:
	CMPQ CX, $8
	JLT done
	VMOVUPS (DI)(BX*1), Y0   // dĉ (left in dp's u slot by the first pass)
	VMOVUPS (SI)(BX*1), Y1   // u
	VMOVUPS (SI)(DX*1), Y2   // r
	VMOVUPS (SI)(R8*1), Y3   // z
	VMOVUPS (R11)(BX*1), Y4
	VSUBPS Y3, Y4, Y4
	VMULPS Y4, Y0, Y4   // du = dĉ·(c₋ − z)
	VSUBPS Y1, Y15, Y5
	VMULPS Y5, Y0, Y5   // dz = dĉ·(1 − u)
	VMULPS Y1, Y0, Y6
	VMOVUPS Y6, (R13)(BX*1)  // dcell = dĉ·u
	VMULPS Y3, Y3, Y7
	VSUBPS Y7, Y15, Y7
	VMULPS Y7, Y5, Y7   // daz = dz·(1 − z²)
	VMULPS Y1, Y4, Y8
	VSUBPS Y1, Y15, Y9
	VMULPS Y9, Y8, Y8   // dau = du·u·(1 − u)
	VMULPS (R12)(BX*1), Y7, Y10
	VMULPS Y2, Y10, Y10
	VSUBPS Y2, Y15, Y11
	VMULPS Y11, Y10, Y10   // dar = daz·zr·r·(1 − r)
	VMULPS Y2, Y7, Y12   // dzr = daz·r
	VMOVUPS Y8, (DI)(BX*1)
	VMOVUPS Y10, (DI)(DX*1)
	VMOVUPS Y7, (DI)(R8*1)
	VMOVUPS Y8, (R9)(BX*1)
	VMOVUPS Y10, (R9)(DX*1)
	VMOVUPS Y12, (R9)(R8*1)
	ADDQ $32, BX
	ADDQ $32, DX
	ADDQ $32, R8
	SUBQ $8, CX
	JMP loop
done:
	VZEROUPPER
	RET
