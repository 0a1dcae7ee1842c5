package infer

import (
	"fmt"
	"math/bits"
)

// Raster is the event record of a batch-1 run: for every recorded step t,
// the token fed and, per layer l, which units' outputs were non-zero (for
// the EGRU the units that fired an event; an LSTM's h is non-zero nearly
// everywhere). Recorder writes it.
type Raster struct {
	IDs   []int32 // [T] the token fed at each recorded step
	units []int   // [L] H of each layer
	// Seen counts the steps since the last Reset, recorded or not (≥ T):
	// the steps after the first MaxTokens are counted but not recorded.
	Seen int
	// bits[l] [T×W_l] holds W_l = ⌈H_l/64⌉ words per step: bit j%64 of
	// word t·W_l + j/64 is set where unit j's output at step t was non-zero.
	bits [][]uint64
	// events[l] counts the set bits of bits[l].
	events []int
}

// Layers returns L, the number of recorded layers.
func (r *Raster) Layers() int { return len(r.units) }

// Tokens returns T, the number of recorded steps.
func (r *Raster) Tokens() int { return len(r.IDs) }

// Units returns H, the number of units of layer l. It panics if l is not
// in [0, L).
func (r *Raster) Units(l int) int { return r.units[l] }

// Fired reports whether unit j of layer l had a non-zero output at step t.
// It panics if l, t or j is out of range.
func (r *Raster) Fired(l, t, j int) bool {
	H := r.units[l]
	if t < 0 || t >= len(r.IDs) || j < 0 || j >= H {
		panic(fmt.Sprintf("infer: Raster.Fired(%d, %d, %d) outside %d steps × %d units", l, t, j, len(r.IDs), H))
	}
	W := words64(H)
	return r.bits[l][t*W+j/64]&(1<<(j%64)) != 0
}

// Events returns the number of non-zero outputs of layer l over the
// recorded steps. It panics if l is not in [0, L).
func (r *Raster) Events(l int) int { return r.events[l] }

// Activity returns the fraction of layer l's unit outputs that were non-zero,
// Events(l) / (H·T); 0 when nothing was recorded. It panics if l is not in
// [0, L).
func (r *Raster) Activity(l int) float64 {
	if len(r.IDs) == 0 {
		return 0
	}
	return float64(r.events[l]) / float64(r.units[l]*len(r.IDs))
}

// OverallActivity returns the fraction of all layers' unit outputs that
// were non-zero: Σ_l Events(l) / (Σ_l H_l · T); 0 when nothing was recorded.
func (r *Raster) OverallActivity() float64 {
	events, units := 0, 0
	for l, H := range r.units {
		events += r.events[l]
		units += H
	}
	if len(r.IDs) == 0 || units == 0 {
		return 0
	}
	return float64(events) / float64(units*len(r.IDs))
}

// words64 is ⌈H/64⌉, the uint64 words of one step's bitset of H units.
func words64(H int) int { return (H + 63) / 64 }

// Recorder is an Engine that records the Raster of another: after each
// Step it sets the bits of the wrapped engine's non-zero outputs, for the
// first MaxTokens steps since the last Reset. Everything else is the
// wrapped engine's, so scoring through a Recorder gives the same numbers
// bit for bit; an engine that is not wrapped pays nothing. Reset starts a
// new record (ScoreTokens and Generate reset first); ResetStream zeroes the
// state only and keeps the record.
type Recorder struct {
	Engine
	max    int
	raster Raster
}

// NewRecorder wraps e, recording at most maxTokens steps. It panics if
// e.Batch() != 1 or maxTokens < 1 (programmer errors: the caller checks
// its options).
func NewRecorder(e Engine, maxTokens int) *Recorder {
	if e.Batch() != 1 {
		panic(fmt.Sprintf("infer: NewRecorder: engine batch %d, want 1", e.Batch()))
	}
	if maxTokens < 1 {
		panic(fmt.Sprintf("infer: NewRecorder: maxTokens %d, want ≥ 1", maxTokens))
	}
	L := e.Layers()
	r := &Recorder{Engine: e, max: maxTokens,
		raster: Raster{units: make([]int, L), bits: make([][]uint64, L), events: make([]int, L)}}
	steps := min(maxTokens, preallocSteps)
	r.raster.IDs = make([]int32, 0, steps)
	for l := range L {
		H := len(e.Output(l))
		r.raster.units[l] = H
		r.raster.bits[l] = make([]uint64, 0, steps*words64(H))
	}
	return r
}

// preallocSteps is how many steps NewRecorder makes room for at most; a
// longer record grows as it goes.
const preallocSteps = 1024

// MaxTokens returns the most steps the recorder records after a Reset.
func (r *Recorder) MaxTokens() int { return r.max }

// Reset resets the wrapped engine and clears the record.
func (r *Recorder) Reset() {
	r.Engine.Reset()
	rs := &r.raster
	rs.IDs, rs.Seen = rs.IDs[:0], 0
	for l := range rs.bits {
		rs.bits[l] = rs.bits[l][:0]
		rs.events[l] = 0
	}
}

// Step runs the wrapped engine's Step, then records its outputs (see
// Recorder). It panics as the wrapped Step does.
func (r *Recorder) Step(ids []int32, logits []float32) {
	r.Engine.Step(ids, logits)
	rs := &r.raster
	rs.Seen++
	if len(rs.IDs) >= r.max {
		return
	}
	rs.IDs = append(rs.IDs, ids[0])
	for l, H := range rs.units {
		n := len(rs.bits[l])
		rs.bits[l] = append(rs.bits[l], make([]uint64, words64(H))...) // zeroed; no allocation within capacity
		row := rs.bits[l][n:]
		for j, v := range r.Engine.Output(l) {
			if v != 0 {
				row[j/64] |= 1 << (j % 64)
			}
		}
		for _, w := range row {
			rs.events[l] += bits.OnesCount64(w)
		}
	}
}

// Raster returns the record since the last Reset: the recorder's own,
// changed by the next Step or Reset.
func (r *Recorder) Raster() *Raster { return &r.raster }
