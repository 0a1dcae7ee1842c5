package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// MaxHeaderSize is the largest header length N that Decode accepts; it is the
// reference implementation's MAX_HEADER_SIZE (100 MB).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the free-form string map.
const metadataKey = "__metadata__"

// ErrFormat is wrapped by every error Decode (and ReadFile) returns for a
// malformed file; test for it with errors.Is.
var ErrFormat = errors.New("safetensors: malformed file")

// DType is a safetensors element type, spelled as in the file header ("F32").
type DType string

// The element types understood by this package: all fixed-width types of the
// reference implementation. Sub-byte types (F4, F6_E2M3, F6_E3M2) are not
// supported and are rejected as unknown.
const (
	DTypeBool       DType = "BOOL"
	DTypeU8         DType = "U8"
	DTypeI8         DType = "I8"
	DTypeF8E5M2     DType = "F8_E5M2"
	DTypeF8E4M3     DType = "F8_E4M3"
	DTypeF8E8M0     DType = "F8_E8M0"
	DTypeF8E4M3FNUZ DType = "F8_E4M3FNUZ"
	DTypeF8E5M2FNUZ DType = "F8_E5M2FNUZ"
	DTypeI16        DType = "I16"
	DTypeU16        DType = "U16"
	DTypeF16        DType = "F16"
	DTypeBF16       DType = "BF16"
	DTypeI32        DType = "I32"
	DTypeU32        DType = "U32"
	DTypeF32        DType = "F32"
	DTypeF64        DType = "F64"
	DTypeI64        DType = "I64"
	DTypeU64        DType = "U64"
	DTypeC64        DType = "C64"
)

var dtypeSizes = map[DType]int{
	DTypeBool: 1, DTypeU8: 1, DTypeI8: 1, DTypeF8E5M2: 1, DTypeF8E4M3: 1, DTypeF8E8M0: 1,
	DTypeF8E4M3FNUZ: 1, DTypeF8E5M2FNUZ: 1,
	DTypeI16: 2, DTypeU16: 2, DTypeF16: 2, DTypeBF16: 2,
	DTypeI32: 4, DTypeU32: 4, DTypeF32: 4,
	DTypeF64: 8, DTypeI64: 8, DTypeU64: 8, DTypeC64: 8,
}

// Size returns the size in bytes of one element of d, or 0 if d is not a
// supported dtype.
func (d DType) Size() int { return dtypeSizes[d] }

// Tensor is one named tensor: its element type, its shape (row-major; an
// empty shape is a scalar holding one element) and its raw little-endian
// bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// File is a decoded safetensors file.
type File struct {
	// Metadata is the "__metadata__" map; nil when the file has none.
	Metadata map[string]string
	// Tensors lists the tensors in the order of their data offsets.
	Tensors []Tensor
}

// Get returns the tensor called name and whether it exists.
func (f *File) Get(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// NumElements returns the number of elements the shape describes (1 for a
// scalar), or an error if a dimension is negative or the product overflows.
func NumElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n = int(lo)
	}
	return n, nil
}

// byteSize returns product(shape) × dtype size with overflow checks.
func byteSize(dt DType, shape []int) (int, error) {
	size := dt.Size()
	if size == 0 {
		return 0, fmt.Errorf("unknown dtype %q", string(dt))
	}
	n, err := NumElements(shape)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt/size {
		return 0, fmt.Errorf("shape %v of %s is too large", shape, dt)
	}
	return n * size, nil
}

// ---------------------------------------------------------------- encoding

