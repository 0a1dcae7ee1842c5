package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Stream is a token sequence folded into B parallel streams, as in the
// PyTorch word_language_model batchify: the sequence is trimmed to B·L tokens
// and stream b holds tokens [b·L, (b+1)·L). Internally the tokens are stored
// time-major, [L×B], so a window is a contiguous copy.
type Stream struct {
	B int // number of parallel streams (the batch size)
	L int // length of each stream in tokens

	data []int32 // data[t*B+b] = token t of stream b
}

// Batchify folds ids into B streams of L = len(ids)/B tokens each, dropping
// the last len(ids) mod B tokens. It is an error if B < 1 or len(ids) < 2·B
// (every stream needs at least one input and one target). ids is not retained.
func Batchify(ids []int32, B int) (*Stream, error) {
	if B < 1 {
		return nil, fmt.Errorf("data: batch size %d, want >= 1", B)
	}
	if B > len(ids)/2 { // len(ids) < 2·B, without overflow for a huge B
		return nil, fmt.Errorf("data: %d tokens are too few for %d streams (each needs at least 2; at most %d streams)", len(ids), B, len(ids)/2)
	}
	L := len(ids) / B
	s := &Stream{B: B, L: L, data: make([]int32, B*L)}
	for b := 0; b < B; b++ {
		src := ids[b*L : (b+1)*L]
		for t, id := range src {
			s.data[t*B+b] = id
		}
	}
	return s, nil
}

// Window fills x and y time-major, [T×B]: x[t·B+b] is the token at position
// t0+t of stream b and y[t·B+b] the token after it, for T = min(T, L−1−t0)
// steps. It returns the actual T, which is 0 when t0 ≥ L−1. It panics if t0
// is negative or x or y is shorter than T·B for the actual T.
func (s *Stream) Window(t0, T int, x, y []int32) int {
	if t0 < 0 {
		panic(fmt.Sprintf("data: Stream.Window: negative start %d", t0))
	}
	T = min(T, s.L-1-t0)
	if T <= 0 {
		return 0
	}
	n := T * s.B
	if len(x) < n || len(y) < n {
		panic(fmt.Sprintf("data: Stream.Window: buffers of %d and %d tokens, need %d (T=%d, B=%d)", len(x), len(y), n, T, s.B))
	}
	copy(x[:n], s.data[t0*s.B:])
	copy(y[:n], s.data[(t0+1)*s.B:])
	return T
}

// Span is one BPTT window: time steps [Start, Start+Len) of a [Stream].
type Span struct{ Start, Len int }

// VariableBPTTCap is how far above bptt a variable window length may go.
// AWD-LSTM leaves the length uncapped (its cap is commented out), which
// allows rare very long windows; sparselm caps it at bptt+VariableBPTTCap so
// that buffers of bptt+VariableBPTTCap steps always suffice.
const VariableBPTTCap = 20

// Windows returns the start and length of each BPTT window covering the
// stream's L−1 input positions exactly once, in order.
//
// With variable false every window has length bptt (the last may be
// shorter). With variable true it uses AWD-LSTM's scheme: for each window,
// base = bptt with probability 0.95 and bptt/2 otherwise, and length =
// max(5, round(Normal(base, 5))), capped at bptt+[VariableBPTTCap]; the last
// window is cut at the end of the stream. (AWD-LSTM truncates with int()
// rather than rounding.) Draws come from rng, so a given seed gives the same
// windows; rng may be nil when variable is false. It panics if bptt < 1 or
// if variable is true and rng is nil.
func (s *Stream) Windows(bptt int, variable bool, rng *rand.Rand) []Span {
	if bptt < 1 {
		panic(fmt.Sprintf("data: Stream.Windows: bptt %d, want >= 1", bptt))
	}
	if variable && rng == nil {
		panic("data: Stream.Windows: variable windows need a random source")
	}
	n := s.L - 1
	spans := make([]Span, 0, n/bptt+1)
	for start := 0; start < n; {
		l := bptt
		if variable {
			base := float64(bptt)
			if rng.Float64() >= 0.95 {
				base /= 2
			}
			l = max(5, int(math.Round(base+5*rng.NormFloat64())))
			l = min(l, bptt+VariableBPTTCap)
		}
		l = min(l, n-start)
		spans = append(spans, Span{Start: start, Len: l})
		start += l
	}
	return spans
}
