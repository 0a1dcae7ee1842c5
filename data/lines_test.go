package data

import (
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// tokenize reads all of r with a tokenReader of the given word limit and
// initial buffer size, and returns the words with <eos> at every line end.
func tokenize(r io.Reader, maxWord, bufSize int) ([]string, error) {
	tr := newTokenReaderSize(r, "text", maxWord, bufSize)
	var out []string
	for {
		w, eol, err := tr.next()
		switch {
		case err == io.EOF:
			if n := strings.Count(strings.Join(out, " "), EOS); n != tr.lines {
				panic("line count differs from the line ends returned")
			}
			return out, nil
		case err != nil:
			return out, err
		case eol:
			out = append(out, EOS)
		default:
			out = append(out, string(w))
		}
	}
}

// TestTokenReaderPieces: whatever the buffer size and however the input
// arrives (one byte per Read), words and runes cut by the end of the buffer
// are put back together, and the tokens are the reference split's.
func TestTokenReaderPieces(t *testing.T) {
	text := "\ufeffthe  naïve\u00a0café\u3000東京 x\r\n\n \t\nwordy-word\u2028next\u0085last \xc2\xa0 end"
	want := refTokens(strings.TrimPrefix(text, "\ufeff"))
	for bufSize := 1; bufSize <= 24; bufSize++ {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(text)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			got, err := tokenize(r, 16, bufSize)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("buffer %d, one byte per read %v: %q, %v; want %q", bufSize, oneByte, got, err, want)
			}
		}
	}
}

// TestTokenReaderBoundedMemory: a line far longer than the buffer limit
// (maxWord + 4 bytes) is read as long as its words are short, so memory
// does not grow with the line; only a long word is refused.
func TestTokenReaderBoundedMemory(t *testing.T) {
	line := strings.Repeat("ab cde\u00a0fghij ", 50000) // 700 kB, no newline
	got, err := tokenize(strings.NewReader(line), 8, 64)
	if err != nil || !slices.Equal(got, refTokens(line)) {
		t.Fatalf("long line, 8-byte words: %d tokens, %v", len(got), err)
	}
	spaces := "a" + strings.Repeat(" \t\u3000", 1000) + "b\n" // a run of whitespace far longer than a word
	if got, err := tokenize(strings.NewReader(spaces), 8, 64); err != nil || !slices.Equal(got, []string{"a", "b", EOS}) {
		t.Errorf("long run of whitespace: %q, %v", got, err)
	}
	_, err = tokenize(strings.NewReader(line+"abcdefghi"), 8, 64)
	wantErr(t, err, "text:1:700001:", "word longer than 8 bytes")
}

// TestTokenReaderErrors: errors name line and byte column (counted from the
// first byte after a byte-order mark), also across buffer boundaries.
func TestTokenReaderErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ab\ncd \x00", "text:2:4: NUL byte"},
		{"\ufeffab\ncd \x00", "text:2:4: NUL byte"},
		{"\ufeffab \x00", "text:1:4: NUL byte"},
		{"ab\ncaf\xc3", "text:2:4: invalid UTF-8 byte 0xc3"},
		{"ab\ncaf\xc3(", "text:2:4: invalid UTF-8 byte 0xc3"},
		{"\xef\xbb", "text:1:1: invalid UTF-8 byte 0xef"}, // a cut byte-order mark
		{"a\n\n  abcdefghijklmnopq", "text:3:3: word longer than 16 bytes"},
	} {
		for _, bufSize := range []int{4, 7, 64} {
			_, err := tokenize(strings.NewReader(tc.in), 16, bufSize)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%q, buffer %d: error %v, want %q", tc.in, bufSize, err, tc.want)
			}
		}
	}
}
