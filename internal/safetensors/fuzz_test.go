package safetensors

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts is
// internally consistent and survives an Encode/Decode round trip.
func FuzzDecode(f *testing.F) {
	f.Add(goldenFile())
	f.Add(mustMarshal(f, sampleTensors(), map[string]string{"a": "b"}))
	f.Add(mustMarshal(f, nil, nil))
	f.Add(build(`{"z":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		for _, tt := range file.Tensors {
			n, err := byteSize(tt.DType, tt.Shape)
			if err != nil || n != len(tt.Data) {
				t.Fatalf("accepted inconsistent tensor %q: %v", tt.Name, err)
			}
		}
		re, err := Marshal(file.Tensors, file.Metadata)
		if err != nil {
			t.Fatalf("re-encoding an accepted file failed: %v", err)
		}
		file2, err := Decode(re)
		if err != nil {
			t.Fatalf("re-encoded file rejected: %v", err)
		}
		if len(file2.Tensors) != len(file.Tensors) || len(file2.Metadata) != len(file.Metadata) {
			t.Fatalf("round trip changed the file")
		}
		for i, tt := range file.Tensors {
			u := file2.Tensors[i]
			if u.Name != tt.Name || u.DType != tt.DType || !bytes.Equal(u.Data, tt.Data) || len(u.Shape) != len(tt.Shape) {
				t.Fatalf("round trip changed tensor %q", tt.Name)
			}
		}
		for k, v := range file.Metadata {
			if file2.Metadata[k] != v {
				t.Fatalf("round trip changed metadata %q", k)
			}
		}
	})
}
