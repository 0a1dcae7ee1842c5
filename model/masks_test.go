package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sparselm/sparselm/tensor"
)

// TestPCGAdvance checks the jump-ahead against stepping the generator.
func TestPCGAdvance(t *testing.T) {
	src := rand.NewPCG(17, 18)
	s0 := pcgState(src)
	for _, n := range []uint64{0, 1, 2, 3, 7, 1000, 12345, 1 << 17} {
		setPCGState(src, s0)
		for range n {
			src.Uint64()
		}
		if got, want := pcgAdvance(s0, n), pcgState(src); got != want {
			t.Fatalf("pcgAdvance(s, %d) = %x, %d steps give %x", n, got, n, want)
		}
	}
}

// TestDropMaskSerialBits checks maskJob.draw, serial and split across
// threads, against the loop it replaced (Float64() < p per element on a
// rand.Rand over the same PCG): the same mask, the same R⊙mask, and the
// generator left where that loop leaves it, so later draws agree too.
func TestDropMaskSerialBits(t *testing.T) {
	defer tensor.SetThreads(tensor.Threads())
	for _, n := range []int{0, 5, 2 * maskBlock, 2*maskBlock + 17, 5*maskBlock - 3} {
		for _, p := range []float64{0, 0.2, 0.5, 0.9} {
			for _, threads := range []int{1, 2} {
				tensor.SetThreads(threads)
				ref := rand.New(rand.NewPCG(uint64(n), 99))
				r := make([]float32, n)
				for i := range r {
					r[i] = float32(i%13) - 6
				}
				want, wantDropped := make([]float32, n), make([]float32, n)
				keep := float32(1 / (1 - p))
				for i := range want {
					if ref.Float64() < p {
						want[i] = 0
					} else {
						want[i] = keep
					}
					wantDropped[i] = r[i] * want[i]
				}
				src := rand.NewPCG(uint64(n), 99)
				mask, dropped := make([]float32, n), make([]float32, n)
				new(maskJob[float32]).draw(mask, p, src, r, dropped)
				for i := range want {
					if math.Float32bits(mask[i]) != math.Float32bits(want[i]) || math.Float32bits(dropped[i]) != math.Float32bits(wantDropped[i]) {
						t.Fatalf("n %d p %v threads %d: mask[%d] = %v, dropped %v; the serial loop gives %v, %v", n, p, threads, i, mask[i], dropped[i], want[i], wantDropped[i])
					}
				}
				if got, w := src.Uint64(), ref.Uint64(); got != w {
					t.Fatalf("n %d p %v threads %d: next number %x after the mask, the serial loop's %x", n, p, threads, got, w)
				}
			}
		}
	}
}

// TestDropThreshold checks the integer test at its edges: x < ⌈p·2^53⌉
// must agree with x/2^53 < p for x on either side of the boundary.
func TestDropThreshold(t *testing.T) {
	for _, p := range []float64{0, 0.5, 0.25, 0.2, 0.3, 1e-9, 1 - 1e-9, math.Nextafter(0.5, 1)} {
		th := dropThreshold(p)
		for _, x := range []uint64{th - 1, th, th + 1} {
			if x >= 1<<53 || (th == 0 && x == th-1) {
				continue
			}
			if got, want := x < th, float64(x)/(1<<53) < p; got != want {
				t.Fatalf("p %v: x = %d: integer test %v, Float64 test %v", p, x, got, want)
			}
		}
	}
}
