package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// hostLittleEndian reports whether the in-memory layout of numbers matches
// the file's little-endian layout, which allows sharing memory instead of
// converting element by element.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

type element interface {
	float32 | float64 | int32 | int64 | uint8
}

// F32 returns an F32 tensor holding v. It panics if the number of elements of
// shape differs from len(v). On little-endian hosts Data aliases v.
func F32(name string, shape []int, v []float32) Tensor { return makeTensor(name, DTypeF32, shape, v) }

// F64 returns an F64 tensor holding v. It panics if the number of elements of
// shape differs from len(v). On little-endian hosts Data aliases v.
func F64(name string, shape []int, v []float64) Tensor { return makeTensor(name, DTypeF64, shape, v) }

// I32 returns an I32 tensor holding v. It panics if the number of elements of
// shape differs from len(v). On little-endian hosts Data aliases v.
func I32(name string, shape []int, v []int32) Tensor { return makeTensor(name, DTypeI32, shape, v) }

// I64 returns an I64 tensor holding v. It panics if the number of elements of
// shape differs from len(v). On little-endian hosts Data aliases v.
func I64(name string, shape []int, v []int64) Tensor { return makeTensor(name, DTypeI64, shape, v) }

// U8 returns a U8 tensor holding v. It panics if the number of elements of
// shape differs from len(v). Data aliases v.
func U8(name string, shape []int, v []uint8) Tensor { return makeTensor(name, DTypeU8, shape, v) }

// Float32s returns the elements of an F32 tensor. The result aliases t.Data
// when the host is little-endian and Data is 4-byte aligned; otherwise it is
// a copy.
func (t Tensor) Float32s() ([]float32, error) { return view[float32](t, DTypeF32) }

// Float64s returns the elements of an F64 tensor, aliasing t.Data when
// possible (see Float32s).
func (t Tensor) Float64s() ([]float64, error) { return view[float64](t, DTypeF64) }

// Int32s returns the elements of an I32 tensor, aliasing t.Data when possible
// (see Float32s).
func (t Tensor) Int32s() ([]int32, error) { return view[int32](t, DTypeI32) }

// Int64s returns the elements of an I64 tensor, aliasing t.Data when possible
// (see Float32s).
func (t Tensor) Int64s() ([]int64, error) { return view[int64](t, DTypeI64) }

// Uint8s returns the elements of a U8 tensor; the result is t.Data itself.
func (t Tensor) Uint8s() ([]uint8, error) { return view[uint8](t, DTypeU8) }

func makeTensor[T element](name string, dt DType, shape []int, v []T) Tensor {
	n, err := NumElements(shape)
	if err != nil {
		panic(fmt.Sprintf("safetensors: tensor %q: %v", name, err))
	}
	if n != len(v) {
		panic(fmt.Sprintf("safetensors: tensor %q: shape %v has %d elements but %d values were given",
			name, shape, n, len(v)))
	}
	return Tensor{Name: name, DType: dt, Shape: append([]int{}, shape...), Data: toBytes(v)}
}

func toBytes[T element](v []T) []byte {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(v) == 0 {
		return []byte{}
	}
	if hostLittleEndian || size == 1 {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*size)
	}
	b := make([]byte, 0, len(v)*size)
	switch v := any(v).(type) {
	case []float32:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	case []float64:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	case []int32:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		}
	case []int64:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, uint64(x))
		}
	}
	return b
}

func view[T element](t Tensor, want DType) ([]T, error) {
	if t.DType != want {
		return nil, fmt.Errorf("safetensors: tensor %q has dtype %s, not %s", t.Name, t.DType, want)
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	n, err := NumElements(t.Shape)
	if err != nil {
		return nil, fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
	}
	if n > len(t.Data)/size || n*size != len(t.Data) {
		return nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d elements but data has %d bytes",
			t.Name, t.Shape, t.DType, n, len(t.Data))
	}
	if n == 0 {
		return []T{}, nil
	}
	p := unsafe.Pointer(unsafe.SliceData(t.Data))
	if (hostLittleEndian || size == 1) && uintptr(p)%unsafe.Alignof(zero) == 0 {
		return unsafe.Slice((*T)(p), n), nil
	}
	out := make([]T, n)
	b := t.Data
	switch out := any(out).(type) {
	case []float32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case []float64:
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case []int32:
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case []int64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
	return out, nil
}
