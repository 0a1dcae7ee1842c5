//go:build amd64 && !purego

#include "textflag.h"

// Fused LSTM cell backward (tensor.LSTMCellBackward) for n elements of one
// row, n a multiple of the vector width: the same float32 operations in the
// same order as lstmCellBackwardGeneric (no FMA), so the results are
// bit-identical. g and dg point at a row of 4h gates (i, f, g, o, each h
// wide); BX walks j·4 and DX, R8, R9 the same j in the f, g and o gates.

// func lstmCellBackwardAVX512(gates, dg, dout, dnext, dcell, tc, cprev *float32, h, n int)
TEXT ·lstmCellBackwardAVX512(SB), NOSPLIT, $0-72
	MOVQ gates+0(FP), SI
	MOVQ dg+8(FP), DI
	MOVQ dout+16(FP), R10
	MOVQ dnext+24(FP), R11
	MOVQ dcell+32(FP), R12
	MOVQ tc+40(FP), R13
	MOVQ cprev+48(FP), AX
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVQ h+56(FP), DX
	SHLQ $2, DX           // DX = f gate offset (4h bytes) + j
	LEAQ (DX)(DX*1), R8  // R8 = g gate offset (8h bytes) + j
	LEAQ (R8)(DX*1), R9  // R9 = o gate offset (12h bytes) + j
	XORQ BX, BX          // BX = j·4
	MOVQ n+64(FP), CX
loop:
	CMPQ CX, $16
	JLT done
	VMOVUPS (SI)(BX*1), Z0   // i
	VMOVUPS (SI)(DX*1), Z1   // f
	VMOVUPS (SI)(R8*1), Z2   // g
	VMOVUPS (SI)(R9*1), Z3   // o
	VMOVUPS (R10)(BX*1), Z4
	VADDPS (R11)(BX*1), Z4, Z4   // dh = dout + dnext
	VMOVUPS (R13)(BX*1), Z5        // tc
	VMULPS Z5, Z5, Z6
	VSUBPS Z6, Z31, Z6      // 1 − tc²
	VMULPS Z3, Z4, Z7          // dh·o
	VMULPS Z6, Z7, Z7
	VADDPS (R12)(BX*1), Z7, Z7   // dc = dcell + dh·o·(1 − tc²)
	VMULPS Z2, Z7, Z8
	VMULPS Z0, Z8, Z8
	VSUBPS Z0, Z31, Z9
	VMULPS Z9, Z8, Z8
	VMOVUPS Z8, (DI)(BX*1)       // di = dc·g·i·(1 − i)
	VMULPS (AX)(BX*1), Z7, Z8
	VMULPS Z1, Z8, Z8
	VSUBPS Z1, Z31, Z9
	VMULPS Z9, Z8, Z8
	VMOVUPS Z8, (DI)(DX*1)       // df = dc·c₋·f·(1 − f)
	VMULPS Z0, Z7, Z8
	VMULPS Z2, Z2, Z9
	VSUBPS Z9, Z31, Z9
	VMULPS Z9, Z8, Z8
	VMOVUPS Z8, (DI)(R8*1)       // dg = dc·i·(1 − g²)
	VMULPS Z5, Z4, Z8
	VMULPS Z3, Z8, Z8
	VSUBPS Z3, Z31, Z9
	VMULPS Z9, Z8, Z8
	VMOVUPS Z8, (DI)(R9*1)       // do = dh·tc·o·(1 − o)
	VMULPS Z1, Z7, Z8
	VMOVUPS Z8, (R12)(BX*1)      // dcell = dc·f
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func lstmCellBackwardAVX2(gates, dg, dout, dnext, dcell, tc, cprev *float32, h, n int)
TEXT ·lstmCellBackwardAVX2(SB), NOSPLIT, $0-72
	MOVQ gates+0(FP), SI
	MOVQ dg+8(FP), DI
	MOVQ dout+16(FP), R10
	MOVQ dnext+24(FP), R11
	MOVQ dcell+32(FP), R12
	MOVQ tc+40(FP), R13
	MOVQ cprev+48(FP), AX
	MOVL $0x3f800000, CX
	VMOVD CX, X15
	VBROADCASTSS X15, Y15
	MOVQ h+56(FP), DX
	SHLQ $2, DX           // DX = f gate offset (4h bytes) + j
	LEAQ (DX)(DX*1), R8  // R8 = g gate offset (8h bytes) + j
	LEAQ (R8)(DX*1), R9  // R9 = o gate offset (12h bytes) + j
	XORQ BX, BX          // BX = j·4
	MOVQ n+64(FP), CX
loop:
	CMPQ CX, $8
	JLT done
	VMOVUPS (SI)(BX*1), Y0   // i
	VMOVUPS (SI)(DX*1), Y1   // f
	VMOVUPS (SI)(R8*1), Y2   // g
	VMOVUPS (SI)(R9*1), Y3   // o
	VMOVUPS (R10)(BX*1), Y4
	VADDPS (R11)(BX*1), Y4, Y4   // dh = dout + dnext
	VMOVUPS (R13)(BX*1), Y5        // tc
	VMULPS Y5, Y5, Y6
	VSUBPS Y6, Y15, Y6      // 1 − tc²
	VMULPS Y3, Y4, Y7          // dh·o
	VMULPS Y6, Y7, Y7
	VADDPS (R12)(BX*1), Y7, Y7   // dc = dcell + dh·o·(1 − tc²)
	VMULPS Y2, Y7, Y8
	VMULPS Y0, Y8, Y8
	VSUBPS Y0, Y15, Y9
	VMULPS Y9, Y8, Y8
	VMOVUPS Y8, (DI)(BX*1)       // di = dc·g·i·(1 − i)
	VMULPS (AX)(BX*1), Y7, Y8
	VMULPS Y1, Y8, Y8
	VSUBPS Y1, Y15, Y9
	VMULPS Y9, Y8, Y8
	VMOVUPS Y8, (DI)(DX*1)       // df = dc·c₋·f·(1 − f)
	VMULPS Y0, Y7, Y8
	VMULPS Y2, Y2, Y9
	VSUBPS Y9, Y15, Y9
	VMULPS Y9, Y8, Y8
	VMOVUPS Y8, (DI)(R8*1)       // dg = dc·i·(1 − g²)
	VMULPS Y5, Y4, Y8
	VMULPS Y3, Y8, Y8
	VSUBPS Y3, Y15, Y9
	VMULPS Y9, Y8, Y8
	VMOVUPS Y8, (DI)(R9*1)       // do = dh·tc·o·(1 − o)
	VMULPS Y1, Y7, Y8
	VMOVUPS Y8, (R12)(BX*1)      // dcell = dc·f
	ADDQ $32, BX
	ADDQ $32, DX
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP loop
done:
	VZEROUPPER
	RET
