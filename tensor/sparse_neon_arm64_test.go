//go:build arm64 && !purego

package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The arm64 expectations of the NEON SparseRows kernels (sparse_neon_arm64.s,
// gather_neon_arm64.s), beside the tests of sparse_test.go and gather_test.go,
// which run every set of sparseAvailable (generic and neon here). These pin
// the rounding: one fused multiply-add per stored weight, in increasing row,
// checked bit for bit against fma32 (neon_arm64_test.go) and against the
// generic kernels, which the arm64 compiler fuses.

// TestSparseNEONSelected checks that the NEON kernels are the ones MulAdd
// uses on arm64 and that the tests looping over sparseAvailable run them
// beside the generic ones.
func TestSparseNEONSelected(t *testing.T) {
	var names []string
	for _, k := range sparseAvailable() {
		names = append(names, k.name)
	}
	t.Logf("sparse kernels in use %q; available %v", sparseKern.name, names)
	if bestSparse().name != "neon" || sparseKern.name != "neon" {
		t.Fatalf("bestSparse() = %q, sparseKern = %q: want the NEON kernels on arm64", bestSparse().name, sparseKern.name)
	}
	if fmt.Sprint(names) != "[generic neon]" {
		t.Fatalf("sparseAvailable = %v, want [generic neon]", names)
	}
}

// sparseCalls counts the calls of each kernel of a set.
type sparseCalls struct{ csr, blocks, csrEv, gather int }

// spySparse returns k with each kernel counting its calls in c.
func spySparse(k sparseKernels, c *sparseCalls) sparseKernels {
	s := k
	s.csr = func(x []float32, rowStart []int32, idx []uint16, vals []float32, y []float32) {
		c.csr++
		k.csr(x, rowStart, idx, vals, y)
	}
	s.blocks = func(x []float32, rowStart []int32, idx []uint16, vals []float32, y []float32) {
		c.blocks++
		k.blocks(x, rowStart, idx, vals, y)
	}
	s.csrEv = func(x []float32, ev []int32, rowStart []int32, cols []uint16, vals []float32, y []float32) {
		c.csrEv++
		k.csrEv(x, ev, rowStart, cols, vals, y)
	}
	s.gather = func(x []float32, g *colGather, y []float32) {
		c.gather++
		k.gather(x, g, y)
	}
	return s
}

// fusedRowsOrder is MulAdd's rounding written out with fma32: for each row
// i with x_i ≠ 0 in increasing i, y[j] = fma32(x_i, W[i,j], y[j]) for each
// weight the format stores (CSR: the non-zero ones; Blocks: every weight of
// a block with a non-zero one) and for every one of the last N mod 8
// columns, which the Go tail code adds whatever their value. w holds W
// [k×n] row-major.
func fusedRowsOrder(f Format, k, n int, w, x, y []float32) {
	body := n &^ 7
	for i := 0; i < k; i++ {
		if x[i] == 0 {
			continue
		}
		row := w[i*n : i*n+n]
		for b := 0; b < body; b += 8 {
			present := false
			for _, v := range row[b : b+8] {
				present = present || v != 0
			}
			for j := b; j < b+8; j++ {
				if f == FormatBlocks && present || row[j] != 0 {
					y[j] = fma32(x[i], row[j], y[j])
				}
			}
		}
		for j := body; j < n; j++ {
			y[j] = fma32(x[i], row[j], y[j])
		}
	}
}

// neonSparseCases are the shapes of sparseCases plus rows of every length
// from 0 to 41 stored weights (the eight-at-a-time and one-at-a-time loops
// of the CSR kernels and every remainder, four-block and one-block loops of
// Blocks) and a matrix wide enough for several column groups with long and
// short columns.
func neonSparseCases() []sparseCase {
	return append(sparseCases(),
		sparseCase{42, 48, 0, 1, 0}, sparseCase{30, 333, 0.7, 0.6, 7}, sparseCase{200, 130, 0.85, 1, 0})
}

// neonOperands returns W and x for c, and y0, with awkward values mixed in:
// in W, row i of the first 42 keeping i weights when c has 48 columns (so
// every row length appears); tiny weights and inputs whose products are
// subnormal (a flush-to-zero kernel would differ); −0 as well as +0 among
// the inactive inputs (a kernel that took −0 for an event would turn some
// −0 sums into +0); −0 and +0 in y0 (a Blocks zero weight turns −0 into
// +0, a CSR kernel leaves it).
func neonOperands(r *rand.Rand, c sparseCase) (w, x, y0 []float32) {
	w, x = c.operands(r)
	if c.n == 48 && c.sparsity == 0 {
		for i := 0; i < c.k; i++ {
			for j := i; j < c.n; j++ {
				w[i*c.n+j] = 0
			}
		}
	}
	for q := range w {
		if w[q] != 0 && r.IntN(17) == 0 {
			w[q] *= 0x1p-100
		}
	}
	for i := range x {
		switch {
		case x[i] == 0 && r.IntN(2) == 0:
			x[i] = float32(math.Copysign(0, -1))
		case x[i] != 0 && r.IntN(11) == 0:
			x[i] *= 0x1p-40
		}
	}
	y0 = randSlice(r, c.n)
	for j := range y0 {
		switch r.IntN(8) {
		case 0:
			y0[j] = float32(math.Copysign(0, -1))
		case 1:
			y0[j] = 0
		}
	}
	return w, x, y0
}

// TestSparseNEONFusedOrder runs the NEON kernels through MulAdd (the scan
// kernels), MulAddEvents with inactive rows (the list kernel) and with every
// row active after KeepColumns (the column kernel), checks with a spy that
// each ran, and compares y bit for bit with fusedRowsOrder and with the
// generic kernels, and the guards on either side of y.
func TestSparseNEONFusedOrder(t *testing.T) {
	var seen sparseCalls // the checked calls of each kernel
	for _, c := range neonSparseCases() {
		r := rand.New(rand.NewPCG(uint64(c.k)+99, uint64(c.n)))
		w, x, y0 := neonOperands(r, c)
		xAll := append([]float32(nil), x...)
		for i := range xAll {
			if xAll[i] == 0 {
				xAll[i] = float32(r.Float64() + 0.5)
			}
		}
		for _, f := range []Format{FormatCSR, FormatBlocks} {
			s := NewSparseRows(false, c.k, c.n, w, f)
			cols := NewSparseRows(false, c.k, c.n, w, f)
			cols.KeepColumns()
			type run struct {
				name   string
				x      []float32
				on     *SparseRows
				events bool // MulAddEvents with Events(x), else MulAdd
			}
			runs := []run{{"MulAdd", x, s, false}, {"MulAddEvents", x, s, true}, {"columns", xAll, cols, false}}
			for _, ru := range runs {
				do := func(y []float32) {
					if ru.events {
						ru.on.MulAddEvents(ru.x, Events(ru.x, nil), y)
					} else {
						ru.on.MulAdd(ru.x, y)
					}
				}
				want := append([]float32(nil), y0...)
				fusedRowsOrder(f, c.k, c.n, w, ru.x, want)
				ref := append([]float32(nil), y0...)
				withSparse(genericSparse, func() { do(ref) })
				buf := append(append([]float32{guard}, y0...), guard)
				var calls sparseCalls
				withSparse(spySparse(neonSparse, &calls), func() { do(buf[1 : c.n+1]) })
				got := buf[1 : c.n+1]
				if math.Float32bits(buf[0]) != guardBits || math.Float32bits(buf[c.n+1]) != guardBits {
					t.Fatalf("%v %v %s: a kernel wrote outside y", f, c, ru.name)
				}
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) || math.Float32bits(got[j]) != math.Float32bits(ref[j]) {
						t.Fatalf("%v %v %s: y[%d] = %v (%#x), fused order %v (%#x), generic %v: want the same bits",
							f, c, ru.name, j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]), ref[j])
					}
				}
				// The kernel that must have run, once, unless nothing is
				// stored or (for MulAddEvents) no row is active: the scan
				// kernel of the format, the list kernel for a CSR list
				// shorter than K, the column kernel with a copy.
				kernel := &calls.csr
				if f == FormatBlocks {
					kernel = &calls.blocks
				}
				wantRuns := len(s.idx) > 0
				nev := len(Events(ru.x, nil))
				switch {
				case ru.on.cols != nil:
					kernel = &calls.gather
				case ru.events:
					wantRuns = wantRuns && nev > 0
					if f == FormatCSR && nev < c.k {
						kernel = &calls.csrEv
					}
				}
				want1 := map[bool]int{true: 1}[wantRuns]
				if total := calls.csr + calls.blocks + calls.csrEv + calls.gather; *kernel != want1 || total != want1 {
					t.Fatalf("%v %v %s: kernel calls %+v, want %d of the expected one", f, c, ru.name, calls, want1)
				}
				seen.csr += calls.csr
				seen.blocks += calls.blocks
				seen.csrEv += calls.csrEv
				seen.gather += calls.gather
			}
		}
	}
	t.Logf("NEON kernel calls checked: %+v", seen)
	if seen.csr == 0 || seen.blocks == 0 || seen.csrEv == 0 || seen.gather == 0 {
		t.Fatalf("NEON kernel calls checked: %+v: the cases no longer reach every kernel", seen)
	}
}

