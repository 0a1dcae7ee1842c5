package model

import (
	"unsafe"

	"github.com/sparselm/sparselm/tensor"
)

// Float is the element type of the model: float32 for training and inference,
// float64 for gradient checks.
type Float interface {
	~float32 | ~float64
}

// gemm computes C = alpha·op(A)·op(B) + beta·C (see tensor.Gemm) for either
// float type. The float32 case goes to the SIMD kernel; the conversion by
// unsafe reinterprets the slice headers of the one instantiation that has
// 4-byte elements, which avoids boxing slices in interfaces on the hot path.
func gemm[F Float](transA, transB bool, m, n, k int, alpha F, a []F, lda int, b []F, ldb int, beta F, c []F, ldc int) {
	if unsafe.Sizeof(alpha) == 4 {
		tensor.Gemm(transA, transB, m, n, k, float32(alpha),
			*(*[]float32)(unsafe.Pointer(&a)), lda,
			*(*[]float32)(unsafe.Pointer(&b)), ldb, float32(beta),
			*(*[]float32)(unsafe.Pointer(&c)), ldc)
		return
	}
	tensor.Gemm64(transA, transB, m, n, k, float64(alpha),
		*(*[]float64)(unsafe.Pointer(&a)), lda,
		*(*[]float64)(unsafe.Pointer(&b)), ldb, float64(beta),
		*(*[]float64)(unsafe.Pointer(&c)), ldc)
}

// stepMat is a matrix that multiplies a new left operand at every step of a
// window (an RNN's recurrent matrix). For float32 it is packed once per
// window for the GEMM kernel (tensor.PackedB) instead of at every step; the
// products are bit-identical to matmul / matmulTB either way.
type stepMat[F Float] struct {
	trans bool
	k, n  int
	b     []F
	p     tensor.PackedB
}

// set makes the matrix op(b) [k×n]: b is [k×n], or [n×k] with trans. Call
// it again whenever b changes.
func (s *stepMat[F]) set(b []F, k, n int, trans bool) {
	s.b, s.k, s.n, s.trans = b, k, n, trans
	if bs, ok := f32(b); ok {
		ld := n
		if trans {
			ld = k
		}
		s.p.Set(trans, k, n, bs, ld)
	}
}

// mul computes C [m×n] = A [m×k]·op(b) (accumulate adds to C instead).
func (s *stepMat[F]) mul(c, a []F, m int, accumulate bool) {
	if as, ok := f32(a); ok {
		cs, _ := f32(c)
		tensor.GemmPacked(false, m, 1, as, s.k, &s.p, float32(beta[F](accumulate)), cs, s.n)
		return
	}
	if s.trans {
		matmulTB(c, a, s.b, m, s.k, s.n, accumulate)
	} else {
		matmul(c, a, s.b, m, s.k, s.n, accumulate)
	}
}

// prepare packs the matrix now, before mulSerial runs on several goroutines.
func (s *stepMat[F]) prepare() {
	if _, ok := f32(s.b); ok {
		s.p.Pack()
	}
}

// mulSerial is mul on the calling goroutine alone (inside a tensor.Parallel
// body): products of ranges of rows give the bits of the whole product by
// mul when m ≥ 4 (see tensor.GemmPackedSerial).
func (s *stepMat[F]) mulSerial(c, a []F, m int, accumulate bool) {
	if as, ok := f32(a); ok {
		cs, _ := f32(c)
		tensor.GemmPackedSerial(false, m, 1, as, s.k, &s.p, float32(beta[F](accumulate)), cs, s.n)
		return
	}
	s.mul(c, a, m, accumulate)
}

// mulRows is mulSerial when serial (a range of batch rows inside a
// tensor.Parallel body), mul otherwise: the recurrent product of a step.
func (s *stepMat[F]) mulRows(serial bool, c, a []F, m int, accumulate bool) {
	if serial {
		s.mulSerial(c, a, m, accumulate)
		return
	}
	s.mul(c, a, m, accumulate)
}

// splitBatch reports whether the steps of a window run as ranges of batch
// rows on separate goroutines (each range through all T steps, without a
// hand-off per step). Only float32 splits; B ≥ 8 keeps the unsplit product
// on the tiled GEMM path (m ≥ 4), whose bits the row ranges reproduce.
func splitBatch[F Float](B int) bool {
	var z F
	return unsafe.Sizeof(z) == 4 && tensor.Threads() > 1 && B >= 2*minRowsPerPart
}

// minRowsPerPart is the least number of batch rows a goroutine takes.
const minRowsPerPart = 4

// rowStepper is a recurrent layer whose time steps can run on a range of
// batch rows independently of the other rows.
type rowStepper interface {
	forwardRows(t, b0, b1 int, serial bool)
	backwardRows(t, b0, b1 int, serial bool)
}

// windowSteps runs the T steps of a window through a layer, forward (t
// ascending) or backward (t descending).
type windowSteps struct {
	l        rowStepper
	T        int
	backward bool
}

// Range runs all steps for the batch rows b0..b1-1 on this goroutine (a
// tensor.Parallel body).
func (w *windowSteps) Range(b0, b1 int) { w.run(b0, b1, true) }

