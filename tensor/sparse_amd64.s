//go:build amd64 && !purego

#include "textflag.h"

// Blocks kernel (FormatBlocks; see blockRowsAVX2 in sparse_amd64.go). Per
// row: skip it if x[i] is ±0 (integer test of the bits without the sign, so a NaN is
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

// SCATTER4 adds the four entries whose column indices are at ioff(DI) and
// whose values are at voff(vp) onto y: y[c] = fma(X0, v, y[c]), the
// indices read with one 64-bit load into R15 and taken apart by shifts
// into AX, R12, R13 and R15; A..D hold the values. The four columns are
// distinct (one row), so the four load-FMA-store chains are independent.
#define SCATTER4(ioff, vp, voff, A, B, C, D) \
	MOVQ ioff(DI), R15; \
	VMOVSS voff(vp), A; \
	VMOVSS (voff+4)(vp), B; \
	VMOVSS (voff+8)(vp), C; \
	VMOVSS (voff+12)(vp), D; \
	MOVWQZX R15, AX; \
	SHRQ $16, R15; \
	MOVWQZX R15, R12; \
	SHRQ $16, R15; \
	MOVWQZX R15, R13; \
	SHRQ $16, R15; \
	VFMADD213SS (DX)(AX*4), X0, A; \
	VFMADD213SS (DX)(R12*4), X0, B; \
	VFMADD213SS (DX)(R13*4), X0, C; \
	VFMADD213SS (DX)(R15*4), X0, D; \
	VMOVSS A, (DX)(AX*4); \
	VMOVSS B, (DX)(R12*4); \
	VMOVSS C, (DX)(R13*4); \
	VMOVSS D, (DX)(R15*4)

// SCATTER1 adds the one entry at (DI), value (vp), onto y.
#define SCATTER1(vp) \
	MOVWQZX (DI), AX; \
	VMOVSS (vp), X1; \
	VFMADD213SS (DX)(AX*4), X0, X1; \
	VMOVSS X1, (DX)(AX*4)

// CSR kernel (see csrRowsAVX2 in sparse_amd64.go). Per row: skip it if x[i]
// is ±0, else X0 = x[i] and y[c] = fma(x[i], v, y[c]) for each stored
// column c and value v of the row, eight per iteration: the columns of one
// row are distinct, so the eight load-FMA-store chains are independent.
// Four column indices are read with one 64-bit load and taken apart by
// shifts (measured, TestEventTune-style paired runs on Zen 3, 90% sparse:
// 0.63-0.70 ns per weight against 0.68-0.81 with one 16-bit load each and
// four per iteration; loading four values at once and shuffling them
// apart gained nothing more). The rest of a row goes one at a time. The
// indices 256 bytes ahead and the values 512 ahead are prefetched (the
// next rows follow in memory when every input is active, as for layer 0's
// dense embedding): measured 0.697 against 0.731 ns per weight with no
// prefetch, on eight 750×4050 matrices at 90% cycled (15 MB), every row
// active; 512/1024 and 1024/2048 bytes ahead gave 0.714 and 0.710.
//
// Registers: SI x, CX rows left, R8 rowStart, R9 cols, R10 vals, DX y; per
// row DI walks the column indices, R11 the values, BX the entries left;
// SCATTER4 uses R15, AX, R12 and R13.

// func csrRowsAVX2(x *float32, k int, rowStart *int32, cols *uint16, vals *float32, y *float32)
TEXT ·csrRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ k+8(FP), CX
	MOVQ rowStart+16(FP), R8
	MOVQ cols+24(FP), R9
	MOVQ vals+32(FP), R10
	MOVQ y+40(FP), DX
	TESTQ CX, CX
	JEQ csrdone

csrrow:
	MOVL (SI), AX
	ANDL $0x7fffffff, AX
	JEQ csrnext
	VMOVSS (SI), X0
	MOVLQSX (R8), AX
	MOVLQSX 4(R8), BX
	SUBQ AX, BX
	JEQ csrnext
	LEAQ (R9)(AX*2), DI
	LEAQ (R10)(AX*4), R11
	CMPQ BX, $8
	JLT csrone

