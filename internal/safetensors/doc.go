// Package safetensors reads and writes the safetensors tensor file format
// (https://github.com/huggingface/safetensors), so that checkpoints written by
// sparselm can be opened in PyTorch with safetensors.torch.load_file.
//
// # Format
//
// A file is laid out as
//
//	8 bytes   N, the header length, a little-endian uint64
//	N bytes   the header: a UTF-8 JSON object, padded with trailing spaces
//	rest      the byte buffer holding every tensor's data
//
// The header maps each tensor name to
//
//	{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
//
// where begin and end are byte offsets relative to the start of the byte
// buffer (not of the file). The optional key "__metadata__" holds a flat
// string-to-string map. Tensor data is little-endian, row-major (C order).
//
// # Writing
//
// [Encode] writes the header the way the reference Rust implementation does:
// compact JSON with "__metadata__" first (omitted when there is no metadata),
// then one entry per tensor with its keys in the order dtype, shape,
// data_offsets, and the header padded with spaces so that N is a multiple of
// 8 (which keeps the byte buffer 8-byte aligned within the file). Unlike the
// reference writer, which reorders tensors by descending dtype alignment and
// then by name, Encode keeps the caller's order: tensor data is laid out
// contiguously in exactly the order given. Both orders are valid files, but
// only the reference order guarantees that every tensor starts at a multiple
// of its element size: if alignment matters to a reader (zero-copy or
// memory-mapped loading), put tensors with larger elements first, e.g. all
// F64/I64, then F32/I32, then F16/BF16, then U8/BOOL.
//
// # Reading
//
// [Decode] applies the reference reader's validation rules and a few stricter
// ones. It rejects a file when
//
//   - it is shorter than 8 bytes, N exceeds 100,000,000 (the reference
//     MAX_HEADER_SIZE) or runs past the end of the file;
//   - the header is not valid UTF-8, does not start with '{', is not a single
//     JSON object (trailing whitespace is allowed), or repeats a key (at the
//     top level, in "__metadata__" or inside a tensor entry);
//   - "__metadata__" is not an object of strings (null is accepted as "no
//     metadata", as the reference does);
//   - a tensor entry is missing dtype, shape or data_offsets, has any other
//     key, names an unknown dtype, or has a negative / non-integer / overflowing
//     dimension or offset;
//   - the product of the shape times the dtype size differs from end-begin;
//   - the tensors, taken in offset order, do not tile the byte buffer exactly:
//     the first must start at 0, each must start where the previous ended
//     (no gaps, no overlaps), and the last must end at the end of the file.
//
// Every error says what is wrong and, where it applies, which tensor; all of
// them wrap [ErrFormat].
//
// # Aliasing
//
// To avoid copying large buffers, the helpers share memory where they safely
// can: [F32] and friends return a Tensor whose Data aliases the given slice
// (on little-endian hosts), [Decode] returns tensors whose Data aliases the
// input buffer, and [Tensor.Float32s] and friends return a slice aliasing
// Data when it is suitably aligned (otherwise they copy). Copy the result if
// you need to mutate one side independently of the other.
package safetensors
