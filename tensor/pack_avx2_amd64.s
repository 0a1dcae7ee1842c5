//go:build amd64 && !purego

#include "textflag.h"

// NET8 transposes the 8×8 matrix whose rows are Y0..Y7 into Y8..Y15 (row
// p of the result in Y(8+p)): unpack pairs of rows (Y8..Y15), shuffle
// quadruples within each 128-bit lane (Y0..Y7), then swap 128-bit lanes.
// It overwrites Y0..Y7.
#define NET8 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15

// TRANSPOSE8 transposes the 8×8 block of floats at (SI) (rows CX bytes
// apart) into (DI) (rows DX bytes apart): dst[p·ldd+j] = src[j·lds+p] for
// p, j < 8: the rows loaded into Y0..Y7, NET8, the results stored. Uses AX
// and BX to walk the rows.
#define TRANSPOSE8 \
	MOVQ SI, AX; \
	VMOVUPS (AX), Y0; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y1; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y2; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y3; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y4; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y5; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y6; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y7; \
	NET8; \
	MOVQ DI, BX; \
	VMOVUPS Y8, (BX); \
	ADDQ DX, BX; \
	VMOVUPS Y9, (BX); \
	ADDQ DX, BX; \
	VMOVUPS Y10, (BX); \
	ADDQ DX, BX; \
	VMOVUPS Y11, (BX); \
	ADDQ DX, BX; \
	VMOVUPS Y12, (BX); \
	ADDQ DX, BX; \
	VMOVUPS Y13, (BX); \
	ADDQ DX, BX; \
	VMOVUPS Y14, (BX); \
	ADDQ DX, BX; \
	VMOVUPS Y15, (BX)

// func transpose16AVX2(dst *float32, ldd int, src *float32, lds int)
//
// Transposes one 16×16 block, dst[p·ldd+j] = src[j·lds+p] for p, j < 16
// (ldd, lds in floats), as four 8×8 transposes: block (p0, j0) of dst is
// the transpose of block (j0, p0) of src. Packs a transposed op(B) for the
// AVX2 kernel (16-wide panels), as transpose16AVX512 does for AVX-512.
// Against the Go loops that packed it before (TestTransposeTune, paired
// medians of 9, Zen 3, one thread, other work on the machine): the
// per-step NT products 32×256×1024 1.92× and 64×1350×5400 1.63× as fast
// (timed with their packing every call; training packs them once per
// window), dX 1120×256×1024 1.06×, the decoder 512×10000×256 1.08×.
TEXT ·transpose16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), R8
	MOVQ ldd+8(FP), DX
	SHLQ $2, DX
	MOVQ src+16(FP), R9
	MOVQ lds+24(FP), CX
	SHLQ $2, CX
	// dst block (0, 0) ← src block (0, 0)
	MOVQ R9, SI
	MOVQ R8, DI
	TRANSPOSE8
	// dst block (0, 8) ← src rows 8..15, columns 0..7
	MOVQ CX, R10
	SHLQ $3, R10            // 8 rows of src
	LEAQ (R9)(R10*1), SI
	LEAQ 32(R8), DI
	TRANSPOSE8
	// dst block (8, 0) ← src rows 0..7, columns 8..15
	MOVQ DX, R11
	SHLQ $3, R11            // 8 rows of dst
	LEAQ 32(R9), SI
	LEAQ (R8)(R11*1), DI
	TRANSPOSE8
	// dst block (8, 8) ← src rows 8..15, columns 8..15
	LEAQ 32(R9)(R10*1), SI
	LEAQ 32(R8)(R11*1), DI
	TRANSPOSE8
	VZEROUPPER
	RET