// TestSparseNEONEventRows runs the list kernel on single rows and pairs (the
// first, the last, rows of 0..41 weights, so the prefetch of the next row
// and of the row itself when it is the last), against fusedRowsOrder.
func TestSparseNEONEventRows(t *testing.T) {
	c := sparseCase{42, 48, 0, 1, 0}
	r := rand.New(rand.NewPCG(8, 9))
	w, x0, y0 := neonOperands(r, c)
	s := NewSparseRows(false, c.k, c.n, w, FormatCSR)
	for _, rows := range [][]int{{0}, {41}, {1}, {7}, {8}, {9}, {16}, {17}, {0, 41}, {8, 9}, {40, 41}, {3, 20, 33}} {
		x := make([]float32, c.k)
		for _, i := range rows {
			x[i] = x0[i]
			if x[i] == 0 {
				x[i] = 1.5
			}
		}
		want := append([]float32(nil), y0...)
		fusedRowsOrder(FormatCSR, c.k, c.n, w, x, want)
		got := append([]float32(nil), y0...)
		var calls sparseCalls
		withSparse(spySparse(neonSparse, &calls), func() { s.MulAddEvents(x, Events(x, nil), got) })
		if calls.csrEv != 1 {
			t.Fatalf("rows %v: list kernel ran %d times", rows, calls.csrEv)
		}
		for j := range got {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("rows %v: y[%d] = %v, fused order %v", rows, j, got[j], want[j])
			}
		}
	}
}
