"""NEON kernels of the event engine's accumulation (SparseRows), for arm64.py.

arm64.py's families() imports this module and writes what files() returns:

	sparse_neon_arm64.s   the CSR scan, CSR event-list and Blocks kernels
	gather_neon_arm64.s   the column kernel of KeepColumns' copy

They are the AVX2 kernels of sparse_amd64.s and gather_amd64.s with the same
loops, on the same layouts, and they must give the same bits as the generic Go
kernels (sparse.go, gather.go) compiled for arm64. The arm64 compiler fuses
the generic kernels' y[c] += x·w into one FMADDS (fuse_test.go), so each
kernel here adds every product with one fused multiply-add too, FMADDS for a
scalar and FMLA for the eight lanes of a block, onto each y[c] in the order
of the generic kernel: increasing row for the CSR and Blocks kernels, the
entries of a column in increasing row for the column kernel. The operands
keep the generic kernels' roles (addend y, then the weight, then x), which
only matters for which NaN's payload survives when two operands are NaN.

Every instruction used here is one the Go assembler knows (FMADDS, VFMLA,
VLD1/VLD1R/VST1, LDP, FLDPS, UBFX, PRFM), so these files hold no WORD and
arm64.py --check has nothing of theirs to compare.

Registers follow arm64.py's docstring: R0..R17 and R19..R25 are free.
"""
from arm64 import Asm


def unpack4(a, src, dst):
    """dst[0..3] = the four uint16 fields of src, lowest first.

    dst[3] may be src itself: it is written last.
    """
    for q in range(3):
        a.w(f"\tUBFX ${16*q}, {src}, $16, {dst[q]}")
    a.w(f"\tLSR $48, {src}, {dst[3]}")


def scatter8(a, ip, vp, y):
    """Adds eight CSR entries of one row onto y.

    y[c] = fma(F0, v, y[c]) for the eight column indices at ip (one 16-byte
    LDP) and values at vp (four FLDPS), both post-incremented. The columns of
    one row are distinct, so all eight y[c] are loaded before any is stored.
    Uses R11..R17, R19, F1..F8, F16..F23.
    """
    w = a.w
    w(f"\tLDP.P 16({ip}), (R11, R12)")
    for q in range(4):
        w(f"\tFLDPS.P 8({vp}), (F{1+2*q}, F{2+2*q})")
    cols = ["R13", "R14", "R15", "R11", "R16", "R17", "R19", "R12"]
    unpack4(a, "R11", cols[:4])
    unpack4(a, "R12", cols[4:])
    for q, c in enumerate(cols):
        w(f"\tFMOVS ({y})({c}<<2), F{16+q}")
    for q in range(8):
        w(f"\tFMADDS F0, F{16+q}, F{1+q}, F{16+q}")
    for q, c in enumerate(cols):
        w(f"\tFMOVS F{16+q}, ({y})({c}<<2)")


def scatter1(a, ip, vp, y):
    """Adds one CSR entry (index at ip, value at vp, post-incremented) onto y."""
    w = a.w
    w(f"\tMOVHU.P 2({ip}), R11")
    w(f"\tFMOVS.P 4({vp}), F1")
    w(f"\tFMOVS ({y})(R11<<2), F16")
    w("\tFMADDS F0, F16, F1, F16")
    w(f"\tFMOVS F16, ({y})(R11<<2)")


def active_or(a, label):
    """Branches to label if the float32 at (R0) is ±0 (a NaN is active).

    The bits shifted left by one lose the sign: zero exactly for ±0, as the
    generic kernels' xi == 0.
    """
    a.w("\tMOVWU (R0), R6")
    a.w("\tLSLW $1, R6, R6")
    a.w(f"\tCBZW R6, {label}")


def row_entries(a, shift, empty):
    """Reads row i's entries from rowStart (R2): R8 = how many (to empty if
    none), R9 = their indices (base R3), R10 = their values (base R4, 2^shift
    bytes an entry)."""
    w = a.w
    w("\tMOVW (R2), R7")
    w("\tMOVW 4(R2), R8")
    w("\tSUBS R7, R8, R8")
    w(f"\tBEQ {empty}")
    w("\tADD R7<<1, R3, R9")
    w(f"\tADD R7<<{shift}, R4, R10")


