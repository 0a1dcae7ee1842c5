package tensor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// countRanges records how often each item of a Parallel loop was visited.
type countRanges struct{ hits []atomic.Int32 }

func (c *countRanges) Range(lo, hi int) {
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

// TestParallelCoversOnce checks that Parallel visits every item exactly once
// for awkward sizes, grains and thread counts.
func TestParallelCoversOnce(t *testing.T) {
	defer SetThreads(Threads())
	for _, threads := range []int{1, 2, 3, 8} {
		SetThreads(threads)
		for _, n := range []int{0, 1, 2, 3, 7, 64, 1000, 1001} {
			for _, grain := range []int{0, 1, 2, 5, 1000} {
				c := &countRanges{hits: make([]atomic.Int32, n)}
				Parallel(n, grain, c)
				for i := range c.hits {
					if h := c.hits[i].Load(); h != 1 {
						t.Fatalf("threads=%d n=%d grain=%d: item %d visited %d times", threads, n, grain, i, h)
					}
				}
			}
		}
	}
}

// slowRanges sleeps on every range but the first, then marks it finished:
// a worker's part that outlasts the caller's poll (spinFor) or not.
type slowRanges struct {
	d        time.Duration
	finished []atomic.Bool
}

func (s *slowRanges) Range(lo, hi int) {
	if lo > 0 {
		time.Sleep(s.d)
	}
	s.finished[lo].Store(true)
}

// TestParallelWaitsForParts checks that Parallel returns only after every
// part has finished, for parts shorter than the caller's poll (it returns
// from polling) and longer (it parks), back to back and after pauses longer
// than the workers' poll (they park too), with GOMAXPROCS = 1 (no polling:
// the worker needs the caller's processor) and 2.
func TestParallelWaitsForParts(t *testing.T) {
	defer SetThreads(Threads())
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		SetThreads(2)
		for _, d := range []time.Duration{0, spinFor / 10, 3 * spinFor} {
			for _, pause := range []time.Duration{0, 3 * spinFor} {
				for range 3 {
					time.Sleep(pause)
					s := &slowRanges{d: d, finished: make([]atomic.Bool, 2)}
					Parallel(2, 1, s)
					for i := range s.finished {
						if !s.finished[i].Load() {
							t.Fatalf("GOMAXPROCS=%d, part of %v after a pause of %v: Parallel returned before part %d finished", procs, d, pause, i)
						}
					}
				}
			}
		}
	}
}

// TestRowsHelpers compares AddRows and AddColumnSums with plain loops, bit
// for bit (adding a float32 to another rounds the same way in any code), for
// shapes above and below the split threshold and 1..3 threads, and checks
// that the guard values after the outputs are untouched.
func TestRowsHelpers(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(3, 4))
	const guard = 12345.5
	for _, sh := range [][2]int{{1, 1}, {3, 17}, {512, 1000}, {70, 10001}, {1120, 256}, {2, 40000}} {
		rows, n := sh[0], sh[1]
		x0, v := randSlice(r, rows*n), randSlice(r, n)
		wantRows := append([]float32(nil), x0...)
		wantSums := make([]float32, n)
		copy(wantSums, v)
		for i := 0; i < rows; i++ {
			for j := 0; j < n; j++ {
				wantRows[i*n+j] += v[j]
				wantSums[j] += x0[i*n+j]
			}
		}
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			x := append(append([]float32(nil), x0...), guard)
			AddRows(x[:rows*n], v)
			sums := append(append([]float32(nil), v...), guard)
			AddColumnSums(sums[:n], x0)
			for i, w := range wantRows {
				if math.Float32bits(x[i]) != math.Float32bits(w) {
					t.Fatalf("AddRows %d×%d threads %d: element %d = %v, want %v", rows, n, threads, i, x[i], w)
				}
			}
			for j, w := range wantSums {
				if math.Float32bits(sums[j]) != math.Float32bits(w) {
					t.Fatalf("AddColumnSums %d×%d threads %d: column %d = %v, want %v", rows, n, threads, j, sums[j], w)
				}
			}
			if x[rows*n] != guard || sums[n] != guard {
				t.Fatalf("%d×%d threads %d: guard overwritten", rows, n, threads)
			}
		}
	}
}

func TestRowsHelpersBadShape(t *testing.T) {
	for name, f := range map[string]func(){
		"AddRows":       func() { AddRows(make([]float32, 7), make([]float32, 3)) },
		"AddColumnSums": func() { AddColumnSums(make([]float32, 3), make([]float32, 7)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with a ragged matrix did not panic", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkRows measures the helpers on the small preset's shapes.
func BenchmarkRows(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x, v := randSlice(r, 1120*1024), randSlice(r, 1024)
	for _, threads := range []int{1, 2} {
		b.Run("AddRows_1120x1024/threads="+string(rune('0'+threads)), func(b *testing.B) {
			defer SetThreads(Threads())
			SetThreads(threads)
			for b.Loop() {
				AddRows(x, v)
			}
		})
		b.Run("AddColumnSums_1120x1024/threads="+string(rune('0'+threads)), func(b *testing.B) {
			defer SetThreads(Threads())
			SetThreads(threads)
			for b.Loop() {
				AddColumnSums(v, x)
			}
		})
	}
}

// nested calls Gemm and Parallel from inside a Parallel body.
type nested struct {
	a, b []float32
	c    [][]float32
}

func (n *nested) Range(lo, hi int) {
	for i := lo; i < hi; i++ {
		Gemm(false, false, 64, 300, 500, 1, n.a, 500, n.b, 300, 0, n.c[i], 300)
		AddRows(n.c[i], n.b[:300])
	}
}

// TestParallelNested checks that Gemm and Parallel inside a Parallel body
// neither deadlock (the workers are busy with the outer job) nor change
// any bit.
func TestParallelNested(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(2)
	r := rand.New(rand.NewPCG(5, 5))
	n := &nested{a: randSlice(r, 64*500), b: randSlice(r, 500*300), c: make([][]float32, 4)}
	for i := range n.c {
		n.c[i] = make([]float32, 64*300)
	}
	want := make([]float32, 64*300)
	Gemm(false, false, 64, 300, 500, 1, n.a, 500, n.b, 300, 0, want, 300)
	AddRows(want, n.b[:300])
	done := make(chan struct{})
	go func() { Parallel(4, 1, n); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("nested Parallel/Gemm did not finish in 30 s: deadlock")
	}
	for i := range n.c {
		for j := range want {
			if math.Float32bits(n.c[i][j]) != math.Float32bits(want[j]) {
				t.Fatalf("part %d: element %d = %v, want %v", i, j, n.c[i][j], want[j])
			}
		}
	}
}