// Encode writes a safetensors file holding tensors, in the given order, and
// metadata (nil or empty means no "__metadata__" entry) to w.
//
// Tensor names must be unique, valid UTF-8 and not "__metadata__"; each
// tensor's dtype must be supported and len(Data) must equal the number of
// elements of Shape times the dtype size. Everything is validated before
// anything is written, so a validation error leaves w untouched.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := bw.Write(n[:]); err != nil {
		return fmt.Errorf("safetensors: write header: %w", err)
	}
	if _, err := bw.Write(header); err != nil {
		return fmt.Errorf("safetensors: write header: %w", err)
	}
	for _, t := range tensors {
		if _, err := bw.Write(t.Data); err != nil {
			return fmt.Errorf("safetensors: write tensor %q: %w", t.Name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	return nil
}

// Marshal returns the bytes Encode would write.
func Marshal(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	if err := Encode(&buf, tensors, metadata); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeHeader validates tensors and metadata and returns the space-padded
// JSON header, byte-compatible with what the reference serializer emits for
// the same tensor order.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var h []byte
	h = append(h, '{')
	first := true
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("safetensors: metadata entry %q is not valid UTF-8", k)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h = appendJSONString(h, metadataKey)
		h = append(h, ':', '{')
		for i, k := range keys {
			if i > 0 {
				h = append(h, ',')
			}
			h = appendJSONString(h, k)
			h = append(h, ':')
			h = appendJSONString(h, metadata[k])
		}
		h = append(h, '}')
		first = false
	}
	seen := make(map[string]bool, len(tensors))
	offset := 0
	for _, t := range tensors {
		switch {
		case t.Name == metadataKey:
			return nil, fmt.Errorf("safetensors: tensor name %q is reserved", t.Name)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("safetensors: tensor name %q is not valid UTF-8", t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("safetensors: duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		nbytes, err := byteSize(t.DType, t.Shape)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
		}
		if nbytes != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, data has %d",
				t.Name, t.Shape, t.DType, nbytes, len(t.Data))
		}
		if offset > math.MaxInt-nbytes {
			return nil, errors.New("safetensors: total tensor data too large")
		}
		if !first {
			h = append(h, ',')
		}
		first = false
		h = appendJSONString(h, t.Name)
		h = append(h, `:{"dtype":`...)
		h = appendJSONString(h, string(t.DType))
		h = append(h, `,"shape":[`...)
		for i, d := range t.Shape {
			if i > 0 {
				h = append(h, ',')
			}
			h = strconv.AppendInt(h, int64(d), 10)
		}
		h = append(h, `],"data_offsets":[`...)
		h = strconv.AppendInt(h, int64(offset), 10)
		h = append(h, ',')
		offset += nbytes
		h = strconv.AppendInt(h, int64(offset), 10)
		h = append(h, ']', '}')
	}
	h = append(h, '}')
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	return h, nil
}

// appendJSONString appends s as a JSON string, escaping exactly what
// serde_json escapes: '"', '\\' and control characters below 0x20.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// ---------------------------------------------------------------- decoding

// ReadFile reads and decodes the safetensors file at path. Errors mention the
// path.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Decode parses and validates a whole safetensors file held in b. See the
// package documentation for the rules it enforces. The returned tensors' Data
// slices alias b.
func Decode(b []byte) (*File, error) {
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return f, nil
}

type entry struct {
	key string
	raw json.RawMessage
}

type tensorInfo struct {
	Tensor
	begin, end int
	index      int
}

func decode(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length prefix", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("header length %d runs past the end of the %d-byte file (truncated?)", n, len(b))
	}
	header := b[8 : 8+n]
	buf := b[8+n:]
	if !utf8.Valid(header) {
		return nil, errors.New("header is not valid UTF-8")
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, errors.New("header does not start with '{'")
	}
	entries, err := parseObject(header, true)
	if err != nil {
		return nil, fmt.Errorf("header is not a valid JSON object: %w", err)
	}

	f := &File{}
	infos := make([]tensorInfo, 0, len(entries))
	for _, e := range entries {
		if e.key == metadataKey {
			md, err := parseMetadata(e.raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", metadataKey, err)
			}
			f.Metadata = md
			continue
		}
		ti, err := parseTensorInfo(e.raw, len(buf))
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", e.key, err)
		}
		ti.Name = e.key
		ti.index = len(infos)
		infos = append(infos, ti)
	}

	// Tensors must tile the buffer exactly in offset order.
	slices.SortStableFunc(infos, func(x, y tensorInfo) int {
		if x.begin != y.begin {
			return x.begin - y.begin
		}
		return x.end - y.end
	})
	next := 0
	prev := ""
	for _, ti := range infos {
		switch {
		case ti.begin > next:
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap of %d unused bytes at [%d, %d)",
				ti.Name, ti.begin, ti.end, ti.begin-next, next, ti.begin)
		case ti.begin < next:
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d",
				ti.Name, ti.begin, ti.end, prev, next)
		}
		next, prev = ti.end, ti.Name
	}
	if next != len(buf) {
		return nil, fmt.Errorf("tensor data ends at offset %d but the data buffer is %d bytes (%d trailing bytes not covered by any tensor)",
			next, len(buf), len(buf)-next)
	}
	f.Tensors = make([]Tensor, len(infos))
	for i, ti := range infos {
		t := ti.Tensor
		t.Data = buf[ti.begin:ti.end:ti.end]
		f.Tensors[i] = t
	}
	return f, nil
}

