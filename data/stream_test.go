package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func seqIDs(n int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(i*7%1000 + i/1000) // distinct enough to catch layout errors
	}
	return ids
}

func TestBatchifyWindowBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{2, 3, 10, 17, 100, 1001} {
		for _, B := range []int{1, 2, 3, 5, 8} {
			if n < 2*B {
				continue
			}
			ids := make([]int32, n)
			for i := range ids {
				ids[i] = rng.Int32N(50)
			}
			s, err := Batchify(ids, B)
			if err != nil {
				t.Fatal(err)
			}
			L := n / B
			if s.B != B || s.L != L {
				t.Fatalf("n=%d B=%d: got B=%d L=%d, want L=%d", n, B, s.B, s.L, L)
			}
			// PyTorch batchify reference: stream b is ids[b·L : (b+1)·L].
			streams := make([][]int32, B)
			for b := range streams {
				streams[b] = ids[b*L : (b+1)*L]
			}
			for t0 := 0; t0 <= L+1; t0++ {
				for _, T := range []int{1, 2, 3, 7, L} {
					x := make([]int32, T*B+3)
					y := make([]int32, T*B+3)
					for i := range x {
						x[i], y[i] = -1, -1
					}
					got := s.Window(t0, T, x, y)
					want := max(0, min(T, L-1-t0))
					if got != want {
						t.Fatalf("n=%d B=%d Window(%d, %d) = %d, want %d", n, B, t0, T, got, want)
					}
					for tt := 0; tt < want; tt++ {
						for b := 0; b < B; b++ {
							if x[tt*B+b] != streams[b][t0+tt] || y[tt*B+b] != streams[b][t0+tt+1] {
								t.Fatalf("n=%d B=%d Window(%d, %d): x/y[%d,%d] = %d/%d, want %d/%d",
									n, B, t0, T, tt, b, x[tt*B+b], y[tt*B+b], streams[b][t0+tt], streams[b][t0+tt+1])
							}
						}
					}
					for i := want * B; i < len(x); i++ {
						if x[i] != -1 || y[i] != -1 {
							t.Fatalf("Window wrote past T·B at %d", i)
						}
					}
				}
			}
		}
	}
}

func TestBatchifyErrors(t *testing.T) {
	_, err := Batchify(make([]int32, 7), 4)
	wantErr(t, err, "7 tokens", "4 streams", "at most 3 streams")
	// A batch so large that 2·B overflows: an error, not a loop over B.
	_, err = Batchify(make([]int32, 7), 1<<62)
	wantErr(t, err, "7 tokens", "at most 3 streams")
	_, err = Batchify(make([]int32, 10), 0)
	wantErr(t, err, "batch size 0")
	ids := seqIDs(8)
	s, err := Batchify(ids, 4)
	if err != nil {
		t.Fatal(err)
	}
	ids[0] = 99
	x, y := make([]int32, 4), make([]int32, 4)
	s.Window(0, 1, x, y)
	if x[0] == 99 {
		t.Error("Batchify retained the input slice")
	}
}

func TestWindowPanics(t *testing.T) {
	s, _ := Batchify(seqIDs(100), 4) // L = 25
	for _, tc := range []struct {
		t0, T, nx, ny int
		frag          string
	}{
		{0, 5, 19, 20, "buffers"},
		{0, 5, 20, 19, "buffers"},
		{22, 5, 7, 8, "buffers"}, // actual T = 2 needs 8
		{-1, 5, 20, 20, "negative"},
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), tc.frag) {
					t.Errorf("Window(%d, %d) with %d/%d: recovered %v, want panic with %q", tc.t0, tc.T, tc.nx, tc.ny, r, tc.frag)
				}
			}()
			s.Window(tc.t0, tc.T, make([]int32, tc.nx), make([]int32, tc.ny))
		}()
	}
	// Short buffers are fine when the window is shortened to fit.
	if got := s.Window(22, 5, make([]int32, 8), make([]int32, 8)); got != 2 {
		t.Errorf("Window(22, 5) = %d, want 2", got)
	}
}

