//go:build amd64 && !purego

#include "textflag.h"

// Activation kernels: exp (ExpShift), sigmoid, tanh and max.
//
// exp(d), all ISAs: n = round(d·log2e) via the 1.5·2^23 "magic" addition,
// r = d − n·ln2Hi − n·ln2Lo (Cody–Waite, FMA), p = 1 + r + c2·r² + … + c6·r⁶
// (Horner, 6 FMAs), e^d = p·2^n. AVX-512 scales with VSCALEFPS; AVX2 builds
// 2^a and 2^b, a = floor(n/2), b = n−a, from the integer bits of the magic
// sum so that n = 128 (d in [88.38, 88.72]) does not overflow the exponent
// field. d is clamped to ≤ 88.8 (→ +Inf) and lanes with d < ln(FLT_MIN)
// are zeroed; the compares are ordered so that NaN propagates.

// ---------------------------------------------------------------- AVX-512

// Constant registers shared by the AVX-512 exp code:
//   Z19 = 1.0 (c0 and c1)   Z20..Z24 = c2..c6
//   Z25 = ln2Lo  Z26 = ln2Hi  Z27 = magic  Z28 = log2e
//   Z29 = expLo  Z30 = expHi clamp
#define LOADEXP512 \
	VBROADCASTSS actOneC<>(SB), Z19;   \
	VBROADCASTSS actC2<>(SB), Z20;     \
	VBROADCASTSS actC3<>(SB), Z21;     \
	VBROADCASTSS actC4<>(SB), Z22;     \
	VBROADCASTSS actC5<>(SB), Z23;     \
	VBROADCASTSS actC6<>(SB), Z24;     \
	VBROADCASTSS actLn2LoC<>(SB), Z25; \
	VBROADCASTSS actLn2HiC<>(SB), Z26; \
	VBROADCASTSS actMagicC<>(SB), Z27; \
	VBROADCASTSS actLog2eC<>(SB), Z28; \
	VBROADCASTSS actExpLoC<>(SB), Z29; \
	VBROADCASTSS actExpHiC<>(SB), Z30

// EXPNM512 sets P = e^D (no clamping, no underflow masking).
// D is clobbered (holds r), N holds n.
#define EXPNM512(D, N, P) \
	VMOVAPS      Z27, N;    \ // N = magic
	VFMADD231PS  Z28, D, N; \ // N = D·log2e + magic
	VSUBPS       Z27, N, N; \ // N = n = round(D·log2e)
	VFNMADD231PS Z26, N, D; \ // D -= n·ln2Hi
	VFNMADD231PS Z25, N, D; \ // D -= n·ln2Lo  → r
	VMOVAPS      Z24, P;    \ // P = c6
	VFMADD213PS  Z23, D, P; \ // P = P·r + c5
	VFMADD213PS  Z22, D, P; \ // + c4
	VFMADD213PS  Z21, D, P; \ // + c3
	VFMADD213PS  Z20, D, P; \ // + c2
	VFMADD213PS  Z19, D, P; \ // + 1
	VFMADD213PS  Z19, D, P; \ // + 1
	VSCALEFPS    N, P, P      // P = P·2^n

// EXP512 sets D = e^D with the full semantics (clamp at expHi, zero below
// expLo, NaN propagates). N, P are scratch; K is set to the kept lanes.
#define EXP512(D, N, P, K) \
	VMINPS       D, Z30, D;     \ // D = min(expHi, D); NaN stays in D
	VCMPPS       $5, Z29, D, K; \ // K = !(D < expLo)  (NLT_US, NaN → kept)
	VMOVAPS      Z27, N;        \
	VFMADD231PS  Z28, D, N;     \
	VSUBPS       Z27, N, N;     \
	VFNMADD231PS Z26, N, D;     \
	VFNMADD231PS Z25, N, D;     \
	VMOVAPS      Z24, P;        \
	VFMADD213PS  Z23, D, P;     \
	VFMADD213PS  Z22, D, P;     \
	VFMADD213PS  Z21, D, P;     \
	VFMADD213PS  Z20, D, P;     \
	VFMADD213PS  Z19, D, P;     \
	VFMADD213PS  Z19, D, P;     \
	VSCALEFPS.Z  N, P, K, D       // D = P·2^n, 0 where D < expLo

// FLUSH512 adds the float32 partial sums in Z15 to the float64
// accumulators Z16 (lanes 0..7) and Z17 (lanes 8..15) and clears Z15.
#define FLUSH512 \
	VCVTPS2PD     Y15, Z13;      \
	VEXTRACTF64X4 $1, Z15, Y14;  \
	VCVTPS2PD     Y14, Z14;      \
	VADDPD        Z13, Z16, Z16; \
	VADDPD        Z14, Z17, Z17; \
	VXORPS        Z15, Z15, Z15

