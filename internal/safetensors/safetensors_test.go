package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func mustMarshal(t testing.TB, tensors []Tensor, md map[string]string) []byte {
	t.Helper()
	b, err := Marshal(tensors, md)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return b
}

func sampleTensors() []Tensor {
	bf16 := Tensor{Name: "half", DType: DTypeBF16, Shape: []int{3}, Data: []byte{0x80, 0x3f, 0x00, 0x40, 0x40, 0x40}}
	return []Tensor{
		F32("layer.0.weight", []int{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25}),
		F64("scale", []int{}, []float64{math.Pi}), // scalar
		I32("counts", []int{4}, []int32{-1, 0, 1, math.MaxInt32}),
		I64("rng.state", []int{2, 2}, []int64{math.MinInt64, -1, 42, math.MaxInt64}),
		U8("empty", []int{0}, nil),               // zero-size
		U8("empty3d", []int{3, 0, 2}, []uint8{}), // zero-size, rank 3
		U8("mask", []int{5}, []uint8{0, 1, 2, 254, 255}),
		bf16,
		F32("tail", []int{1}, []float32{7}),
	}
}

func TestRoundTrip(t *testing.T) {
	in := sampleTensors()
	md := map[string]string{"format": "pt", "quote\"and\\slash": "new\nline\t<&>", "unicode": "héllo ✓"}
	b := mustMarshal(t, in, md)

	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !reflect.DeepEqual(f.Metadata, md) {
		t.Errorf("metadata = %v, want %v", f.Metadata, md)
	}
	if len(f.Tensors) != len(in) {
		t.Fatalf("got %d tensors, want %d", len(f.Tensors), len(in))
	}
	// Zero-size tensors share an offset with their neighbour, so compare by
	// name rather than by position.
	for _, want := range in {
		got, ok := f.Get(want.Name)
		if !ok {
			t.Fatalf("tensor %q missing", want.Name)
		}
		if got.DType != want.DType || !reflect.DeepEqual(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tensor %q = %+v, want %+v", want.Name, got, want)
		}
	}
	if _, ok := f.Get("nope"); ok {
		t.Error("Get of a missing name succeeded")
	}

	w, _ := f.Get("layer.0.weight")
	fs, err := w.Float32s()
	if err != nil || !reflect.DeepEqual(fs, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25}) {
		t.Errorf("Float32s = %v, %v", fs, err)
	}
	s, _ := f.Get("scale")
	if ds, err := s.Float64s(); err != nil || len(ds) != 1 || ds[0] != math.Pi {
		t.Errorf("Float64s = %v, %v", ds, err)
	}
	c, _ := f.Get("counts")
	if is, err := c.Int32s(); err != nil || !reflect.DeepEqual(is, []int32{-1, 0, 1, math.MaxInt32}) {
		t.Errorf("Int32s = %v, %v", is, err)
	}
	r, _ := f.Get("rng.state")
	if is, err := r.Int64s(); err != nil || !reflect.DeepEqual(is, []int64{math.MinInt64, -1, 42, math.MaxInt64}) {
		t.Errorf("Int64s = %v, %v", is, err)
	}
	e, _ := f.Get("empty3d")
	if us, err := e.Uint8s(); err != nil || len(us) != 0 {
		t.Errorf("Uint8s of empty = %v, %v", us, err)
	}

	// Re-encoding the decoded file in offset order gives identical bytes.
	if b2 := mustMarshal(t, f.Tensors, f.Metadata); !bytes.Equal(b, b2) {
		t.Errorf("re-encoding changed the bytes")
	}
}

func TestRoundTripNoTensors(t *testing.T) {
	for _, md := range []map[string]string{nil, {}} {
		b := mustMarshal(t, nil, md)
		f, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if f.Metadata != nil || len(f.Tensors) != 0 {
			t.Errorf("got %+v", f)
		}
	}
}

func TestDecodeAcceptsAnyTensorOrder(t *testing.T) {
	// The reference writer orders tensors by dtype and name, not by offset;
	// header order must not matter.
	hdr := `{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`
	f, err := Decode(build(hdr, []byte{10, 20}))
	if err != nil {
		t.Fatal(err)
	}
	if f.Tensors[0].Name != "a" || f.Tensors[1].Name != "b" || f.Tensors[0].Data[0] != 10 || f.Tensors[1].Data[0] != 20 {
		t.Errorf("got %+v", f.Tensors)
	}
}