// checkCover verifies that spans tile [0, L-1) exactly once, in order.
func checkCover(t *testing.T, spans []Span, L, maxLen int) {
	t.Helper()
	next := 0
	for i, sp := range spans {
		if sp.Start != next || sp.Len < 1 || sp.Len > maxLen {
			t.Fatalf("span %d = %+v, want start %d and length in [1, %d]", i, sp, next, maxLen)
		}
		next += sp.Len
	}
	if next != L-1 {
		t.Fatalf("spans cover [0, %d), want [0, %d)", next, L-1)
	}
}

func TestWindowsFixed(t *testing.T) {
	for _, L := range []int{2, 3, 35, 36, 37, 1000} {
		s, _ := Batchify(seqIDs(L*3), 3)
		for _, bptt := range []int{1, 5, 35, 70} {
			spans := s.Windows(bptt, false, nil)
			checkCover(t, spans, L, bptt)
			for i, sp := range spans[:len(spans)-1] {
				if sp.Len != bptt {
					t.Fatalf("L=%d bptt=%d: span %d has length %d", L, bptt, i, sp.Len)
				}
			}
			if want := (L - 1 + bptt - 1) / bptt; len(spans) != want {
				t.Errorf("L=%d bptt=%d: %d spans, want %d", L, bptt, len(spans), want)
			}
		}
	}
}

func TestWindowsVariable(t *testing.T) {
	s, _ := Batchify(seqIDs(200000), 4) // L = 50000
	const bptt = 70
	spans := s.Windows(bptt, true, rand.New(rand.NewPCG(7, 0)))
	checkCover(t, spans, s.L, bptt+VariableBPTTCap)
	again := s.Windows(bptt, true, rand.New(rand.NewPCG(7, 0)))
	if !slices.Equal(spans, again) {
		t.Error("same seed gave different windows")
	}
	other := s.Windows(bptt, true, rand.New(rand.NewPCG(8, 0)))
	if slices.Equal(spans, other) {
		t.Error("different seeds gave the same windows")
	}
	// Statistics of the AWD-LSTM scheme: ~5% of windows drawn around bptt/2,
	// the rest around bptt, none below 5 (except the last) or above the cap.
	short, capped := 0, 0
	var sum float64
	body := spans[:len(spans)-1]
	for _, sp := range body {
		if sp.Len < 5 {
			t.Fatalf("window of length %d < 5", sp.Len)
		}
		if sp.Len < (bptt*3)/4 {
			short++
		}
		if sp.Len == bptt+VariableBPTTCap {
			capped++
		}
		sum += float64(sp.Len)
	}
	frac := float64(short) / float64(len(body))
	if frac < 0.03 || frac > 0.07 {
		t.Errorf("%.3f of windows are short, want about 0.05", frac)
	}
	mean := sum / float64(len(body))
	if want := 0.95*bptt + 0.05*bptt/2; mean < want-1 || mean > want+1 {
		t.Errorf("mean window length %.2f, want about %.2f", mean, want)
	}
	if capped != 0 {
		t.Errorf("%d windows at the cap; with sigma 5 the cap of +%d should never bind", capped, VariableBPTTCap)
	}
	// With a small bptt the floor of 5 and the cap both bind.
	small := s.Windows(2, true, rand.New(rand.NewPCG(1, 1)))
	checkCover(t, small, s.L, 2+VariableBPTTCap)
	for _, sp := range small[:len(small)-1] {
		if sp.Len < 5 {
			t.Fatalf("bptt 2: window of length %d < 5", sp.Len)
		}
	}
}

