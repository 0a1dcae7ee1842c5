package tensor

import "fmt"

// vecImpl selects the vector kernels; tests may swap it.
type vecKernels struct {
	dot   func(x, y []float32) float32
	axpy  func(alpha float32, x, y []float32)
	scale func(alpha float32, x []float32)
	// axpy4 is four Axpy steps in row order, y += a[0]·w0 + … + a[3]·w3,
	// with the bits of four axpy calls (see axpy4Generic).
	axpy4 func(a [4]float32, w0, w1, w2, w3, y []float32)
}

var genericVec = vecKernels{dotGeneric, axpyGeneric, scaleGeneric, axpy4Generic}

var vec = bestVec()

// Dot returns Σ x[i]·y[i]. It panics if len(x) != len(y).
func Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("tensor: Dot length mismatch %d != %d", len(x), len(y)))
	}
	return vec.dot(x, y)
}

// Axpy computes y += alpha·x. It panics if len(x) != len(y).
func Axpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("tensor: Axpy length mismatch %d != %d", len(x), len(y)))
	}
	vec.axpy(alpha, x, y)
}

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) {
	vec.scale(alpha, x)
}

type namedVec struct {
	name string
	k    vecKernels
}