// func expShiftAVX512(dst, x *float32, n int, shift float32) float64
//
// DI = dst (0: sum only), SI = x, CX = elements left, R8 = main-loop
// iterations left before the next float64 flush.
// Z31 = shift, Z19..Z30 exp constants, Z0..Z3 data, Z4..Z7 n, Z8..Z11 p,
// Z12..Z14 sum temporaries, Z15 float32 partial sums, Z16/Z17 float64
// accumulators, K1..K4 kept lanes, K5 tail mask.
// Main loop: 64 elements; the four exp vectors are added pairwise in
// float32 (2 roundings) into Z15 (≤ 4 more roundings), which is flushed to
// float64 every 4 iterations, so every term passes through at most 6
// float32 roundings. Tail vectors go to float64 directly.
TEXT ·expShiftAVX512(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS shift+24(FP), Z31
	LOADEXP512
	VXORPD       Z16, Z16, Z16
	VXORPD       Z17, Z17, Z17
	VXORPS       Z15, Z15, Z15
	MOVQ         $4, R8
	CMPQ         CX, $64
	JLT          es512tail

es512loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VSUBPS  Z31, Z0, Z0
	VSUBPS  Z31, Z1, Z1
	VSUBPS  Z31, Z2, Z2
	VSUBPS  Z31, Z3, Z3
	EXP512(Z0, Z4, Z8, K1)
	EXP512(Z1, Z5, Z9, K2)
	EXP512(Z2, Z6, Z10, K3)
	EXP512(Z3, Z7, Z11, K4)
	TESTQ   DI, DI
	JZ      es512sum
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ    $256, DI

es512sum:
	VADDPS Z1, Z0, Z12
	VADDPS Z3, Z2, Z13
	VADDPS Z13, Z12, Z12
	VADDPS Z12, Z15, Z15
	DECQ   R8
	JNZ    es512next
	FLUSH512
	MOVQ   $4, R8

es512next:
	ADDQ $256, SI
	SUBQ $64, CX
	CMPQ CX, $64
	JGE  es512loop
	FLUSH512

es512tail:
	TESTQ CX, CX
	JLE   es512done
	MOVL  $0xffff, AX
	CMPQ  CX, $16
	JGE   es512mask
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX

es512mask:
	KMOVW          AX, K5
	VMOVUPS.Z      (SI), K5, Z0
	VSUBPS         Z31, Z0, Z0
	EXP512(Z0, Z4, Z8, K1)
	VMOVAPS.Z      Z0, K5, Z0  // lanes past the end must not be summed
	TESTQ          DI, DI
	JZ             es512tsum
	VMOVUPS        Z0, K5, (DI)
	ADDQ           $64, DI

es512tsum:
	VCVTPS2PD     Y0, Z13
	VEXTRACTF64X4 $1, Z0, Y14
	VCVTPS2PD     Y14, Z14
	VADDPD        Z13, Z16, Z16
	VADDPD        Z14, Z17, Z17
	ADDQ          $64, SI
	SUBQ          $16, CX
	JMP           es512tail

es512done:
	VADDPD        Z17, Z16, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPD        X1, X0, X0
	VPERMILPD     $1, X0, X1
	VADDSD        X1, X0, X0
	VZEROUPPER
	MOVSD         X0, ret+32(FP)
	RET

// func sigmoidAVX512(dst, x *float32, n int)
//
// DI = dst, SI = x, CX = elements left, K7 = lane mask (all ones except
// for the last partial vector), K1 = lanes with x ≥ expLo.
// Z0 = x then −x then r, Z1 = n then 1/(1+e), Z2 = e^−x then 1+e.
// Z16 = sign mask, Z17 = −80 (lower clamp of −x), Z19..Z30 exp constants.
// sigmoid = 1/(1+e^−x) with VRCP14PS and one Newton step; lanes with
// x < expLo (incl. −Inf, where e^−x = Inf) are zeroed.
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	LOADEXP512
	VBROADCASTSS actSignC<>(SB), Z16
	VBROADCASTSS actSigLoC<>(SB), Z17
	MOVL         $0xffff, AX
	KMOVW        AX, K7
	TESTQ        CX, CX
	JLE          sg512done

sg512loop:
	CMPQ CX, $16
	JGE  sg512body
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K7

sg512body:
	VMOVUPS.Z     (SI), K7, Z0
	VCMPPS        $5, Z29, Z0, K1     // K1 = !(x < expLo)
	VXORPS        Z16, Z0, Z0         // −x
	VMAXPS        Z0, Z17, Z0         // max(−80, −x), NaN stays
	EXPNM512(Z0, Z1, Z2)              // Z2 = e^−x
	VADDPS        Z19, Z2, Z2         // a = 1 + e
	VRCP14PS      Z2, Z1              // y ≈ 1/a (14 bits)
	VFNMADD213PS  Z19, Z1, Z2         // Z2 = 1 − a·y
	VFMADD213PS.Z Z1, Z1, K1, Z2      // Z2 = y + y·(1 − a·y), 0 where x < expLo
	VMOVUPS       Z2, K7, (DI)
	ADDQ          $64, SI
	ADDQ          $64, DI
	SUBQ          $16, CX
	JG            sg512loop

sg512done:
	VZEROUPPER
	RET

// func tanhAVX512(dst, x *float32, n int)
//
// DI = dst, SI = x, CX = elements left, K7 = lane mask, K2 = lanes with
// |x| < 0.625.
// Z0 = x, Z1 = a = |x|, Z3 = a², Z4 = small-|x| result, Z5 = 2a then r
// then 1 − 2/(e^{2a}+1), Z6 = n then reciprocal, Z7 = e^{2a}.
// Z8 = |·| mask, Z9 = 0.625, Z10 = 20 (clamp of 2a), Z11 = 2,
// Z12..Z16 = tanh polynomial T0..T4, Z19..Z30 exp constants.
// |x| < 0.625: tanh = a + a³·P(a²) (Cephes tanhf); otherwise
// 1 − 2/(e^{2a}+1). The sign of x is copied in at the end (VPTERNLOGD).
TEXT ·tanhAVX512(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	LOADEXP512
	VBROADCASTSS actAbsC<>(SB), Z8
	VBROADCASTSS actTanhSmallC<>(SB), Z9
	VBROADCASTSS actTanhClampC<>(SB), Z10
	VBROADCASTSS actTwoC<>(SB), Z11
	VBROADCASTSS actT0<>(SB), Z12
	VBROADCASTSS actT1<>(SB), Z13
	VBROADCASTSS actT2<>(SB), Z14
	VBROADCASTSS actT3<>(SB), Z15
	VBROADCASTSS actT4<>(SB), Z16
	MOVL         $0xffff, AX
	KMOVW        AX, K7
	TESTQ        CX, CX
	JLE          th512done

th512loop:
	CMPQ CX, $16
	JGE  th512body
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K7

th512body:
	VMOVUPS.Z    (SI), K7, Z0
	VANDPS       Z8, Z0, Z1          // a = |x|
	VCMPPS       $1, Z9, Z1, K2      // K2 = a < 0.625
	VMULPS       Z1, Z1, Z3          // z = a²
	VMOVAPS      Z16, Z4
	VFMADD213PS  Z15, Z3, Z4         // T4·z + T3
	VFMADD213PS  Z14, Z3, Z4
	VFMADD213PS  Z13, Z3, Z4
	VFMADD213PS  Z12, Z3, Z4         // P(z)
	VMULPS       Z3, Z4, Z4          // z·P(z)
	VFMADD213PS  Z1, Z1, Z4          // a + a·z·P(z)
	VADDPS       Z1, Z1, Z5          // 2a
	VMINPS       Z5, Z10, Z5         // min(20, 2a), NaN stays
	EXPNM512(Z5, Z6, Z7)             // Z7 = e^{2a}
	VADDPS       Z19, Z7, Z7         // e + 1
	VRCP14PS     Z7, Z6
	VFNMADD213PS Z19, Z6, Z7         // 1 − (e+1)·y
	VFMADD213PS  Z6, Z6, Z7          // y' = 1/(e+1)
	VFNMADD213PS Z19, Z11, Z7        // 1 − 2y'
	VMOVAPS      Z4, K2, Z7          // small |x| lanes
	VPTERNLOGD   $0xE4, Z8, Z0, Z7   // magnitude bits from Z7, sign from x
	VMOVUPS      Z7, K7, (DI)
	ADDQ         $64, SI
	ADDQ         $64, DI
	SUBQ         $16, CX
	JG           th512loop

th512done:
	VZEROUPPER
	RET

// func maxAVX512(x *float32, n int) float32
//
// SI = x, CX = elements left, Z0..Z3 running maxima (start at −Inf),
// Z4..Z7 data, Z8 = −Inf, K1/K2 unordered compares, K6 = "NaN seen",
// K5 tail mask (tail lanes are merge-loaded over −Inf).
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS actNegInfC<>(SB), Z8
	VMOVAPS      Z8, Z0
	VMOVAPS      Z8, Z1
	VMOVAPS      Z8, Z2
	VMOVAPS      Z8, Z3
	KXORW        K6, K6, K6
	CMPQ         CX, $64
	JLT          mx512tail

mx512loop:
	VMOVUPS (SI), Z4
	VMOVUPS 64(SI), Z5
	VMOVUPS 128(SI), Z6
	VMOVUPS 192(SI), Z7
	VCMPPS  $3, Z5, Z4, K1           // UNORD_Q: NaN in Z4 or Z5
	VCMPPS  $3, Z7, Z6, K2
	KORW    K1, K6, K6
	KORW    K2, K6, K6
	VMAXPS  Z4, Z0, Z0
	VMAXPS  Z5, Z1, Z1
	VMAXPS  Z6, Z2, Z2
	VMAXPS  Z7, Z3, Z3
	ADDQ    $256, SI
	SUBQ    $64, CX
	CMPQ    CX, $64
	JGE     mx512loop

mx512tail:
	TESTQ CX, CX
	JLE   mx512done
	MOVL  $0xffff, AX
	CMPQ  CX, $16
	JGE   mx512mask
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX

mx512mask:
	KMOVW   AX, K5
	VMOVAPS Z8, Z4
	VMOVUPS (SI), K5, Z4
	VCMPPS  $3, Z4, Z4, K1
	KORW    K1, K6, K6
	VMAXPS  Z4, Z0, Z0
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     mx512tail

mx512done:
	VMAXPS        Z1, Z0, Z0
	VMAXPS        Z3, Z2, Z2
	VMAXPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0x4e, X0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0xb1, X0, X1
	VMAXPS        X1, X0, X0
	KORTESTW      K6, K6
	JZ            mx512ret
	VMOVSS        actNaNC<>(SB), X0

mx512ret:
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// ------------------------------------------------------------------- AVX2
//
// Constants are used as 256-bit memory operands except where a register
// is needed for NaN-propagating VMINPS/VMAXPS (the NaN operand must be the
// second source) or for VDIVPS's dividend.

// EXPNM256 sets P = e^D without clamping or masking. Y14 must hold the
// magic constant. D is clobbered (r), N and T are scratch.
#define EXPNM256(D, N, P, T) \
	VMOVAPS      Y14, N;                  \ // N = magic
	VFMADD231PS  actLog2eC<>(SB), D, N;   \ // N = D·log2e + magic (low bits = n)
	VSUBPS       Y14, N, T;               \ // T = n (float)
	VFNMADD231PS actLn2HiC<>(SB), T, D;   \ // D -= n·ln2Hi
	VFNMADD231PS actLn2LoC<>(SB), T, D;   \ // r
	VMOVUPS      actC6<>(SB), P;          \
	VFMADD213PS  actC5<>(SB), D, P;       \
	VFMADD213PS  actC4<>(SB), D, P;       \
	VFMADD213PS  actC3<>(SB), D, P;       \
	VFMADD213PS  actC2<>(SB), D, P;       \
	VFMADD213PS  actOneC<>(SB), D, P;     \
	VFMADD213PS  actOneC<>(SB), D, P;     \ // P = e^r
	VPSLLD       $23, N, N;               \ // N = n<<23
	VPSRAD       $24, N, T;               \ // T = a = floor(n/2)
	VPSLLD       $23, T, T;               \ // a<<23
	VPSUBD       T, N, N;                 \ // (n−a)<<23 = b<<23
	VPADDD       actOneC<>(SB), T, T;     \ // 2^a (bias 127<<23 = bits of 1.0)
	VPADDD       actOneC<>(SB), N, N;     \ // 2^b
	VMULPS       T, P, P;                 \
	VMULPS       N, P, P                    // P = e^r·2^a·2^b

// func expShiftAVX2(dst, x *float32, n int, shift float32) float64
//
// n % 8 == 0. DI = dst (0: sum only), SI = x, CX = elements left.
// Y13 = shift, Y14 = magic, Y15 = expHi clamp; per vector v ∈ {0,1}:
// D = Y0/Y5, N = Y1/Y6, P = Y2/Y7, T = Y3/Y8, keep mask M = Y4/Y9.
// Y10/Y11 = float64 accumulators, Y12 = conversion temporary.
TEXT ·expShiftAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS shift+24(FP), Y13
	VMOVUPS      actMagicC<>(SB), Y14
	VMOVUPS      actExpHiC<>(SB), Y15
	VXORPD       Y10, Y10, Y10
	VXORPD       Y11, Y11, Y11

es2loop:
	CMPQ    CX, $8
	JLT     es2done
	VMOVUPS (SI), Y0
	VSUBPS  Y13, Y0, Y0
	VMINPS  Y0, Y15, Y0                    // clamp, NaN stays
	VCMPPS  $5, actExpLoC<>(SB), Y0, Y4    // keep = !(d < expLo)
	EXPNM256(Y0, Y1, Y2, Y3)
	VANDPS  Y4, Y2, Y0
	CMPQ    CX, $16
	JLT     es2one
	VMOVUPS 32(SI), Y5
	VSUBPS  Y13, Y5, Y5
	VMINPS  Y5, Y15, Y5
	VCMPPS  $5, actExpLoC<>(SB), Y5, Y9
	EXPNM256(Y5, Y6, Y7, Y8)
	VANDPS  Y9, Y7, Y5
	TESTQ   DI, DI
	JZ      es2sum2
	VMOVUPS Y0, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ    $64, DI

es2sum2:
	VADDPS       Y5, Y0, Y0
	ADDQ         $64, SI
	SUBQ         $16, CX
	VCVTPS2PD    X0, Y12
	VADDPD       Y12, Y10, Y10
	VEXTRACTF128 $1, Y0, X0
	VCVTPS2PD    X0, Y12
	VADDPD       Y12, Y11, Y11
	JMP          es2loop

es2one:
	TESTQ   DI, DI
	JZ      es2sum1
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI

es2sum1:
	ADDQ         $32, SI
	SUBQ         $8, CX
	VCVTPS2PD    X0, Y12
	VADDPD       Y12, Y10, Y10
	VEXTRACTF128 $1, Y0, X0
	VCVTPS2PD    X0, Y12
	VADDPD       Y12, Y11, Y11
	JMP          es2loop

es2done:
	VADDPD       Y11, Y10, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	VZEROUPPER
	MOVSD        X0, ret+32(FP)
	RET

// func sigmoidAVX2(dst, x *float32, n int)
//
// n % 8 == 0. DI = dst, SI = x, CX = elements left.
// Y0 = x, Y1 = keep mask (x ≥ expLo), Y2 = −x then r, Y3 = n bits,
// Y4 = e^−x then result, Y5 = scratch; Y12 = 1, Y13 = −80, Y14 = magic.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ    dst+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    n+16(FP), CX
	VMOVUPS actOneC<>(SB), Y12
	VMOVUPS actSigLoC<>(SB), Y13
	VMOVUPS actMagicC<>(SB), Y14
	TESTQ   CX, CX
	JLE     sg2done

sg2loop:
	VMOVUPS (SI), Y0
	VCMPPS  $5, actExpLoC<>(SB), Y0, Y1
	VXORPS  actSignC<>(SB), Y0, Y2
	VMAXPS  Y2, Y13, Y2                 // max(−80, −x), NaN stays
	EXPNM256(Y2, Y3, Y4, Y5)
	VADDPS  Y12, Y4, Y4                 // 1 + e
	VDIVPS  Y4, Y12, Y4                 // 1/(1+e)
	VANDPS  Y1, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JG      sg2loop

sg2done:
	VZEROUPPER
	RET

// func tanhAVX2(dst, x *float32, n int)
//
// n % 8 == 0. DI = dst, SI = x, CX = elements left.
// Y0 = x, Y1 = a = |x|, Y2 = small mask (a < 0.625), Y3 = a², Y4 = small
// result, Y5 = 2a then r, Y6 = n bits, Y7 = e^{2a} then large result,
// Y8 = scratch; Y11 = 2, Y12 = 1, Y13 = 20, Y14 = magic.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	MOVQ    dst+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    n+16(FP), CX
	VMOVUPS actTwoC<>(SB), Y11
	VMOVUPS actOneC<>(SB), Y12
	VMOVUPS actTanhClampC<>(SB), Y13
	VMOVUPS actMagicC<>(SB), Y14
	TESTQ   CX, CX
	JLE     th2done

th2loop:
	VMOVUPS     (SI), Y0
	VANDPS      actAbsC<>(SB), Y0, Y1
	VCMPPS      $1, actTanhSmallC<>(SB), Y1, Y2
	VMULPS      Y1, Y1, Y3
	VMOVUPS     actT4<>(SB), Y4
	VFMADD213PS actT3<>(SB), Y3, Y4
	VFMADD213PS actT2<>(SB), Y3, Y4
	VFMADD213PS actT1<>(SB), Y3, Y4
	VFMADD213PS actT0<>(SB), Y3, Y4
	VMULPS      Y3, Y4, Y4
	VFMADD213PS Y1, Y1, Y4              // a + a·z·P(z)
	VADDPS      Y1, Y1, Y5
	VMINPS      Y5, Y13, Y5             // min(20, 2a), NaN stays
	EXPNM256(Y5, Y6, Y7, Y8)
	VADDPS      Y12, Y7, Y7             // e + 1
	VDIVPS      Y7, Y11, Y7             // 2/(e+1)
	VSUBPS      Y7, Y12, Y7             // 1 − 2/(e+1)
	VBLENDVPS   Y2, Y4, Y7, Y7          // small lanes from Y4
	VANDPS      actSignC<>(SB), Y0, Y8
	VORPS       Y8, Y7, Y7              // restore sign
	VMOVUPS     Y7, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JG          th2loop

th2done:
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) float32
//
// n % 8 == 0, n > 0. SI = x, CX = elements left, Y0/Y1 running maxima,
// Y2/Y3 data, Y4 = "NaN seen" (OR of unordered compares), Y5 scratch.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS actNegInfC<>(SB), Y0
	VMOVAPS Y0, Y1
	VXORPS  Y4, Y4, Y4

mx2loop:
	CMPQ    CX, $16
	JLT     mx2one
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VCMPPS  $3, Y3, Y2, Y5
	VORPS   Y5, Y4, Y4
	VMAXPS  Y2, Y0, Y0
	VMAXPS  Y3, Y1, Y1
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     mx2loop

mx2one:
	TESTQ   CX, CX
	JLE     mx2done
	VMOVUPS (SI), Y2
	VCMPPS  $3, Y2, Y2, Y5
	VORPS   Y5, Y4, Y4
	VMAXPS  Y2, Y0, Y0

mx2done:
	VMAXPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VMOVMSKPS    Y4, AX
	TESTL        AX, AX
	JZ           mx2ret
	VMOVSS       actNaNC<>(SB), X0

mx2ret:
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// Constants, each replicated 8 times (32 bytes) so that the AVX2 code can
// use them as 256-bit memory operands; AVX-512 code broadcasts element 0.

DATA actExpHiC<>+0(SB)/4, $0x42b1999a
DATA actExpHiC<>+4(SB)/4, $0x42b1999a
DATA actExpHiC<>+8(SB)/4, $0x42b1999a
DATA actExpHiC<>+12(SB)/4, $0x42b1999a
DATA actExpHiC<>+16(SB)/4, $0x42b1999a
DATA actExpHiC<>+20(SB)/4, $0x42b1999a
DATA actExpHiC<>+24(SB)/4, $0x42b1999a
DATA actExpHiC<>+28(SB)/4, $0x42b1999a
GLOBL actExpHiC<>(SB), RODATA|NOPTR, $32

DATA actExpLoC<>+0(SB)/4, $0xc2aeac50
DATA actExpLoC<>+4(SB)/4, $0xc2aeac50
DATA actExpLoC<>+8(SB)/4, $0xc2aeac50
DATA actExpLoC<>+12(SB)/4, $0xc2aeac50
DATA actExpLoC<>+16(SB)/4, $0xc2aeac50
DATA actExpLoC<>+20(SB)/4, $0xc2aeac50
DATA actExpLoC<>+24(SB)/4, $0xc2aeac50
DATA actExpLoC<>+28(SB)/4, $0xc2aeac50
GLOBL actExpLoC<>(SB), RODATA|NOPTR, $32

DATA actLog2eC<>+0(SB)/4, $0x3fb8aa3b
DATA actLog2eC<>+4(SB)/4, $0x3fb8aa3b
DATA actLog2eC<>+8(SB)/4, $0x3fb8aa3b
DATA actLog2eC<>+12(SB)/4, $0x3fb8aa3b
DATA actLog2eC<>+16(SB)/4, $0x3fb8aa3b
DATA actLog2eC<>+20(SB)/4, $0x3fb8aa3b
DATA actLog2eC<>+24(SB)/4, $0x3fb8aa3b
DATA actLog2eC<>+28(SB)/4, $0x3fb8aa3b
GLOBL actLog2eC<>(SB), RODATA|NOPTR, $32

DATA actMagicC<>+0(SB)/4, $0x4b400000
DATA actMagicC<>+4(SB)/4, $0x4b400000
DATA actMagicC<>+8(SB)/4, $0x4b400000
DATA actMagicC<>+12(SB)/4, $0x4b400000
DATA actMagicC<>+16(SB)/4, $0x4b400000
DATA actMagicC<>+20(SB)/4, $0x4b400000
DATA actMagicC<>+24(SB)/4, $0x4b400000
DATA actMagicC<>+28(SB)/4, $0x4b400000
GLOBL actMagicC<>(SB), RODATA|NOPTR, $32

DATA actLn2HiC<>+0(SB)/4, $0x3f317218
DATA actLn2HiC<>+4(SB)/4, $0x3f317218
DATA actLn2HiC<>+8(SB)/4, $0x3f317218
DATA actLn2HiC<>+12(SB)/4, $0x3f317218
DATA actLn2HiC<>+16(SB)/4, $0x3f317218
DATA actLn2HiC<>+20(SB)/4, $0x3f317218
DATA actLn2HiC<>+24(SB)/4, $0x3f317218
DATA actLn2HiC<>+28(SB)/4, $0x3f317218
GLOBL actLn2HiC<>(SB), RODATA|NOPTR, $32

DATA actLn2LoC<>+0(SB)/4, $0xb102e308
DATA actLn2LoC<>+4(SB)/4, $0xb102e308
DATA actLn2LoC<>+8(SB)/4, $0xb102e308
DATA actLn2LoC<>+12(SB)/4, $0xb102e308
DATA actLn2LoC<>+16(SB)/4, $0xb102e308
DATA actLn2LoC<>+20(SB)/4, $0xb102e308
DATA actLn2LoC<>+24(SB)/4, $0xb102e308
DATA actLn2LoC<>+28(SB)/4, $0xb102e308
GLOBL actLn2LoC<>(SB), RODATA|NOPTR, $32

DATA actC6<>+0(SB)/4, $0x3ab5736f
DATA actC6<>+4(SB)/4, $0x3ab5736f
DATA actC6<>+8(SB)/4, $0x3ab5736f
DATA actC6<>+12(SB)/4, $0x3ab5736f
DATA actC6<>+16(SB)/4, $0x3ab5736f
DATA actC6<>+20(SB)/4, $0x3ab5736f
DATA actC6<>+24(SB)/4, $0x3ab5736f
DATA actC6<>+28(SB)/4, $0x3ab5736f
GLOBL actC6<>(SB), RODATA|NOPTR, $32

DATA actC5<>+0(SB)/4, $0x3c0933ec
DATA actC5<>+4(SB)/4, $0x3c0933ec
DATA actC5<>+8(SB)/4, $0x3c0933ec
DATA actC5<>+12(SB)/4, $0x3c0933ec
DATA actC5<>+16(SB)/4, $0x3c0933ec
DATA actC5<>+20(SB)/4, $0x3c0933ec
DATA actC5<>+24(SB)/4, $0x3c0933ec
DATA actC5<>+28(SB)/4, $0x3c0933ec
GLOBL actC5<>(SB), RODATA|NOPTR, $32

DATA actC4<>+0(SB)/4, $0x3d2aac12
DATA actC4<>+4(SB)/4, $0x3d2aac12
DATA actC4<>+8(SB)/4, $0x3d2aac12
DATA actC4<>+12(SB)/4, $0x3d2aac12
DATA actC4<>+16(SB)/4, $0x3d2aac12
DATA actC4<>+20(SB)/4, $0x3d2aac12
DATA actC4<>+24(SB)/4, $0x3d2aac12
DATA actC4<>+28(SB)/4, $0x3d2aac12
GLOBL actC4<>(SB), RODATA|NOPTR, $32

DATA actC3<>+0(SB)/4, $0x3e2aaa0c
DATA actC3<>+4(SB)/4, $0x3e2aaa0c
DATA actC3<>+8(SB)/4, $0x3e2aaa0c
DATA actC3<>+12(SB)/4, $0x3e2aaa0c
DATA actC3<>+16(SB)/4, $0x3e2aaa0c
DATA actC3<>+20(SB)/4, $0x3e2aaa0c
DATA actC3<>+24(SB)/4, $0x3e2aaa0c
DATA actC3<>+28(SB)/4, $0x3e2aaa0c
GLOBL actC3<>(SB), RODATA|NOPTR, $32

DATA actC2<>+0(SB)/4, $0x3efffffe
DATA actC2<>+4(SB)/4, $0x3efffffe
DATA actC2<>+8(SB)/4, $0x3efffffe
DATA actC2<>+12(SB)/4, $0x3efffffe
DATA actC2<>+16(SB)/4, $0x3efffffe
DATA actC2<>+20(SB)/4, $0x3efffffe
DATA actC2<>+24(SB)/4, $0x3efffffe
DATA actC2<>+28(SB)/4, $0x3efffffe
GLOBL actC2<>(SB), RODATA|NOPTR, $32

DATA actOneC<>+0(SB)/4, $0x3f800000
DATA actOneC<>+4(SB)/4, $0x3f800000
DATA actOneC<>+8(SB)/4, $0x3f800000
DATA actOneC<>+12(SB)/4, $0x3f800000
DATA actOneC<>+16(SB)/4, $0x3f800000
DATA actOneC<>+20(SB)/4, $0x3f800000
DATA actOneC<>+24(SB)/4, $0x3f800000
DATA actOneC<>+28(SB)/4, $0x3f800000
GLOBL actOneC<>(SB), RODATA|NOPTR, $32

DATA actTwoC<>+0(SB)/4, $0x40000000
DATA actTwoC<>+4(SB)/4, $0x40000000
DATA actTwoC<>+8(SB)/4, $0x40000000
DATA actTwoC<>+12(SB)/4, $0x40000000
DATA actTwoC<>+16(SB)/4, $0x40000000
DATA actTwoC<>+20(SB)/4, $0x40000000
DATA actTwoC<>+24(SB)/4, $0x40000000
DATA actTwoC<>+28(SB)/4, $0x40000000
GLOBL actTwoC<>(SB), RODATA|NOPTR, $32

DATA actSigLoC<>+0(SB)/4, $0xc2a00000
DATA actSigLoC<>+4(SB)/4, $0xc2a00000
DATA actSigLoC<>+8(SB)/4, $0xc2a00000
DATA actSigLoC<>+12(SB)/4, $0xc2a00000
DATA actSigLoC<>+16(SB)/4, $0xc2a00000
DATA actSigLoC<>+20(SB)/4, $0xc2a00000
DATA actSigLoC<>+24(SB)/4, $0xc2a00000
DATA actSigLoC<>+28(SB)/4, $0xc2a00000
GLOBL actSigLoC<>(SB), RODATA|NOPTR, $32

DATA actTanhSmallC<>+0(SB)/4, $0x3f200000
DATA actTanhSmallC<>+4(SB)/4, $0x3f200000
DATA actTanhSmallC<>+8(SB)/4, $0x3f200000
DATA actTanhSmallC<>+12(SB)/4, $0x3f200000
DATA actTanhSmallC<>+16(SB)/4, $0x3f200000
DATA actTanhSmallC<>+20(SB)/4, $0x3f200000
DATA actTanhSmallC<>+24(SB)/4, $0x3f200000
DATA actTanhSmallC<>+28(SB)/4, $0x3f200000
GLOBL actTanhSmallC<>(SB), RODATA|NOPTR, $32

DATA actTanhClampC<>+0(SB)/4, $0x41a00000
DATA actTanhClampC<>+4(SB)/4, $0x41a00000
DATA actTanhClampC<>+8(SB)/4, $0x41a00000
DATA actTanhClampC<>+12(SB)/4, $0x41a00000
DATA actTanhClampC<>+16(SB)/4, $0x41a00000
DATA actTanhClampC<>+20(SB)/4, $0x41a00000
DATA actTanhClampC<>+24(SB)/4, $0x41a00000
DATA actTanhClampC<>+28(SB)/4, $0x41a00000
GLOBL actTanhClampC<>(SB), RODATA|NOPTR, $32

DATA actT4<>+0(SB)/4, $0xbbbaf0ea
DATA actT4<>+4(SB)/4, $0xbbbaf0ea
DATA actT4<>+8(SB)/4, $0xbbbaf0ea
DATA actT4<>+12(SB)/4, $0xbbbaf0ea
DATA actT4<>+16(SB)/4, $0xbbbaf0ea
DATA actT4<>+20(SB)/4, $0xbbbaf0ea
DATA actT4<>+24(SB)/4, $0xbbbaf0ea
DATA actT4<>+28(SB)/4, $0xbbbaf0ea
GLOBL actT4<>(SB), RODATA|NOPTR, $32

DATA actT3<>+0(SB)/4, $0x3ca9134e
DATA actT3<>+4(SB)/4, $0x3ca9134e
DATA actT3<>+8(SB)/4, $0x3ca9134e
DATA actT3<>+12(SB)/4, $0x3ca9134e
DATA actT3<>+16(SB)/4, $0x3ca9134e
DATA actT3<>+20(SB)/4, $0x3ca9134e
DATA actT3<>+24(SB)/4, $0x3ca9134e
DATA actT3<>+28(SB)/4, $0x3ca9134e
GLOBL actT3<>(SB), RODATA|NOPTR, $32

DATA actT2<>+0(SB)/4, $0xbd5c1e2d
DATA actT2<>+4(SB)/4, $0xbd5c1e2d
DATA actT2<>+8(SB)/4, $0xbd5c1e2d
DATA actT2<>+12(SB)/4, $0xbd5c1e2d
DATA actT2<>+16(SB)/4, $0xbd5c1e2d
DATA actT2<>+20(SB)/4, $0xbd5c1e2d
DATA actT2<>+24(SB)/4, $0xbd5c1e2d
DATA actT2<>+28(SB)/4, $0xbd5c1e2d
GLOBL actT2<>(SB), RODATA|NOPTR, $32

DATA actT1<>+0(SB)/4, $0x3e088393
DATA actT1<>+4(SB)/4, $0x3e088393
DATA actT1<>+8(SB)/4, $0x3e088393
DATA actT1<>+12(SB)/4, $0x3e088393
DATA actT1<>+16(SB)/4, $0x3e088393
DATA actT1<>+20(SB)/4, $0x3e088393
DATA actT1<>+24(SB)/4, $0x3e088393
DATA actT1<>+28(SB)/4, $0x3e088393
GLOBL actT1<>(SB), RODATA|NOPTR, $32

DATA actT0<>+0(SB)/4, $0xbeaaaa99
DATA actT0<>+4(SB)/4, $0xbeaaaa99
DATA actT0<>+8(SB)/4, $0xbeaaaa99
DATA actT0<>+12(SB)/4, $0xbeaaaa99
DATA actT0<>+16(SB)/4, $0xbeaaaa99
DATA actT0<>+20(SB)/4, $0xbeaaaa99
DATA actT0<>+24(SB)/4, $0xbeaaaa99
DATA actT0<>+28(SB)/4, $0xbeaaaa99
GLOBL actT0<>(SB), RODATA|NOPTR, $32

DATA actAbsC<>+0(SB)/4, $0x7fffffff
DATA actAbsC<>+4(SB)/4, $0x7fffffff
DATA actAbsC<>+8(SB)/4, $0x7fffffff
DATA actAbsC<>+12(SB)/4, $0x7fffffff
DATA actAbsC<>+16(SB)/4, $0x7fffffff
DATA actAbsC<>+20(SB)/4, $0x7fffffff
DATA actAbsC<>+24(SB)/4, $0x7fffffff
DATA actAbsC<>+28(SB)/4, $0x7fffffff
GLOBL actAbsC<>(SB), RODATA|NOPTR, $32

DATA actSignC<>+0(SB)/4, $0x80000000
DATA actSignC<>+4(SB)/4, $0x80000000
DATA actSignC<>+8(SB)/4, $0x80000000
DATA actSignC<>+12(SB)/4, $0x80000000
DATA actSignC<>+16(SB)/4, $0x80000000
DATA actSignC<>+20(SB)/4, $0x80000000
DATA actSignC<>+24(SB)/4, $0x80000000
DATA actSignC<>+28(SB)/4, $0x80000000
GLOBL actSignC<>(SB), RODATA|NOPTR, $32

DATA actNegInfC<>+0(SB)/4, $0xff800000
DATA actNegInfC<>+4(SB)/4, $0xff800000
DATA actNegInfC<>+8(SB)/4, $0xff800000
DATA actNegInfC<>+12(SB)/4, $0xff800000
DATA actNegInfC<>+16(SB)/4, $0xff800000
DATA actNegInfC<>+20(SB)/4, $0xff800000
DATA actNegInfC<>+24(SB)/4, $0xff800000
DATA actNegInfC<>+28(SB)/4, $0xff800000
GLOBL actNegInfC<>(SB), RODATA|NOPTR, $32

DATA actNaNC<>+0(SB)/4, $0x7fc00000
DATA actNaNC<>+4(SB)/4, $0x7fc00000
DATA actNaNC<>+8(SB)/4, $0x7fc00000
DATA actNaNC<>+12(SB)/4, $0x7fc00000
DATA actNaNC<>+16(SB)/4, $0x7fc00000
DATA actNaNC<>+20(SB)/4, $0x7fc00000
DATA actNaNC<>+24(SB)/4, $0x7fc00000
DATA actNaNC<>+28(SB)/4, $0x7fc00000
GLOBL actNaNC<>(SB), RODATA|NOPTR, $32
