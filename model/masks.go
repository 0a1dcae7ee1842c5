package model

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/sparselm/sparselm/tensor"
)

// The dropout masks of a training window are drawn from one PCG stream, one
// Uint64 per element in element order: element i is dropped when the low 53
// bits of its number, read as a fraction of 2^53, fall below p. That is
// exactly `rand.New(src).Float64() < p`, the draw of the earlier serial
// loop, so checkpoints and resumed runs keep their bits.
//
// DropConnect masks are large (the small preset draws 2·256·1024 numbers
// per window, a few ms on one core), so they are filled by all threads:
// PCG's state advances by a 128-bit linear congruential step, which can
// jump ahead by any count in O(log count) multiplications (F. B. Brown,
// "Random number generation with arbitrary strides", 1994), so each
// goroutine starts its range of elements at the state the serial loop would
// have reached there. The mask does not depend on the thread count.

// pcgMul and pcgInc are math/rand/v2's PCG constants (its state is
// state·mul + inc mod 2^128 per number).
const (
	pcgMulHi, pcgMulLo = 2549297995355413924, 4865540595714422341
	pcgIncHi, pcgIncLo = 6364136223846793005, 1442695040888963407
)

// u128 is an unsigned 128-bit integer, arithmetic modulo 2^128.
type u128 struct{ hi, lo uint64 }

func (a u128) mul(b u128) u128 {
	hi, lo := bits.Mul64(a.lo, b.lo)
	return u128{hi + a.hi*b.lo + a.lo*b.hi, lo}
}

func (a u128) add(b u128) u128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c)
	return u128{hi, lo}
}

// pcgAdvance returns the PCG state n numbers after s.
func pcgAdvance(s u128, n uint64) u128 {
	mul, inc := u128{pcgMulHi, pcgMulLo}, u128{pcgIncHi, pcgIncLo}
	accMul, accInc := u128{0, 1}, u128{}
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			accMul = accMul.mul(mul)
			accInc = accInc.mul(mul).add(inc)
		}
		inc = mul.add(u128{0, 1}).mul(inc)
		mul = mul.mul(mul)
	}
	return accMul.mul(s).add(accInc)
}

// pcgState reads src's state; setPCGState writes it.
func pcgState(src *rand.PCG) u128 {
	var buf [20]byte
	b, _ := src.AppendBinary(buf[:0])
	return u128{binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])}
}

func setPCGState(src *rand.PCG, s u128) {
	var b [20]byte
	copy(b[:], "pcg:")
	binary.BigEndian.PutUint64(b[4:], s.hi)
	binary.BigEndian.PutUint64(b[12:], s.lo)
	if err := src.UnmarshalBinary(b[:]); err != nil {
		panic("model: PCG state: " + err.Error()) // the format is math/rand/v2's own
	}
}

// dropThreshold is the integer form of the test Float64() < p: with x the
// low 53 bits of the number, x/2^53 < p exactly when x < ⌈p·2^53⌉ (p·2^53
// is exact in float64, a power-of-two scaling).
func dropThreshold(p float64) uint64 {
	return uint64(math.Ceil(p * (1 << 53)))
}

// maskBlock is the number of elements per goroutine task of a parallel
// fill: below it one goroutine draws them all.
const maskBlock = 1 << 14

// draw sets mask[i] to 0 with probability p and to 1/(1−p) otherwise,
// drawing len(mask) numbers from src. With r non-nil it also writes
// dropped[i] = r[i]·mask[i] (DropConnect's R⊙M/(1−p)). j is the caller's
// long-lived scratch, so that handing it to tensor.Parallel allocates
// nothing.
func (j *maskJob[F]) draw(mask []F, p float64, src *rand.PCG, r, dropped []F) {
	*j = maskJob[F]{mask: mask, r: r, dropped: dropped, keep: F(1 / (1 - p)), t: dropThreshold(p)}
	defer func() { j.mask, j.r, j.dropped = nil, nil, nil }()
	n := len(mask)
	if n < 2*maskBlock || tensor.Threads() == 1 {
		j.fill(0, n, src)
		return
	}
	j.s0 = pcgState(src)
	tensor.Parallel((n+maskBlock-1)/maskBlock, 1, j)
	setPCGState(src, pcgAdvance(j.s0, uint64(n)))
}

// maskJob draws dropout masks, in blocks when it is a tensor.Parallel body.
type maskJob[F Float] struct {
	mask, r, dropped []F
	keep             F
	t                uint64
	s0               u128 // the stream's state before the mask's first number
}

func (j *maskJob[F]) Range(lo, hi int) {
	i0, i1 := lo*maskBlock, min(hi*maskBlock, len(j.mask))
	var src rand.PCG
	setPCGState(&src, pcgAdvance(j.s0, uint64(i0)))
	j.fill(i0, i1, &src)
}

// fill draws elements i0..i1-1 from src, which stands at element i0.
func (j *maskJob[F]) fill(i0, i1 int, src *rand.PCG) {
	const low53 = 1<<53 - 1
	for i := i0; i < i1; i++ {
		if src.Uint64()&low53 < j.t {
			j.mask[i] = 0
		} else {
			j.mask[i] = j.keep
		}
	}
	if j.r != nil {
		for i := i0; i < i1; i++ {
			j.dropped[i] = j.r[i] * j.mask[i]
		}
	}
}