// TestGoldenReference checks Encode against byte vectors from the reference
// Rust implementation's own unit tests (safetensors/src/tensor.rs:
// test_serialization_forced_alignement and test_empty).
func TestGoldenReference(t *testing.T) {
	data := []float32{0, 1, 2, 3, 4, 5}
	got := mustMarshal(t, []Tensor{F32("attn0", []int{1, 1, 2, 3}, data)}, nil)
	want := []byte{
		72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
		121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
		91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
		115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
		32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
		160, 64,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("attn0:\n got %v\nwant %v", got, want)
	}

	got = mustMarshal(t, nil, nil)
	want = []byte{8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32}
	if !bytes.Equal(got, want) {
		t.Errorf("empty:\n got %v\nwant %v", got, want)
	}

	got = mustMarshal(t, nil, map[string]string{"framework": "pt"})
	want = []byte{
		40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
		95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
		116, 34, 125, 125, 32, 32, 32, 32, 32,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("metadata only:\n got %v\nwant %v", got, want)
	}
}

// goldenHeader is the hand-written header of the golden file below: compact
// JSON, "__metadata__" first, tensors in the order given, keys dtype, shape,
// data_offsets. It is 137 bytes long, so 7 spaces pad it to 144 = 0x90.
const goldenHeader = `{"__metadata__":{"step":"7"},` +
	`"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
	`"ids":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}`

// goldenFile is the hand-computed encoding of F32 w = [1, -2] (shape [2]) and
// the I64 scalar ids = 258 with metadata {"step": "7"}:
//
//	0x90 0 0 0 0 0 0 0         N = 144, little-endian u64
//	goldenHeader + 7 spaces    144 header bytes
//	00 00 80 3f                1.0f  = 0x3f800000, little-endian
//	00 00 00 c0                -2.0f = 0xc0000000
//	02 01 00 00 00 00 00 00    258   = 0x0102, little-endian i64
//
// 8 + 144 + 16 = 168 bytes in all.
func goldenFile() []byte {
	b := []byte{0x90, 0, 0, 0, 0, 0, 0, 0}
	b = append(b, goldenHeader+"       "...)
	b = append(b, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0)
	b = append(b, 0x02, 0x01, 0, 0, 0, 0, 0, 0)
	return b
}

func TestGoldenHandComputed(t *testing.T) {
	want := goldenFile()
	if len(goldenHeader) != 137 || len(want) != 168 {
		t.Fatalf("golden arithmetic is off: header %d, file %d", len(goldenHeader), len(want))
	}
	got := mustMarshal(t, []Tensor{
		F32("w", []int{2}, []float32{1, -2}),
		I64("ids", nil, []int64{258}),
	}, map[string]string{"step": "7"})
	if !bytes.Equal(got, want) {
		t.Errorf("Encode:\n got %q\nwant %q", got, want)
	}
	f, err := Decode(want)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := f.Get("w")
	ids, _ := f.Get("ids")
	fs, _ := w.Float32s()
	is, _ := ids.Int64s()
	if !reflect.DeepEqual(fs, []float32{1, -2}) || !reflect.DeepEqual(is, []int64{258}) || len(ids.Shape) != 0 ||
		f.Metadata["step"] != "7" {
		t.Errorf("Decode(golden) = %+v", f)
	}
}

// build assembles a file from a header string (not padded) and a buffer.
func build(header string, buf []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, buf...)
}

func withLen(n uint64, rest []byte) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

func TestDecodeTruncatedEverywhere(t *testing.T) {
	full := mustMarshal(t, sampleTensors(), map[string]string{"k": "v"})
	for i := 0; i < len(full); i++ {
		b := append([]byte{}, full[:i]...)
		f, err := Decode(b)
		if err == nil {
			t.Fatalf("truncation to %d of %d bytes decoded without error: %+v", i, len(full), f)
		}
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("truncation to %d: error %v does not wrap ErrFormat", i, err)
		}
	}
	// Appending a byte is an error too.
	if _, err := Decode(append(full, 0)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("extra trailing byte: err = %v", err)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	u8 := func(name string, begin, end int) string {
		return `"` + name + `":{"dtype":"U8","shape":[` + itoa(end-begin) + `],"data_offsets":[` + itoa(begin) + `,` + itoa(end) + `]}`
	}
	four := []byte{1, 2, 3, 4}
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "shorter than the 8-byte"},
		{"7 bytes", []byte{2, 0, 0, 0, 0, 0, 0}, "shorter than the 8-byte"},
		{"huge header length", withLen(1<<62, []byte("{}")), "exceeds the 100000000-byte limit"},
		{"max u64 header length", withLen(math.MaxUint64, []byte("{}")), "exceeds"},
		{"header length just over limit", withLen(MaxHeaderSize+1, []byte("{}")), "exceeds"},
		{"header length past end", withLen(3, []byte("{}")), "runs past the end"},
		{"zero header length", withLen(0, nil), "does not start with '{'"},
		{"header not utf8", build("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"header leading space", build(` {}`, nil), "does not start with '{'"},
		{"bad json", build(`{"a":`, nil), "not a valid JSON object"},
		{"bad json 2", build(`{"a" 1}`, nil), "not a valid JSON object"},
		{"trailing garbage", build(`{} x`, nil), "not a valid JSON object"},
		{"two objects", build(`{}{}`, nil), "after the header object"},
		{"tensor not object", build(`{"a":[1]}`, nil), `tensor "a": expected an object`},
		{"tensor null", build(`{"a":null}`, nil), `tensor "a": expected an object, found null`},
		{"duplicate tensor", build(`{`+u8("a", 0, 2)+`,`+u8("a", 2, 4)+`}`, four), `duplicate key "a"`},
		{"duplicate escaped tensor", build(`{`+u8("ab", 0, 2)+`,`+u8(`a\u0062`, 2, 4)+`}`, four), `duplicate key "ab"`},
		{"duplicate field", build(`{"a":{"dtype":"U8","dtype":"U8","shape":[4],"data_offsets":[0,4]}}`, four), `duplicate key "dtype"`},
		{"unknown dtype", build(`{"a":{"dtype":"F128","shape":[4],"data_offsets":[0,4]}}`, four), `tensor "a": unknown dtype "F128"`},
		{"sub-byte dtype", build(`{"a":{"dtype":"F4","shape":[8],"data_offsets":[0,4]}}`, four), `unknown dtype "F4"`},
		{"lowercase dtype", build(`{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, four), `unknown dtype "f32"`},
		{"dtype not string", build(`{"a":{"dtype":4,"shape":[4],"data_offsets":[0,4]}}`, four), `dtype is 4, not a string`},
		{"missing dtype", build(`{"a":{"shape":[4],"data_offsets":[0,4]}}`, four), `tensor "a": missing dtype`},
		{"missing shape", build(`{"a":{"dtype":"U8","data_offsets":[0,4]}}`, four), `missing shape`},
		{"missing offsets", build(`{"a":{"dtype":"U8","shape":[4]}}`, four), `missing data_offsets`},
		{"extra field", build(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4],"offsets":[0,4]}}`, four), `unexpected key "offsets"`},
		{"field wrong case", build(`{"a":{"DType":"U8","shape":[4],"data_offsets":[0,4]}}`, four), `unexpected key "DType"`},
		{"negative dim", build(`{"a":{"dtype":"U8","shape":[-4],"data_offsets":[0,4]}}`, four), `shape: element 0 (-4)`},
		{"fractional dim", build(`{"a":{"dtype":"U8","shape":[4.0],"data_offsets":[0,4]}}`, four), `shape: element 0 (4.0)`},
		{"exponent dim", build(`{"a":{"dtype":"U8","shape":[4e0],"data_offsets":[0,4]}}`, four), `shape: element 0 (4e0)`},
		{"null dim", build(`{"a":{"dtype":"U8","shape":[null],"data_offsets":[0,4]}}`, four), `shape: element 0 (null)`},
		{"null shape", build(`{"a":{"dtype":"U8","shape":null,"data_offsets":[0,4]}}`, four), `shape: is null`},
		{"string shape", build(`{"a":{"dtype":"U8","shape":"4","data_offsets":[0,4]}}`, four), `shape: "4" is not an array`},
		{"huge dim", build(`{"a":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,4]}}`, four), `shape: element 0`},
		{"shape overflow", build(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, four), `too many elements`},
		{"byte size overflow", build(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}`, four), `too large`},
		{"shape mismatch", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, four), `shape [2] of F32 needs 8 bytes but data_offsets [0, 4] span 4`},
		{"scalar mismatch", build(`{"a":{"dtype":"F64","shape":[],"data_offsets":[0,4]}}`, four), `shape [] of F64 needs 8 bytes`},
		{"one offset", build(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[4]}}`, four), `data_offsets has 1 elements`},
		{"three offsets", build(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4,4]}}`, four), `data_offsets has 3 elements`},
		{"negative offset", build(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[-1,3]}}`, four), `data_offsets: element 0 (-1)`},
		{"reversed offsets", build(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, four), `end before they begin`},
		{"offsets out of range", build(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}`, four), `run past the end of the 4-byte data buffer`},
		{"offsets far out of range", build(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[9223372036854775800,9223372036854775804]}}`, four), `run past the end`},
		{"overlap", build(`{`+u8("a", 0, 3)+`,`+u8("b", 2, 4)+`}`, four), `tensor "b": data_offsets [2, 4] overlap tensor "a", which ends at 3`},
		{"same offsets", build(`{`+u8("a", 0, 2)+`,`+u8("b", 0, 2)+`}`, []byte{1, 2}), `overlap`},
		{"zero-size inside other", build(`{`+u8("a", 0, 4)+`,`+u8("z", 2, 2)+`}`, four), `tensor "z": data_offsets [2, 2] overlap tensor "a"`},
		{"gap", build(`{`+u8("a", 0, 1)+`,`+u8("b", 2, 4)+`}`, four), `tensor "b": data_offsets [2, 4] leave a gap of 1 unused bytes at [1, 2)`},
		{"not starting at zero", build(`{`+u8("a", 1, 4)+`}`, four), `leave a gap of 1 unused bytes at [0, 1)`},
		{"uncovered tail", build(`{`+u8("a", 0, 3)+`}`, four), `1 trailing bytes not covered`},
		{"no tensors but data", build(`{}`, four), `4 trailing bytes`},
		{"metadata not object", build(`{"__metadata__":"x"}`, nil), `__metadata__: expected an object`},
		{"metadata non-string value", build(`{"__metadata__":{"epoch":3}}`, nil), `__metadata__: value of "epoch" is 3, not a string`},
		{"metadata null value", build(`{"__metadata__":{"epoch":null}}`, nil), `value of "epoch" is null`},
		{"metadata nested", build(`{"__metadata__":{"a":{"b":"c"}}}`, nil), `not a string`},
		{"metadata duplicate key", build(`{"__metadata__":{"a":"1","a":"2"}}`, nil), `duplicate key "a"`},
		{"metadata twice", build(`{"__metadata__":{},"__metadata__":{}}`, nil), `duplicate key "__metadata__"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Decode(c.file)
			if err == nil {
				t.Fatalf("decoded without error: %+v", f)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestDecodeLenientWhereReferenceIs(t *testing.T) {
	// Unpadded headers, whitespace inside and after the JSON, a null
	// "__metadata__" and zero-size tensors sharing an offset are all valid.
	hdr := "{ \"__metadata__\" : null , \"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\n" +
		`"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}` + " \n\t"
	f, err := Decode(build(hdr, []byte{1, 2}))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata != nil || len(f.Tensors) != 2 || f.Tensors[0].Name != "z" || len(f.Tensors[0].Data) != 0 {
		t.Errorf("got %+v", f)
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := F32("a", []int{1}, []float32{1})
	cases := []struct {
		name    string
		tensors []Tensor
		md      map[string]string
		want    string
	}{
		{"duplicate", []Tensor{ok, ok}, nil, `duplicate tensor name "a"`},
		{"reserved", []Tensor{F32("__metadata__", nil, []float32{1})}, nil, "reserved"},
		{"bad utf8 name", []Tensor{F32("\xff", nil, []float32{1})}, nil, "UTF-8"},
		{"bad utf8 metadata", []Tensor{ok}, map[string]string{"k": "\xff"}, "UTF-8"},
		{"short data", []Tensor{{Name: "b", DType: DTypeF32, Shape: []int{2}, Data: make([]byte, 7)}}, nil, `tensor "b": shape [2] of F32 needs 8 bytes, data has 7`},
		{"unknown dtype", []Tensor{{Name: "b", DType: "F4", Shape: []int{2}, Data: make([]byte, 1)}}, nil, `unknown dtype "F4"`},
		{"negative dim", []Tensor{{Name: "b", DType: DTypeU8, Shape: []int{-1}}}, nil, "negative dimension"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, c.tensors, c.md)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want mention of %q", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

func TestEncodeWriteError(t *testing.T) {
	err := Encode(failWriter{}, []Tensor{F32("a", []int{1}, []float32{1})}, nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestHelpersPanicOnShapeMismatch(t *testing.T) {
	for _, tc := range []struct {
		name, fragment string
		f              func()
	}{
		{"F32 short", `tensor "a": shape [2 2] has 4 elements but 3 values were given`, func() { F32("a", []int{2, 2}, []float32{1, 2, 3}) }},
		{"I64 long", `shape [1] has 1 elements but 2 values were given`, func() { I64("a", []int{1}, []int64{1, 2}) }},
		{"U8 scalar", `shape [] has 1 elements but 0 values were given`, func() { U8("a", []int{}, nil) }},
		{"F32 negative", `tensor "a": negative dimension -1`, func() { F32("a", []int{-1}, nil) }},
		{"F64 zero-size", `shape [0] has 0 elements but 1 values were given`, func() { F64("a", []int{0}, []float64{1}) }},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tc.fragment) {
					t.Errorf("%s: recovered %v, want a panic saying %q", tc.name, r, tc.fragment)
				}
			}()
			tc.f()
		}()
	}
}

func TestHelpersAlias(t *testing.T) {
	v := []float32{1, 2}
	tt := F32("a", []int{2}, v)
	if hostLittleEndian {
		v[0] = 5
		got, _ := tt.Float32s()
		if got[0] != 5 {
			t.Errorf("F32 did not alias its input on a little-endian host")
		}
		got[1] = 9
		if v[1] != 9 {
			t.Errorf("Float32s did not alias Data")
		}
	}
	shape := []int{2}
	tt = F32("a", shape, v)
	shape[0] = 7
	if tt.Shape[0] != 2 {
		t.Errorf("helper kept a reference to the caller's shape")
	}
}

func TestAccessorErrors(t *testing.T) {
	wantErr := func(what string, err error, fragment string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), fragment) {
			t.Errorf("%s: err = %v, want one containing %q", what, err, fragment)
		}
	}
	f := F32("a", []int{2}, []float32{1, 2})
	_, err := f.Int64s()
	wantErr("Int64s of F32", err, `tensor "a" has dtype F32, not I64`)
	_, err = f.Uint8s()
	wantErr("Uint8s of F32", err, `tensor "a" has dtype F32, not U8`)
	// Same element size, different type: the bits must not be reinterpreted.
	_, err = f.Int32s()
	wantErr("Int32s of F32", err, `tensor "a" has dtype F32, not I32`)
	_, err = I32("i", []int{1}, []int32{1}).Float32s()
	wantErr("Float32s of I32", err, `tensor "i" has dtype I32, not F32`)
	_, err = I64("j", []int{1}, []int64{1}).Float64s()
	wantErr("Float64s of I64", err, `tensor "j" has dtype I64, not F64`)
	_, err = F64("k", []int{1}, []float64{1}).Int64s()
	wantErr("Int64s of F64", err, `tensor "k" has dtype F64, not I64`)
	bf16 := Tensor{Name: "h", DType: DTypeBF16, Shape: []int{2}, Data: make([]byte, 4)}
	_, err = bf16.Float32s()
	wantErr("Float32s of BF16", err, `tensor "h" has dtype BF16, not F32`)

	bad := Tensor{Name: "b", DType: DTypeF32, Shape: []int{3}, Data: make([]byte, 8)}
	_, err = bad.Float32s()
	wantErr("12 bytes wanted, 8 given", err, `tensor "b": shape [3] of F32 needs 3 elements but data has 8 bytes`)
	odd := Tensor{Name: "c", DType: DTypeI64, Shape: []int{1}, Data: make([]byte, 9)}
	_, err = odd.Int64s()
	wantErr("9-byte I64", err, `tensor "c": shape [1] of I64 needs 1 elements but data has 9 bytes`)
	neg := Tensor{Name: "d", DType: DTypeU8, Shape: []int{-1}}
	_, err = neg.Uint8s()
	wantErr("negative shape", err, `tensor "d": negative dimension -1`)
}

// TestEncodeDeterministic: the same tensors and metadata always encode to
// the same bytes, metadata keys in sorted order as in the hand-written
// header below, so a checkpoint's SHA-256 does not change from run to run.
func TestEncodeDeterministic(t *testing.T) {
	md := map[string]string{}
	var want strings.Builder
	want.WriteString(`{"__metadata__":{`)
	for i, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		md[k] = strings.Repeat(k, i+1)
		if i > 0 {
			want.WriteString(",")
		}
		want.WriteString(`"` + k + `":"` + md[k] + `"`)
	}
	want.WriteString(`},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`)
	for want.Len()%8 != 0 {
		want.WriteString(" ")
	}
	tensors := []Tensor{U8("w", []int{1}, []uint8{7})}
	first := mustMarshal(t, tensors, md)
	if got := string(first[8 : len(first)-1]); got != want.String() {
		t.Errorf("header\n %s\nwant\n %s", got, want.String())
	}
	for i := 0; i < 5; i++ {
		if again := mustMarshal(t, tensors, md); !bytes.Equal(again, first) {
			t.Fatalf("encoding %d differs from the first", i+2)
		}
	}
}