// parseObject parses a JSON object keeping its keys in order and rejecting
// duplicate keys. If top is set, only whitespace may follow the object.
func parseObject(raw []byte, top bool) ([]entry, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("expected an object, found %s", describe(tok))
	}
	var out []entry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("expected an object key, found %s", describe(tok))
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		out = append(out, entry{key, v})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if top {
		if tok, err := dec.Token(); err != io.EOF {
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("unexpected %s after the header object", describe(tok))
		}
	}
	return out, nil
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("string %q", v)
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%v", v)
	}
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	entries, err := parseObject(raw, false)
	if err != nil {
		return nil, err
	}
	md := make(map[string]string, len(entries))
	for _, e := range entries {
		var s string
		if isNull(e.raw) || json.Unmarshal(e.raw, &s) != nil {
			return nil, fmt.Errorf("value of %q is %s, not a string", e.key, e.raw)
		}
		md[e.key] = s
	}
	return md, nil
}

func parseTensorInfo(raw json.RawMessage, bufLen int) (tensorInfo, error) {
	var ti tensorInfo
	entries, err := parseObject(raw, false)
	if err != nil {
		return ti, err
	}
	var haveDType, haveShape, haveOffsets bool
	var offsets []int
	for _, e := range entries {
		switch e.key {
		case "dtype":
			var s string
			if isNull(e.raw) || json.Unmarshal(e.raw, &s) != nil {
				return ti, fmt.Errorf("dtype is %s, not a string", e.raw)
			}
			if DType(s).Size() == 0 {
				return ti, fmt.Errorf("unknown dtype %q", s)
			}
			ti.DType, haveDType = DType(s), true
		case "shape":
			ti.Shape, err = parseUintArray(e.raw)
			if err != nil {
				return ti, fmt.Errorf("shape: %w", err)
			}
			haveShape = true
		case "data_offsets":
			offsets, err = parseUintArray(e.raw)
			if err != nil {
				return ti, fmt.Errorf("data_offsets: %w", err)
			}
			if len(offsets) != 2 {
				return ti, fmt.Errorf("data_offsets has %d elements, want [begin, end]", len(offsets))
			}
			haveOffsets = true
		default:
			return ti, fmt.Errorf("unexpected key %q (want dtype, shape, data_offsets)", e.key)
		}
	}
	switch {
	case !haveDType:
		return ti, errors.New("missing dtype")
	case !haveShape:
		return ti, errors.New("missing shape")
	case !haveOffsets:
		return ti, errors.New("missing data_offsets")
	}
	ti.begin, ti.end = offsets[0], offsets[1]
	if ti.begin > ti.end {
		return ti, fmt.Errorf("data_offsets [%d, %d] end before they begin", ti.begin, ti.end)
	}
	if ti.end > bufLen {
		return ti, fmt.Errorf("data_offsets [%d, %d] run past the end of the %d-byte data buffer (truncated?)",
			ti.begin, ti.end, bufLen)
	}
	nbytes, err := byteSize(ti.DType, ti.Shape)
	if err != nil {
		return ti, err
	}
	if nbytes != ti.end-ti.begin {
		return ti, fmt.Errorf("shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d",
			ti.Shape, ti.DType, nbytes, ti.begin, ti.end, ti.end-ti.begin)
	}
	return ti, nil
}

// parseUintArray parses a JSON array of non-negative integers that fit in an
// int. Unlike encoding/json, it rejects null elements, fractions and
// exponents.
func parseUintArray(raw json.RawMessage) ([]int, error) {
	if isNull(raw) {
		return nil, errors.New("is null, want an array of non-negative integers")
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%s is not an array of non-negative integers", raw)
	}
	out := make([]int, len(elems))
	for i, e := range elems {
		s := string(bytes.TrimSpace(e))
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v > math.MaxInt {
			return nil, fmt.Errorf("element %d (%s) is not a non-negative integer that fits in an int", i, s)
		}
		out[i] = int(v)
	}
	return out, nil
}
