package data

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNewVocab(t *testing.T) {
	v, err := NewVocab([]string{"the", EOS, UNK, "é"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 4 {
		t.Fatalf("Len = %d, want 4", v.Len())
	}
	for i, w := range []string{"the", EOS, UNK, "é"} {
		if got := v.Word(int32(i)); got != w {
			t.Errorf("Word(%d) = %q, want %q", i, got, w)
		}
		if id, ok := v.ID(w); !ok || id != int32(i) {
			t.Errorf("ID(%q) = %d, %v, want %d, true", w, id, ok, i)
		}
	}
	if _, ok := v.ID("missing"); ok {
		t.Error(`ID("missing") reported present`)
	}
	ws := v.Words()
	ws[0] = "changed"
	if v.Word(0) != "the" {
		t.Error("Words did not return a copy")
	}
	if empty, err := NewVocab(nil); err != nil || empty.Len() != 0 {
		t.Errorf("NewVocab(nil) = %v, %v; want empty vocabulary", empty, err)
	}
}

func TestNewVocabErrors(t *testing.T) {
	for _, tc := range []struct {
		words []string
		frag  string
	}{
		{[]string{"a", "b", "a"}, `word 2: duplicate word "a" (also word 0)`},
		{[]string{"a", ""}, "word 1: empty word"},
		{[]string{"a b"}, "whitespace"},
		{[]string{"a\n"}, "whitespace"},
		{[]string{"\xff"}, "UTF-8"},
		{[]string{"a\x00"}, "NUL"},
	} {
		_, err := NewVocab(tc.words)
		wantErr(t, err, tc.frag)
	}
}

func TestVocabWordPanics(t *testing.T) {
	v, _ := NewVocab([]string{"a"})
	for _, id := range []int32{-1, 1} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "out of range") {
					t.Errorf("Word(%d): recovered %v, want out-of-range panic", id, r)
				}
			}()
			v.Word(id)
		}()
	}
}

func TestVocabRoundTrip(t *testing.T) {
	c, err := LoadDir(tinyDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := c.Vocab.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	if want := strings.Join(c.Vocab.Words(), "\n") + "\n"; buf.String() != want {
		t.Errorf("WriteTo output is not one word per line")
	}
	v2, err := ReadVocab(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v2.Words(), c.Vocab.Words()) {
		t.Error("round trip changed the vocabulary")
	}
	// A word of MaxWordBytes is accepted, with either line end; a U+FEFF
	// starting word 0 is part of it (WriteTo wrote it), so it round-trips.
	long := strings.Repeat("x", MaxWordBytes)
	for _, in := range []string{"a\n" + long + "\r\nb", "\ufeffa\n" + long + "\n"} {
		v, err := ReadVocab(strings.NewReader(in))
		if err != nil || v.Len() != 2 && v.Len() != 3 || v.Word(1) != long {
			t.Errorf("ReadVocab with a word of MaxWordBytes: %v", err)
			continue
		}
		var out bytes.Buffer
		v.WriteTo(&out)
		if w, err := ReadVocab(&out); err != nil || !slices.Equal(w.Words(), v.Words()) {
			t.Errorf("round trip of %q...: %v", v.Word(0), err)
		}
	}
	// CRLF line ends and a missing final newline are accepted.
	v3, err := ReadVocab(strings.NewReader("a\r\nb\r\nc"))
	if err != nil || !slices.Equal(v3.Words(), []string{"a", "b", "c"}) {
		t.Errorf("ReadVocab(CRLF) = %v, %v", v3, err)
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.after {
		n := w.after
		w.after = 0
		return n, errors.New("disk full")
	}
	w.after -= len(p)
	return len(p), nil
}

func TestVocabWriteToError(t *testing.T) {
	words := make([]string, 10000)
	for i := range words {
		words[i] = strings.Repeat("w", 5) + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
	}
	v, err := NewVocab(words)
	if err != nil {
		t.Fatal(err)
	}
	n, err := v.WriteTo(&failWriter{after: 10000})
	wantErr(t, err, "disk full")
	if n != 10000 {
		t.Errorf("WriteTo reported %d bytes written, want 10000", n)
	}
}

func TestReadVocabErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		frag []string
	}{
		{"", []string{"empty"}},
		{"a\nb\n\nc\n", []string{"line 3", "empty word"}},
		{"a\nb\na\n", []string{"line 3", `duplicate word "a" (first on line 1)`}},
		{"a\nb c\n", []string{"line 2", "whitespace"}},
		{"a\nb\n\xfe\n", []string{"line 3", "UTF-8"}},
		{"a\x00\n", []string{"line 1", "NUL"}},
		{"a\n" + strings.Repeat("x", MaxWordBytes+1) + "\n", []string{"vocabulary line 2", "longer than 1048576 bytes"}},
		{"a\n" + strings.Repeat("x", MaxWordBytes+1), []string{"vocabulary line 2", "longer than 1048576 bytes"}},
		{"a\n" + strings.Repeat("x", 3*MaxWordBytes) + "\nb\n", []string{"vocabulary line 2", "longer than 1048576 bytes"}},
	} {
		_, err := ReadVocab(strings.NewReader(tc.in))
		wantErr(t, err, tc.frag...)
	}
}