// TestEncodeEscapesEveryControlCharacter: names and metadata may hold any
// byte below 0x20 (and '"', '\'); the header must stay valid JSON, use
// serde_json's escapes (\n and friends, \u00XX for the rest), and decode back
// to the same strings.
func TestEncodeEscapesEveryControlCharacter(t *testing.T) {
	var all []byte
	for c := byte(0); c < 0x20; c++ {
		all = append(all, c)
	}
	all = append(all, '"', '\\', 0x7f, 'x')
	name, value := "t"+string(all), "v"+string(all)
	b := mustMarshal(t, []Tensor{U8(name, []int{1}, []uint8{1})}, map[string]string{"k" + string(all): value})
	header := b[8 : 8+binary.LittleEndian.Uint64(b)]
	if !json.Valid(header) {
		t.Fatalf("header is not valid JSON: %q", header)
	}
	for _, esc := range []string{`\u0000`, `\u0007`, `\b`, `\t`, `\n`, `\u000b`, `\f`, `\r`, `\u001f`, `\"`, `\\`} {
		if !bytes.Contains(header, []byte(esc)) {
			t.Errorf("header lacks the escape %s: %q", esc, header)
		}
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Get(name); !ok || f.Metadata["k"+string(all)] != value {
		t.Errorf("round trip changed the names or values: %+v", f)
	}
}

func TestAccessorsUnaligned(t *testing.T) {
	raw := make([]byte, 1+16)
	binary.LittleEndian.PutUint32(raw[1:], math.Float32bits(1.5))
	binary.LittleEndian.PutUint32(raw[5:], math.Float32bits(-3))
	f32 := Tensor{Name: "f", DType: DTypeF32, Shape: []int{2}, Data: raw[1:9]}
	if got, err := f32.Float32s(); err != nil || !reflect.DeepEqual(got, []float32{1.5, -3}) {
		t.Errorf("unaligned Float32s = %v, %v", got, err)
	}
	binary.LittleEndian.PutUint64(raw[1:], uint64(math.MaxInt64-1))
	i64 := Tensor{Name: "i", DType: DTypeI64, Shape: []int{}, Data: raw[1:9]}
	if got, err := i64.Int64s(); err != nil || !reflect.DeepEqual(got, []int64{math.MaxInt64 - 1}) {
		t.Errorf("unaligned Int64s = %v, %v", got, err)
	}
	binary.LittleEndian.PutUint64(raw[1:], math.Float64bits(-0.5))
	f64 := Tensor{Name: "g", DType: DTypeF64, Shape: []int{1}, Data: raw[1:9]}
	if got, err := f64.Float64s(); err != nil || !reflect.DeepEqual(got, []float64{-0.5}) {
		t.Errorf("unaligned Float64s = %v, %v", got, err)
	}
	binary.LittleEndian.PutUint32(raw[1:], uint32(0xfffffffe))
	i32 := Tensor{Name: "h", DType: DTypeI32, Shape: []int{1}, Data: raw[1:5]}
	if got, err := i32.Int32s(); err != nil || !reflect.DeepEqual(got, []int32{-2}) {
		t.Errorf("unaligned Int32s = %v, %v", got, err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := os.WriteFile(path, goldenFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Get("ids"); !ok {
		t.Error("ids missing")
	}

	missing := filepath.Join(dir, "nope.safetensors")
	if _, err := ReadFile(missing); err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(path, goldenFile()[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrFormat) {
		t.Errorf("truncated file: %v", err)
	}
}

// TestPythonInterop writes a file and loads it in Python: with the
// reference safetensors package where it is installed, else with the
// built-in reader of tools/sparselm_torch.py, which checks the format's rules
// first (Debian ships no safetensors package, but python3-torch, which .ci/run
// installs). It is skipped when /usr/bin/python3 (or python3) has neither,
// unless SPARSELM_REQUIRE_TORCH is set (.ci/run sets it once torch is there).
func TestPythonInterop(t *testing.T) {
	py, reader := "", ""
	for _, name := range []string{"/usr/bin/python3", "python3"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if exec.Command(p, "-c", "import safetensors.numpy, numpy").Run() == nil {
			py, reader = p, "safetensors"
			break
		}
		if py == "" && exec.Command(p, "-c", "import torch, numpy").Run() == nil {
			py, reader = p, "builtin"
		}
	}
	if py == "" {
		msg := "no python3 with safetensors and numpy, or torch and numpy (apt-get install python3-torch python3-numpy)"
		if os.Getenv("SPARSELM_REQUIRE_TORCH") != "" {
			t.Fatal("SPARSELM_REQUIRE_TORCH is set, but " + msg)
		}
		t.Skip(msg)
	}
	t.Logf("%s reads the file with the %s reader", py, reader)
	tools, err := filepath.Abs(filepath.Join("..", "..", "tools"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "interop.safetensors")
	var tensors []Tensor // numpy has no bfloat16, so leave BF16 out
	for _, tt := range sampleTensors() {
		if tt.DType != DTypeBF16 {
			tensors = append(tensors, tt)
		}
	}
	b := mustMarshal(t, tensors, map[string]string{"format": "pt", "step": "12"})
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Print each tensor's dtype, shape and raw little-endian bytes, plus
	// the metadata, and compare with what we wrote.
	script := `
import sys, json, numpy as np
if sys.argv[2] == "safetensors":
    from safetensors import safe_open
    from safetensors.numpy import load_file
    d = load_file(sys.argv[1])
    with safe_open(sys.argv[1], framework="np") as f:
        md = f.metadata()
else:
    sys.dont_write_bytecode = True
    sys.path.insert(0, sys.argv[3])
    import sparselm_torch
    d, md = sparselm_torch.read_safetensors(sys.argv[1])
    d = {k: v.numpy() for k, v in d.items()}
out = {"metadata": md, "tensors": {}}
for k, v in d.items():
    out["tensors"][k] = {"shape": list(v.shape), "hex": v.astype(v.dtype.newbyteorder("<")).tobytes().hex()}
print(json.dumps(out))
`
	cmd := exec.Command(py, "-c", script, path, reader, tools)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python failed: %v\n%s", err, stderr.Bytes())
	}
	var got struct {
		Metadata map[string]string `json:"metadata"`
		Tensors  map[string]struct {
			Shape []int  `json:"shape"`
			Hex   string `json:"hex"`
		} `json:"tensors"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("bad python output %q: %v", out, err)
	}
	if got.Metadata["step"] != "12" || got.Metadata["format"] != "pt" {
		t.Errorf("python metadata = %v", got.Metadata)
	}
	for _, want := range tensors {
		g, ok := got.Tensors[want.Name]
		if !ok {
			t.Errorf("python did not load %q", want.Name)
			continue
		}
		if len(g.Shape) != len(want.Shape) || (len(want.Shape) > 0 && !reflect.DeepEqual(g.Shape, want.Shape)) {
			t.Errorf("%q: python shape %v, want %v", want.Name, g.Shape, want.Shape)
		}
		if g.Hex != hex.EncodeToString(want.Data) {
			t.Errorf("%q: python bytes %s, want %s", want.Name, g.Hex, hex.EncodeToString(want.Data))
		}
	}
	if len(got.Tensors) != len(tensors) {
		t.Errorf("python loaded %d tensors", len(got.Tensors))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