csreight:
	PREFETCHT0 256(DI)
	PREFETCHT0 512(R11)
	SCATTER4(0, R11, 0, X1, X2, X3, X4)
	SCATTER4(8, R11, 16, X5, X6, X7, X8)
	ADDQ $16, DI
	ADDQ $32, R11
	SUBQ $8, BX
	CMPQ BX, $8
	JGE csreight
	TESTQ BX, BX
	JEQ csrnext

csrone:
	SCATTER1(R11)
	ADDQ $2, DI
	ADDQ $4, R11
	DECQ BX
	JNE csrone

csrnext:
	ADDQ $4, SI
	ADDQ $4, R8
	DECQ CX
	JNE csrrow

csrdone:
	RET

// CSR kernel over a list of active rows (see csrEventsAVX2 in
// sparse_amd64.go): the loop of csrRowsAVX2 without the scan of x, and
// with the next listed row's indices and values prefetched while the
// current row is added, 16 bytes of indices and 32 of values (the amount
// an iteration consumes) per iteration of eight weights: the rows a list
// names are scattered through the matrix, so each would otherwise start
// with cache misses the hardware prefetcher cannot foresee. Measured on the
// paper-shape EGRU's layers at 90% weight sparsity, 20% of units firing
// (Zen 3, one thread, layers alone): 0.86 ns per weight scanning x with
// no prefetch; with the list, prefetching only the first 128 bytes of the
// next row's indices and 256 of its values, 0.87-0.95 ns per weight on
// five 1350×4050 matrices cycled (16 MB), and 0.68 with this rolling
// prefetch (paired, median of 15 rounds: 1.31-1.34× faster).
//
// Registers: SI x, R8 the list, R9 rowStart, DX y; per row DI walks the
// column indices, R14 the values, BX the entries left, R10 and R11 the
// next row's indices and values being prefetched; R15 four packed
// indices, AX R12 R13 R15 the unpacked ones. The list's end and the bases
// of cols and vals are read from the arguments once per row.

// func csrEventsAVX2(x *float32, ev *int32, nev int, rowStart *int32, cols *uint16, vals *float32, y *float32)
TEXT ·csrEventsAVX2(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ ev+8(FP), R8
	MOVQ nev+16(FP), CX
	MOVQ rowStart+24(FP), R9
	MOVQ y+48(FP), DX
	TESTQ CX, CX
	JEQ evdone
	LEAQ (R8)(CX*4), CX
	MOVQ CX, nev+16(FP)     // from here on: the end of the list

evrow:
	MOVLQSX (R8), AX        // this row i
	VMOVSS (SI)(AX*4), X0
	MOVLQSX (R9)(AX*4), R12 // its first entry
	MOVLQSX 4(R9)(AX*4), BX
	SUBQ R12, BX            // BX = entries in the row
	MOVQ cols+32(FP), DI
	MOVQ vals+40(FP), R14
	MOVQ DI, R10
	MOVQ R14, R11
	LEAQ (DI)(R12*2), DI
	LEAQ (R14)(R12*4), R14
	LEAQ 4(R8), AX
	CMPQ AX, nev+16(FP)
	JEQ evlast
	MOVLQSX 4(R8), AX       // the next listed row
	MOVLQSX (R9)(AX*4), AX
	LEAQ (R10)(AX*2), R10
	LEAQ (R11)(AX*4), R11
	PREFETCHT0 (R10)
	PREFETCHT0 (R11)
	JMP evgo

evlast:
	MOVQ DI, R10
	MOVQ R14, R11

evgo:
	TESTQ BX, BX
	JEQ evnext
	CMPQ BX, $8
	JLT evone

eveight:
	PREFETCHT0 64(R11)
	PREFETCHT0 64(R10)
	SCATTER4(0, R14, 0, X1, X2, X3, X4)
	SCATTER4(8, R14, 16, X5, X6, X7, X8)
	ADDQ $16, DI
	ADDQ $32, R14
	ADDQ $16, R10
	ADDQ $32, R11
	SUBQ $8, BX
	CMPQ BX, $8
	JGE eveight
	TESTQ BX, BX
	JEQ evnext

evone:
	SCATTER1(R14)
	ADDQ $2, DI
	ADDQ $4, R14
	DECQ BX
	JNE evone

evnext:
	ADDQ $4, R8
	CMPQ R8, nev+16(FP)
	JNE evrow

evdone:
	RET
