package cli

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestJSONStream: the streamed object parses to what printJSON writes of
// the same fields, with no, one or several items, and keeps <eos> as it is.
func TestJSONStream(t *testing.T) {
	head := map[string]any{"checkpoint": "run/best", "file": "-"}
	tail := map[string]any{"perplexity": 12.5, "oov": map[string]any{"words": 3}}
	for _, n := range []int{0, 1, 3} {
		var items []any
		for i := range n {
			items = append(items, map[string]any{"word": "<eos>", "pos": i})
		}
		var streamed bytes.Buffer
		s, err := newJSONStream(&streamed, head, "tokens")
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if err := s.Item(it); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(tail); err != nil {
			t.Fatal(err)
		}
		whole := map[string]any{"checkpoint": "run/best", "file": "-", "tokens": items, "perplexity": 12.5, "oov": map[string]any{"words": 3}}
		if items == nil {
			whole["tokens"] = []any{}
		}
		var printed bytes.Buffer
		if err := printJSON(&printed, whole); err != nil {
			t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(streamed.Bytes(), &got); err != nil {
			t.Fatalf("%d items: the stream is not JSON: %v\n%s", n, err, streamed.String())
		}
		json.Unmarshal(printed.Bytes(), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d items: streamed %v, want %v", n, got, want)
		}
		if n > 0 && !bytes.Contains(streamed.Bytes(), []byte(`"<eos>"`)) {
			t.Errorf("<eos> escaped in the stream:\n%s", streamed.String())
		}
	}
}