// TestWindowsVariableLengths checks the distribution of AWD-LSTM's window
// lengths on a long stream (about 28,000 windows): the windows drawn around
// bptt have mean bptt and standard deviation 5 (the documented
// round(Normal(base, 5))), those drawn around bptt/2 make up 5% with mean
// bptt/2, and on a draw of more than 4σ the cap bptt+VariableBPTTCap binds.
func TestWindowsVariableLengths(t *testing.T) {
	s, err := Batchify(seqIDs(2_000_000), 1)
	if err != nil {
		t.Fatal(err)
	}
	const bptt = 70
	spans := s.Windows(bptt, true, rand.New(rand.NewPCG(3, 4)))
	checkCover(t, spans, s.L, bptt+VariableBPTTCap)
	var long, short []float64
	for _, sp := range spans[:len(spans)-1] {
		// The two components are 35 steps = 7σ apart, so this split
		// misclassifies no window.
		if sp.Len > (bptt*3)/4 {
			long = append(long, float64(sp.Len))
		} else {
			short = append(short, float64(sp.Len))
		}
	}
	meanSD := func(xs []float64) (mean, sd float64) {
		for _, x := range xs {
			mean += x
		}
		mean /= float64(len(xs))
		for _, x := range xs {
			sd += (x - mean) * (x - mean)
		}
		return mean, math.Sqrt(sd / float64(len(xs)-1))
	}
	// Rounding a normal centred on an integer keeps its mean, and adds 1/12
	// to its variance (so σ ≈ 5.01). The tolerances are about 5 standard
	// errors: σ/√n for the means (0.03 and 0.13 here), σ/√(2n) ≈ 0.02 for
	// the standard deviation, √(0.05·0.95/n) ≈ 0.0013 for the fraction.
	// Truncating instead of rounding moves the mean by 0.5.
	n := float64(len(long) + len(short))
	frac := float64(len(short)) / n
	longMean, longSD := meanSD(long)
	shortMean, _ := meanSD(short)
	t.Logf("%d windows: %.4f short; around bptt mean %.3f sd %.3f; around bptt/2 mean %.3f", int(n), frac, longMean, longSD, shortMean)
	if math.Abs(frac-0.05) > 0.0065 {
		t.Errorf("%.4f of %d windows drawn around bptt/2, want 0.05", frac, int(n))
	}
	if math.Abs(longMean-bptt) > 0.15 || math.Abs(longSD-5) > 0.1 {
		t.Errorf("windows around bptt: mean %.3f, sd %.3f over %d; want mean %d, sd 5", longMean, longSD, len(long), bptt)
	}
	if math.Abs(shortMean-bptt/2) > 0.65 {
		t.Errorf("windows around bptt/2: mean %.3f over %d; want %d", shortMean, len(short), bptt/2)
	}

	// With bptt 10 the cap of 30 is 4σ above the mean: about 1 in 20,000
	// draws (P(N > 3.9) ≈ 4.8e-5), so some 10 of these ~200,000 windows
	// reach it; with no cap they would be longer.
	const small = 10
	capped := 0
	spans = s.Windows(small, true, rand.New(rand.NewPCG(5, 6)))
	checkCover(t, spans, s.L, small+VariableBPTTCap)
	for _, sp := range spans {
		if sp.Len == small+VariableBPTTCap {
			capped++
		}
	}
	if capped == 0 {
		t.Errorf("no window of %d reached the cap %d (expected about 10)", len(spans), small+VariableBPTTCap)
	}
	t.Logf("bptt %d: %d of %d windows capped", small, capped, len(spans))
}

func TestWindowsPanics(t *testing.T) {
	s, _ := Batchify(seqIDs(100), 2)
	for frag, f := range map[string]func(){
		"bptt 0, want >= 1":    func() { s.Windows(0, false, nil) },
		"need a random source": func() { s.Windows(35, true, nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), frag) {
					t.Errorf("recovered %v, want a panic saying %q", r, frag)
				}
			}()
			f()
		}()
	}
}

func BenchmarkWindow(b *testing.B) {
	s, _ := Batchify(seqIDs(929589), 20)
	x, y := make([]int32, 35*20), make([]int32, 35*20)
	spans := s.Windows(35, false, nil)
	for b.Loop() {
		for _, sp := range spans {
			s.Window(sp.Start, sp.Len, x, y)
		}
	}
}
