//go:build amd64 && !purego

#include "textflag.h"

// GATHER4 adds four lanes' entries of one interleaved step: the row
// indices at ioff(DI), read with one 64-bit load into R15 and taken apart
// by shifts, select x values into the temporaries A..D, and lane L gets
// L = fma(x[i], vals[voff+4·t], L). The four chains are in different
// registers and independent.
#define GATHER4(ioff, voff, A, B, C, D, L0, L1, L2, L3) \
	MOVQ ioff(DI), R15; \
	MOVWQZX R15, AX; \
	SHRQ $16, R15; \
	MOVWQZX R15, R13; \
	SHRQ $16, R15; \
	MOVWQZX R15, R14; \
	SHRQ $16, R15; \
	VMOVSS (SI)(AX*4), A; \
	VMOVSS (SI)(R13*4), B; \
	VMOVSS (SI)(R14*4), C; \
	VMOVSS (SI)(R15*4), D; \
	VFMADD231SS voff(R11), A, L0; \
	VFMADD231SS (voff+4)(R11), B, L1; \
	VFMADD231SS (voff+8)(R11), C, L2; \
	VFMADD231SS (voff+12)(R11), D, L3

#define LOADLANE(off, L) \
	MOVLQSX off(R8), AX; \
	VMOVSS (DX)(AX*4), L

#define STORELANE(off, L) \
	MOVLQSX off(R8), AX; \
	VMOVSS L, (DX)(AX*4)

// Column kernel (see gatherColsAVX2 in gather_amd64.go and colGather in
// gather.go). Per group of eight output columns: the eight sums y[perm[l]]
// in X0..X7, the interleaved steps (eight entries each) added with one
// scalar FMA per entry, the sums stored back, then each lane's remaining
// entries one at a time onto y[perm[l]] in memory.
//
// Registers: SI x, CX groups left, R8 perm, R9 extra, R10 common, DI the
// row indices, R11 the values (both walk the entries of every group in
// order), DX y; BX entries left, R12 lane offset, AX, R13-R15 scratch.

// func gatherColsAVX2(x *float32, groups int, perm *int32, common *int32, extra *int32, idx *uint16, vals *float32, y *float32)
TEXT ·gatherColsAVX2(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), SI
	MOVQ groups+8(FP), CX
	MOVQ perm+16(FP), R8
	MOVQ common+24(FP), R10
	MOVQ extra+32(FP), R9
	MOVQ idx+40(FP), DI
	MOVQ vals+48(FP), R11
	MOVQ y+56(FP), DX
	TESTQ CX, CX
	JEQ gdone

ggroup:
	LOADLANE(0, X0)
	LOADLANE(4, X1)
	LOADLANE(8, X2)
	LOADLANE(12, X3)
	LOADLANE(16, X4)
	LOADLANE(20, X5)
	LOADLANE(24, X6)
	LOADLANE(28, X7)
	MOVLQSX (R10), BX
	TESTQ BX, BX
	JEQ gstore

gstep:
	GATHER4(0, 0, X8, X9, X10, X11, X0, X1, X2, X3)
	GATHER4(8, 16, X12, X13, X14, X15, X4, X5, X6, X7)
	ADDQ $16, DI
	ADDQ $32, R11
	DECQ BX
	JNE gstep

gstore:
	STORELANE(0, X0)
	STORELANE(4, X1)
	STORELANE(8, X2)
	STORELANE(12, X3)
	STORELANE(16, X4)
	STORELANE(20, X5)
	STORELANE(24, X6)
	STORELANE(28, X7)
	XORQ R12, R12

gextra:
	MOVLQSX (R9)(R12*1), BX
	TESTQ BX, BX
	JEQ gnextlane
	MOVLQSX (R8)(R12*1), R14
	VMOVSS (DX)(R14*4), X0

gone:
	MOVWQZX (DI), AX
	VMOVSS (SI)(AX*4), X8
	VFMADD231SS (R11), X8, X0
	ADDQ $2, DI
	ADDQ $4, R11
	DECQ BX
	JNE gone
	VMOVSS X0, (DX)(R14*4)

gnextlane:
	ADDQ $4, R12
	CMPQ R12, $32
	JLT gextra
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $4, R10
	DECQ CX
	JNE ggroup

gdone:
	RET
