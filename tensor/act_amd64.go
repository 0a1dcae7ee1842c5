//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

// Assembly kernels (act_amd64.s). n is the number of elements; for the
// AVX2 kernels n must be a multiple of 8 (the Go wrappers below handle the
// tail through a small padded buffer), the AVX-512 kernels take any n ≥ 0
// and handle the tail with masked loads/stores. expShift* accepts a nil
// dst (sum only).

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func expShiftAVX512(dst, x *float32, n int, shift float32) float64

//go:noescape
func sigmoidAVX512(dst, x *float32, n int)

//go:noescape
func tanhAVX512(dst, x *float32, n int)

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func expShiftAVX2(dst, x *float32, n int, shift float32) float64

//go:noescape
func sigmoidAVX2(dst, x *float32, n int)

//go:noescape
func tanhAVX2(dst, x *float32, n int)

// actHasAVX512 reports whether the AVX-512 kernels can run.
func actHasAVX512() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasFMA }

// actHasAVX2 reports whether the AVX2 kernels can run.
func actHasAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

var actAVX512 = &actImpl{
	name: "avx512",
	max:  func(x []float32) float32 { return maxAVX512(&x[0], len(x)) },
	expShift: func(dst, x []float32, shift float32) float64 {
		if len(x) == 0 {
			return 0
		}
		var d *float32
		if dst != nil {
			d = &dst[0]
		}
		return expShiftAVX512(d, &x[0], len(x), shift)
	},
	sigmoid: func(dst, x []float32) {
		if len(x) > 0 {
			sigmoidAVX512(&dst[0], &x[0], len(x))
		}
	},
	tanh: func(dst, x []float32) {
		if len(x) > 0 {
			tanhAVX512(&dst[0], &x[0], len(x))
		}
	},
}

var actAVX2 = &actImpl{
	name: "avx2",
	max: func(x []float32) float32 {
		n := len(x) &^ 7
		if n == 0 {
			return maxGeneric(x)
		}
		m := maxAVX2(&x[0], n)
		if n < len(x) {
			m = actMaxMerge(m, maxGeneric(x[n:]))
		}
		return m
	},
	expShift: func(dst, x []float32, shift float32) float64 {
		n := len(x) &^ 7
		var s float64
		if n > 0 {
			var d *float32
			if dst != nil {
				d = &dst[0]
			}
			s = expShiftAVX2(d, &x[0], n, shift)
		}
		if n < len(x) {
			var buf [8]float32
			k := copy(buf[:], x[n:])
			expShiftAVX2(&buf[0], &buf[0], 8, shift)
			for _, v := range buf[:k] {
				s += float64(v)
			}
			if dst != nil {
				copy(dst[n:], buf[:k])
			}
		}
		return s
	},
	sigmoid: func(dst, x []float32) { actTail8(sigmoidAVX2, dst, x) },
	tanh:    func(dst, x []float32) { actTail8(tanhAVX2, dst, x) },
}

// actTail8 runs an 8-wide element-wise kernel over x, passing the last
// len(x)%8 elements through a zero-padded buffer.
func actTail8(f func(dst, x *float32, n int), dst, x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		f(&dst[0], &x[0], n)
	}
	if n < len(x) {
		var buf [8]float32
		k := copy(buf[:], x[n:])
		f(&buf[0], &buf[0], 8)
		copy(dst[n:], buf[:k])
	}
}

// actBest returns the fastest implementation this CPU supports.
func actBest() *actImpl {
	switch {
	case actHasAVX512():
		return actAVX512
	case actHasAVX2():
		return actAVX2
	}
	return actGeneric
}

// actAvailable lists every implementation usable on this machine.
func actAvailable() []*actImpl {
	l := []*actImpl{actGeneric}
	if actHasAVX2() {
		l = append(l, actAVX2)
	}
	if actHasAVX512() {
		l = append(l, actAVX512)
	}
	return l
}
