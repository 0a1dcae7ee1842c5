//go:build amd64 && !purego

package tensor

// Assembly vector kernels: they handle the first n rounded down to a whole
// number of vectors (16 floats for AVX-512, 8 for AVX2); makeVec's wrappers
// finish the tail in Go.

//go:noescape
func dotAVX512(x, y *float32, n int) float32

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX512(alpha float32, x *float32, n int)

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX2(alpha float32, x *float32, n int)

// axpy8AVX2 is eight fused Axpy steps on the first n&^7 elements
// (axpy8_amd64.s). It also serves the AVX-512 set, whose wrapper hands it
// n&^15 elements so that the columns fused and the tail left to Go are
// those of axpyAVX512 (the step is memory-bound: the width does not matter).
//
//go:noescape
func axpy8AVX2(a *[8]float32, w *[8]*float32, y *float32, n int)

var (
	avx512Vec = makeVec(16, dotAVX512, axpyAVX512, scaleAVX512, axpy8AVX2)
	avx2Vec   = makeVec(8, dotAVX2, axpyAVX2, scaleAVX2, axpy8AVX2)
)

func bestVec() vecKernels {
	switch {
	case hasAVX512():
		return avx512Vec
	case hasAVX2():
		return avx2Vec
	}
	return genericVec
}

// vecAvailable lists the vector kernels usable on this machine (for tests).
func vecAvailable() []namedVec {
	vs := []namedVec{{"generic", genericVec}}
	if hasAVX2() {
		vs = append(vs, namedVec{"avx2", avx2Vec})
	}
	if hasAVX512() {
		vs = append(vs, namedVec{"avx512", avx512Vec})
	}
	return vs
}
