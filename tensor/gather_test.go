package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSparseRowsColumns checks KeepColumns: with every input active, the
// column kernels give MulAdd's row-kernel result bit for bit (the same
// fused or unfused operations on each y[j] in the same order, see
// colGather), for MulAdd and for MulAddEvents with the full list; with an
// inactive input the row kernels run. Columns of very different counts
// (empty, full, in between) exercise the interleaved and extra parts.
func TestSparseRowsColumns(t *testing.T) {
	shapes := [][2]int{{1, 8}, {3, 9}, {5, 17}, {9, 64}, {40, 33}, {64, 129}, {200, 768}, {750, 1030}, {7, 7}}
	copies := 0
	for _, kern := range sparseAvailable() {
		for _, sh := range shapes {
			k, n := sh[0], sh[1]
			for _, sp := range []float64{0, 0.5, 0.9, 0.98, 1} {
				r := rand.New(rand.NewPCG(uint64(k), uint64(n)))
				w := randSlice(r, k*n)
				for i := 0; i < k; i++ {
					for j := 0; j < n; j++ {
						// Per column a density: j%7 == 0 empty, j%7 == 1 full.
						keep := r.Float64() >= sp
						switch j % 7 {
						case 0:
							keep = false
						case 1:
							keep = true
						}
						if !keep {
							w[i*n+j] = 0
						}
					}
				}
				x := randSlice(r, k)
				for i := range x {
					if x[i] == 0 {
						x[i] = 1
					}
				}
				if k > 2 {
					x[1] = float32(math.Inf(1))
					x[2] = float32(math.NaN())
				}
				rows := NewSparseRows(false, k, n, w, FormatCSR)
				cols := NewSparseRows(false, k, n, w, FormatCSR)
				cols.KeepColumns()
				if body := len(rows.idx); n >= 8 && body >= minColumnEntries*(n&^7) != (cols.cols != nil) {
					t.Fatalf("%dx%d s%.2f: %d weights in %d body columns: copy kept %v", k, n, sp, body, n&^7, cols.cols != nil)
				}
				copied := cols.cols != nil
				if copied {
					copies++
				}
				if copied && cols.Bytes() <= rows.Bytes() {
					t.Errorf("%dx%d: Bytes %d with the copy, %d without", k, n, cols.Bytes(), rows.Bytes())
				}
				y0 := randSlice(r, n)
				ev := Events(x, nil)
				calls := 0
				spy := kern
				spy.gather = func(x []float32, g *colGather, y []float32) {
					calls++
					kern.gather(x, g, y)
				}
				want := append([]float32(nil), y0...)
				got := append([]float32(nil), y0...)
				gotEv := append([]float32(nil), y0...)
				withSparse(spy, func() {
					rows.MulAdd(x, want)
					cols.MulAdd(x, got)
					cols.MulAddEvents(x, ev, gotEv)
				})
				if want := map[bool]int{true: 2}[copied]; calls != want {
					t.Fatalf("%s %dx%d: column kernel ran %d times, want %d (MulAdd and MulAddEvents with a copy)", kern.name, k, n, calls, want)
				}
				for j := range want {
					if !sameFloat(got[j], want[j]) || !sameFloat(gotEv[j], want[j]) {
						t.Fatalf("%s %dx%d s%.2f: y[%d]: columns %v (events %v), rows %v: want the same bits", kern.name, k, n, sp, j, got[j], gotEv[j], want[j])
					}
				}
				// An inactive input: the rows kernels, same result.
				x[0] = 0
				calls = 0
				want = append(want[:0], y0...)
				got = append(got[:0], y0...)
				withSparse(spy, func() {
					rows.MulAdd(x, want)
					cols.MulAdd(x, got)
					cols.MulAddEvents(x, Events(x, nil), make([]float32, n))
				})
				if calls != 0 {
					t.Fatalf("%s %dx%d: column kernel ran with x[0] = 0", kern.name, k, n)
				}
				for j := range want {
					if !sameFloat(got[j], want[j]) {
						t.Fatalf("%s %dx%d: y[%d] = %v with x[0] = 0, rows %v", kern.name, k, n, j, got[j], want[j])
					}
				}
			}
		}
	}
	if copies < 10*len(sparseAvailable()) {
		t.Fatalf("%d matrices kept a column copy: the cases no longer test the column kernels", copies)
	}
}

// sameFloat reports whether a and b have the same bits, or are both NaN.
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}