def sparse():
    a = Asm("sparse_neon_arm64.s")
    w = a.w
    w("""// Accumulation kernels of SparseRows (NEON): the CSR scan, the CSR event
// list and the Blocks kernels of sparse_arm64.go, the loops of the AVX2 ones
// (sparse_amd64.s). Each y[c] receives the products of its row's entries in
// increasing row, each by one fused multiply-add (FMADDS for CSR, FMLA for the
// 8 lanes of a block): the operations the generic kernels perform once the
// arm64 compiler has fused their y[c] += x·w, in their order, so the same
// bits. A row's columns (CSR) or blocks are distinct, so the loads of y[c] for
// eight entries (four blocks) can all come before their stores.
//
// Expected cost, from the instruction mix only (not measured: tested under
// qemu-aarch64, whose timings say nothing):
//   - CSR, per stored weight: a load of y[c], one FMADDS and a store of y[c],
//     plus half a value-pair load (FLDPS), an eighth of a 16-byte index load
//     (LDP) and one UBFX: about 1.6 loads, 1 store and 1 FMA, bound by the
//     load/store ports as the scalar AVX2 kernel is (NEON has no scatter).
//   - Blocks, per block of 8 weights: two 16-byte value loads, two of y, two
//     FMLA, two stores and a quarter of an index load: 1/4 FMA per weight,
//     zeros inside a block included.
// The prefetch distances are the AVX2 kernels', not tuned for any arm64 core.
""")
    # ---- Blocks ----
    w("""// func blockRowsNEON(x *float32, k int, rowStart *int32, blocks *uint16, vals *float32, y *float32)
//
// Per row: skip it if x[i] is ±0, else V0 = x[i] in all lanes and, four
// blocks per iteration (four block indices from one 64-bit load), each
// block's 8 values onto y[8c..8c+7] with two FMLA; then one block at a time.
// R0 x, R1 rows left, R2 rowStart, R3 blocks, R4 vals, R5 y; per row R8
// blocks left, R9 their indices, R10 their values; R11..R14 the y addresses.
TEXT ·blockRowsNEON(SB), NOSPLIT, $0-48""")
    w("\tMOVD x+0(FP), R0"); w("\tMOVD k+8(FP), R1"); w("\tMOVD rowStart+16(FP), R2")
    w("\tMOVD blocks+24(FP), R3"); w("\tMOVD vals+32(FP), R4"); w("\tMOVD y+40(FP), R5")
    w("\tCBZ R1, blkdone")
    w("blkrow:")
    active_or(a, "blknext")
    w("\tVLD1R (R0), [V0.S4]")
    row_entries(a, 5, "blknext")
    w("\tCMP $4, R8"); w("\tBLT blkone")
    w("blkfour:")
    w("\tMOVD.P 8(R9), R11")
    ys = ["R12", "R13", "R14", "R11"]
    unpack4(a, "R11", ys)
    for r in ys:
        w(f"\tADD {r}<<5, R5, {r}")
    w("\tVLD1.P 64(R10), [V1.S4, V2.S4, V3.S4, V4.S4]")
    w("\tVLD1.P 64(R10), [V5.S4, V6.S4, V7.S4, V8.S4]")
    for q, r in enumerate(ys):
        w(f"\tVLD1 ({r}), [V{16+2*q}.S4, V{17+2*q}.S4]")
    for q in range(8):
        w(f"\tVFMLA V0.S4, V{1+q}.S4, V{16+q}.S4")
    for q, r in enumerate(ys):
        w(f"\tVST1 [V{16+2*q}.S4, V{17+2*q}.S4], ({r})")
    w("\tSUB $4, R8, R8"); w("\tCMP $4, R8"); w("\tBGE blkfour")
    w("\tCBZ R8, blknext")
    w("blkone:")
    w("\tMOVHU.P 2(R9), R12")
    w("\tADD R12<<5, R5, R12")
    w("\tVLD1.P 32(R10), [V1.S4, V2.S4]")
    w("\tVLD1 (R12), [V16.S4, V17.S4]")
    w("\tVFMLA V0.S4, V1.S4, V16.S4")
    w("\tVFMLA V0.S4, V2.S4, V17.S4")
    w("\tVST1 [V16.S4, V17.S4], (R12)")
    w("\tSUBS $1, R8, R8"); w("\tBNE blkone")
    w("blknext:")
    w("\tADD $4, R0"); w("\tADD $4, R2")
    w("\tSUBS $1, R1, R1"); w("\tBNE blkrow")
    w("blkdone:"); w("\tRET"); w("")
    # ---- CSR scan ----
    w("""// func csrRowsNEON(x *float32, k int, rowStart *int32, cols *uint16, vals *float32, y *float32)
//
// Per row: skip it if x[i] is ±0, else F0 = x[i] and y[c] = fma(x[i], v,
// y[c]) for each entry (c, v) of the row, eight per iteration, then one at
// a time. The indices 256 bytes ahead and the values 512 ahead are
// prefetched (the next rows follow in memory when every input is active).
// R0 x, R1 rows left, R2 rowStart, R3 cols, R4 vals, R5 y; per row R8
// entries left, R9 their indices, R10 their values; R11..R17, R19 the
// unpacked indices.
TEXT ·csrRowsNEON(SB), NOSPLIT, $0-48""")
    w("\tMOVD x+0(FP), R0"); w("\tMOVD k+8(FP), R1"); w("\tMOVD rowStart+16(FP), R2")
    w("\tMOVD cols+24(FP), R3"); w("\tMOVD vals+32(FP), R4"); w("\tMOVD y+40(FP), R5")
    w("\tCBZ R1, csrdone")
    w("csrrow:")
    active_or(a, "csrnext")
    w("\tFMOVS (R0), F0")
    row_entries(a, 2, "csrnext")
    w("\tCMP $8, R8"); w("\tBLT csrone")
    w("csreight:")
    w("\tPRFM 256(R9), PLDL1KEEP"); w("\tPRFM 512(R10), PLDL1KEEP")
    scatter8(a, "R9", "R10", "R5")
    w("\tSUB $8, R8, R8"); w("\tCMP $8, R8"); w("\tBGE csreight")
    w("\tCBZ R8, csrnext")
    w("csrone:")
    scatter1(a, "R9", "R10", "R5")
    w("\tSUBS $1, R8, R8"); w("\tBNE csrone")
    w("csrnext:")
    w("\tADD $4, R0"); w("\tADD $4, R2")
    w("\tSUBS $1, R1, R1"); w("\tBNE csrrow")
    w("csrdone:"); w("\tRET"); w("")
    # ---- CSR event list ----
    w("""// func csrEventsNEON(x *float32, ev *int32, nev int, rowStart *int32, cols *uint16, vals *float32, y *float32)
//
// The loop of csrRowsNEON over the listed rows, with the next listed row's
// indices and values prefetched while the current row is added: its first
// line of each when the row starts, then 64 bytes ahead, moving by what an
// iteration of eight consumes (16 bytes of indices, 32 of values); for the
// last listed row, 64 bytes ahead in the row itself. nev ≥ 1.
// R0 x, R1 the list (next row), R2 its end, R3 rowStart, R4 cols, R6 vals,
// R5 y; per row R8 entries left, R9 their indices, R10 their values, R23 and
// R24 the indices and values being prefetched.
TEXT ·csrEventsNEON(SB), NOSPLIT, $0-56""")
    w("\tMOVD x+0(FP), R0"); w("\tMOVD ev+8(FP), R1"); w("\tMOVD nev+16(FP), R2")
    w("\tMOVD rowStart+24(FP), R3"); w("\tMOVD cols+32(FP), R4"); w("\tMOVD vals+40(FP), R6")
    w("\tMOVD y+48(FP), R5")
    w("\tADD R2<<2, R1, R2 // the end of the list")
    w("evrow:")
    w("\tMOVW.P 4(R1), R7 // this row i")
    w("\tFMOVS (R0)(R7<<2), F0")
    w("\tADD R7<<2, R3, R7")
    w("\tMOVW (R7), R11 // its first entry")
    w("\tMOVW 4(R7), R8")
    w("\tSUB R11, R8, R8 // entries in the row")
    w("\tADD R11<<1, R4, R9")
    w("\tADD R11<<2, R6, R10")
    w("\tCMP R1, R2"); w("\tBEQ evlast")
    w("\tMOVW (R1), R11 // the next listed row")
    w("\tMOVW (R3)(R11<<2), R11")
    w("\tADD R11<<1, R4, R23")
    w("\tADD R11<<2, R6, R24")
    w("\tPRFM (R23), PLDL1KEEP"); w("\tPRFM (R24), PLDL1KEEP")
    w("\tB evgo")
    w("evlast:")
    w("\tMOVD R9, R23"); w("\tMOVD R10, R24")
    w("evgo:")
    w("\tCBZ R8, evnext")
    w("\tCMP $8, R8"); w("\tBLT evone")
    w("eveight:")
    w("\tPRFM 64(R24), PLDL1KEEP"); w("\tPRFM 64(R23), PLDL1KEEP")
    scatter8(a, "R9", "R10", "R5")
    w("\tADD $16, R23"); w("\tADD $32, R24")
    w("\tSUB $8, R8, R8"); w("\tCMP $8, R8"); w("\tBGE eveight")
    w("\tCBZ R8, evnext")
    w("evone:")
    scatter1(a, "R9", "R10", "R5")
    w("\tSUBS $1, R8, R8"); w("\tBNE evone")
    w("evnext:")
    w("\tCMP R1, R2"); w("\tBNE evrow")
    w("\tRET")
    return a