// PACK6x8 packs 6 rows × 8 columns of floats at (SI) (rows CX bytes apart)
// into the 6-row interleaved layout at (DI): dst[p·6+r] = src[r·lds+p] for
// r < 6, p < 8 (48 floats): NET8 with rows 6 and 7 zero; each result row's
// first 6 floats are stored (16 + 8 bytes).
#define PACK6x8 \
	MOVQ SI, AX; \
	VMOVUPS (AX), Y0; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y1; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y2; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y3; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y4; \
	ADDQ CX, AX; \
	VMOVUPS (AX), Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	NET8; \
	VMOVUPS X8, 0(DI); \
	VEXTRACTF128 $1, Y8, X0; \
	VMOVQ X0, 16(DI); \
	VMOVUPS X9, 24(DI); \
	VEXTRACTF128 $1, Y9, X1; \
	VMOVQ X1, 40(DI); \
	VMOVUPS X10, 48(DI); \
	VEXTRACTF128 $1, Y10, X2; \
	VMOVQ X2, 64(DI); \
	VMOVUPS X11, 72(DI); \
	VEXTRACTF128 $1, Y11, X3; \
	VMOVQ X3, 88(DI); \
	VMOVUPS X12, 96(DI); \
	VEXTRACTF128 $1, Y12, X4; \
	VMOVQ X4, 112(DI); \
	VMOVUPS X13, 120(DI); \
	VEXTRACTF128 $1, Y13, X5; \
	VMOVQ X5, 136(DI); \
	VMOVUPS X14, 144(DI); \
	VEXTRACTF128 $1, Y14, X6; \
	VMOVQ X6, 160(DI); \
	VMOVUPS X15, 168(DI); \
	VEXTRACTF128 $1, Y15, X7; \
	VMOVQ X7, 184(DI)

// func transpose6x16AVX2(dst *float32, src *float32, lds int)
//
// Packs 6 rows × 16 columns of a row-major op(A) into the AVX2 kernel's
// 6-row interleaved micro-panel layout: dst[p·6+r] = src[r·lds+p] for
// r < 6, p < 16, as two PACK6x8 (kernelInfo.packA16 with mr = 6).
// Against the Go loop that packed A before (TestTransposeTune, paired
// medians of 9, Zen 3, one thread, the study's jobs paused): dh
// 512×256×10000 1.20×, dX 1120×256×1024 1.17×, the per-step dnext
// 32×256×1024 1.09×, the input projection 1.035×, the other training
// products 0.99-1.06×.
TEXT ·transpose6x16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), CX
	SHLQ $2, CX
	PACK6x8
	ADDQ $32, SI            // columns 8..15
	ADDQ $192, DI           // 8 columns × 6 rows × 4 bytes
	PACK6x8
	VZEROUPPER
	RET

// func packAT6AVX2(dst, src *float32, lds, kc, strips, stride int)
//
// packAT12AVX2 for the AVX2 kernel's 6-row strips: dst[s·stride+p·6+j] =
// src[p·lds+s·6+j] for p < kc, s < strips, j < 6 (the packing of a
// transposed op(A)); each 24-byte strip row moved as one XMM and one
// 8-byte move, the source prefetched 4 rows ahead. kc, strips ≥ 1.
// Against packStrips' Go copies (TestTransposeTune, paired medians of 9,
// Zen 3, one thread, the study's jobs paused): dEmb 10000×256×512 (TN)
// 1.33×, dW 256×1024×1120 (TN) 1.03×.
// SI = source row, DI = destination row of strip 0, AX/BX walk the strips,
// DX = lds·4, R9 = stride·4, CX = rows left, R10 = strips left.
TEXT ·packAT6AVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), DX
	SHLQ $2, DX
	MOVQ kc+24(FP), CX
	MOVQ strips+32(FP), R8
	MOVQ stride+40(FP), R9
	SHLQ $2, R9
at6row:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R8, R10
at6strip:
	PREFETCHT0 (AX)(DX*4)
	VMOVUPS (AX), X0
	MOVQ 16(AX), R11
	VMOVUPS X0, (BX)
	MOVQ R11, 16(BX)
	ADDQ $24, AX
	ADDQ R9, BX
	DECQ R10
	JNE at6strip
	ADDQ DX, SI
	ADDQ $24, DI
	DECQ CX
	JNE at6row
	RET
