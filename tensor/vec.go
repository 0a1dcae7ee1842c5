package tensor

import "fmt"

// vecKernels are the vector kernels of one instruction set; vec holds the
// set in use, which tests may swap.
type vecKernels struct {
	dot   func(x, y []float32) float32
	axpy  func(alpha float32, x, y []float32)
	scale func(alpha float32, x []float32)
	// axpy8 is eight Axpy steps in row order, y += a[0]·w[0] + … +
	// a[7]·w[7], with the bits of eight axpy calls (see axpy8Generic).
	axpy8 func(a [8]float32, w [8][]float32, y []float32)
}

var genericVec = vecKernels{dotGeneric, axpyGeneric, scaleGeneric, axpy8Generic}

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