func (w *windowSteps) run(b0, b1 int, serial bool) {
	if w.backward {
		for t := w.T - 1; t >= 0; t-- {
			w.l.backwardRows(t, b0, b1, serial)
		}
		return
	}
	for t := 0; t < w.T; t++ {
		w.l.forwardRows(t, b0, b1, serial)
	}
}

// runSteps runs the steps of a window over B batch rows whose recurrent
// matrix is rm: split into ranges of rows on separate goroutines when
// splitBatch says so (after packing rm, which the ranges share), otherwise
// on all rows at once with multi-threaded products.
func runSteps[F Float](w *windowSteps, rm *stepMat[F], B int) {
	if splitBatch[F](B) {
		rm.prepare()
		tensor.Parallel(B, minRowsPerPart, w)
		return
	}
	w.run(0, B, false)
}

// matmul computes C [m×n] = A [m×k] · B [k×n] (accumulate adds to C instead).
func matmul[F Float](c, a, b []F, m, k, n int, accumulate bool) {
	gemm(false, false, m, n, k, 1, a, k, b, n, beta[F](accumulate), c, n)
}

// matmulTA computes C [m×n] = Aᵀ · B for A [k×m] and B [k×n].
func matmulTA[F Float](c, a, b []F, m, k, n int, accumulate bool) {
	gemm(true, false, m, n, k, 1, a, m, b, n, beta[F](accumulate), c, n)
}

// matmulTB computes C [m×n] = A · Bᵀ for A [m×k] and B [n×k].
func matmulTB[F Float](c, a, b []F, m, k, n int, accumulate bool) {
	gemm(false, true, m, n, k, 1, a, k, b, k, beta[F](accumulate), c, n)
}

func beta[F Float](accumulate bool) F {
	if accumulate {
		return 1
	}
	return 0
}

// addBias adds bias [n] to every row of x [rows×n].
func addBias[F Float](x, bias []F) {
	if xs, ok := f32(x); ok {
		bs, _ := f32(bias)
		tensor.AddRows(xs, bs)
		return
	}
	n := len(bias)
	for r := 0; r+n <= len(x); r += n {
		row := x[r : r+n]
		for j := range row {
			row[j] += bias[j]
		}
	}
}

// f32ok reports whether x is float32 (the instantiation with SIMD kernels).
func f32ok[F Float](x []F) bool {
	_, ok := f32(x)
	return ok
}

// lstmCellBackward32 is tensor.LSTMCellBackward for the float32
// instantiation (the caller checks f32ok); its arithmetic is the model's
// generic loop's, so both instantiations agree.
func lstmCellBackward32[F Float](g, dg, dout, dnext, dcell, tc, cprev []F) {
	tensor.LSTMCellBackward(as32(g), as32(dg), as32(dout), as32(dnext), as32(dcell), as32(tc), as32(cprev))
}

// egruCellBackward32 is tensor.EGRUCellBackward for the float32
// instantiation (the caller checks f32ok); its arithmetic is the model's
// generic loop's, so both instantiations agree.
func egruCellBackward32[F Float](g, dp, dr, dy, dnext, dcell, chat, o, cprev, zr, theta, dth []F, activityGrad, height, slope F) {
	tensor.EGRUCellBackward(as32(g), as32(dp), as32(dr), as32(dy), as32(dnext), as32(dcell), as32(chat), as32(o), as32(cprev),
		as32(zr), as32(theta), as32(dth),
		float32(activityGrad), float32(height), float32(slope))
}

// egruCellForward32 is tensor.EGRUCellForward for the float32
// instantiation (the caller checks f32ok and that the step is Heaviside's).
func egruCellForward32[F Float](g, rec, brz, zr, cprev, theta, chat, o, y, c []F) {
	tensor.EGRUCellForward(as32(g), as32(rec), as32(brz), as32(zr), as32(cprev), as32(theta), as32(chat), as32(o), as32(y), as32(c))
}

// addTo adds src to dst element-wise (one goroutine).
func addTo[F Float](dst, src []F) {
	if ds, ok := f32(dst); ok {
		ss, _ := f32(src)
		tensor.Axpy(1, ss, ds)
		return
	}
	for j := range dst {
		dst[j] += src[j]
	}
}

// addColumnSums adds the column sums of x [rows×n] to sum [n].
func addColumnSums[F Float](sum, x []F) {
	if xs, ok := f32(x); ok {
		ss, _ := f32(sum)
		tensor.AddColumnSums(ss, xs)
		return
	}
	n := len(sum)
	for r := 0; r+n <= len(x); r += n {
		row := x[r : r+n]
		for j := range row {
			sum[j] += row[j]
		}
	}
}

// grow returns buf resized to n elements, reusing its storage when it is large enough.
// The contents are not cleared.
func grow[F any](buf []F, n int) []F {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]F, n)
}

// scaleSlice multiplies x by alpha in place.
func scaleSlice[F Float](x []F, alpha F) {
	if xs, ok := f32(x); ok {
		tensor.Scale(float32(alpha), xs)
		return
	}
	for i := range x {
		x[i] *= alpha
	}
}
