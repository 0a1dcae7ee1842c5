//go:build arm64 && !purego

package tensor

// Assembly vector kernels (vec_neon_arm64.s): they handle the first n
// rounded down to a whole number of 4-float vectors; makeVec's wrappers
// finish the tail in Go.
//
// Rounding: the kernels add every product with one fused multiply-add, as
// the AVX2 ones do. The tails are the Go expressions of the generic kernels
// (y[i] += alpha*x[i]), which the arm64 compiler fuses into FMADDS (the Go
// spec allows it; vec_arm64_test.go checks the result), so unlike on amd64
// an Axpy is fused in every column and the vector width does not change
// its bits: Axpy, the eight-row Axpy and Scale give the same bits as the
// generic kernels compiled for arm64. Dot sums in its own order (eight
// 4-lane partial sums), like every Dot of another width.

//go:noescape
func dotNEON(x, y *float32, n int) float32

//go:noescape
func axpyNEON(alpha float32, x, y *float32, n int)

//go:noescape
func scaleNEON(alpha float32, x *float32, n int)

// axpy8NEON is eight fused Axpy steps on the first n&^3 elements, with the
// bits of eight axpyNEON calls.
//
//go:noescape
func axpy8NEON(a *[8]float32, w *[8]*float32, y *float32, n int)

// neonWidth is the number of floats in one NEON vector.
const neonWidth = 4

var neonVec = makeVec(neonWidth, dotNEON, axpyNEON, scaleNEON, axpy8NEON)

func bestVec() vecKernels { return neonVec }

// vecAvailable lists the vector kernels usable on this machine (for tests).
func vecAvailable() []namedVec {
	return []namedVec{{"generic", genericVec}, {"neon", neonVec}}
}