def gather():
    a = Asm("gather_neon_arm64.s")
    w = a.w
    w("""// Column kernel of KeepColumns' copy (NEON; see gatherColsNEON in
// gather_arm64.go and colGather in gather.go), the loop of the AVX2 one
// (gather_amd64.s). Per group of eight output columns, the eight sums
// y[perm[l]] stay in F0..F7 while the interleaved steps add eight entries
// each, lane l's by F_l = fma(x[i], v, F_l); then each lane's remaining
// entries one at a time onto its register, and the eight sums are stored.
// Every lane receives its entries in increasing row, one fused multiply-add
// each: gatherGeneric's operations once the arm64 compiler has fused them, in
// its order, so the same bits. The columns of a group are distinct, so its
// sums can stay in registers until the group ends.
//
// Expected cost per stored weight, from the instruction mix only (not
// measured; tested under qemu-aarch64): a load of x[i] (register offset), one
// FMADDS into a register, half a value-pair load (FLDPS), an eighth of a
// 16-byte index load (LDP) and one UBFX; no store (y is read and written once
// per column). Against the CSR kernel that saves the store and the load of
// y[c] per weight. A vector form (x[i] gathered into lanes with LD1 by lane)
// was not tried: it trades the eight FMADDS of a step for two FMLA, but eight
// lane inserts and eight address adds, with no core to measure it on.
""")
    w("""// func gatherColsNEON(x *float32, groups int, perm *int32, common *int32, extra *int32, idx *uint16, vals *float32, y *float32)
//
// R0 x, R1 groups left, R2 perm, R3 common, R4 extra (these three advance per
// group), R5 the row indices, R6 the values (both walk every group's entries
// in order), R7 y; per group R8..R15 its eight columns, R16 steps or entries
// left; R17, R19..R25 the unpacked row indices, F8..F15 their x, F16..F23
// the values.
TEXT ·gatherColsNEON(SB), NOSPLIT, $0-64""")
    w("\tMOVD x+0(FP), R0"); w("\tMOVD groups+8(FP), R1"); w("\tMOVD perm+16(FP), R2")
    w("\tMOVD common+24(FP), R3"); w("\tMOVD extra+32(FP), R4"); w("\tMOVD idx+40(FP), R5")
    w("\tMOVD vals+48(FP), R6"); w("\tMOVD y+56(FP), R7")
    w("\tCBZ R1, gdone")
    w("ggroup:")
    for q in range(4):
        w(f"\tLDPW {8*q}(R2), (R{8+2*q}, R{9+2*q})")
    for l in range(8):
        w(f"\tFMOVS (R7)(R{8+l}<<2), F{l}")
    w("\tMOVW (R3), R16 // interleaved steps")
    w("\tCBZ R16, gextra")
    w("gstep:")
    w("\tLDP.P 16(R5), (R17, R19)")
    for q in range(4):
        w(f"\tFLDPS.P 8(R6), (F{16+2*q}, F{17+2*q})")
    rows = ["R20", "R21", "R22", "R17", "R23", "R24", "R25", "R19"]
    unpack4(a, "R17", rows[:4])
    unpack4(a, "R19", rows[4:])
    for l, r in enumerate(rows):
        w(f"\tFMOVS (R0)({r}<<2), F{8+l}")
    for l in range(8):
        w(f"\tFMADDS F{8+l}, F{l}, F{16+l}, F{l}")
    w("\tSUBS $1, R16, R16"); w("\tBNE gstep")
    w("gextra:")
    for l in range(8):
        w(f"\tMOVW {4*l}(R4), R16 // lane {l}'s remaining entries")
        w(f"\tCBZ R16, gextra{l}done")
        w(f"gextra{l}:")
        w("\tMOVHU.P 2(R5), R17")
        w("\tFMOVS.P 4(R6), F16")
        w("\tFMOVS (R0)(R17<<2), F8")
        w(f"\tFMADDS F8, F{l}, F16, F{l}")
        w("\tSUBS $1, R16, R16"); w(f"\tBNE gextra{l}")
        w(f"gextra{l}done:")
    for l in range(8):
        w(f"\tFMOVS F{l}, (R7)(R{8+l}<<2)")
    w("\tADD $32, R2"); w("\tADD $4, R3"); w("\tADD $32, R4")
    w("\tSUBS $1, R1, R1"); w("\tBNE ggroup")
    w("gdone:"); w("\tRET")
    return a


def files():
    return [sparse(), gather()]
