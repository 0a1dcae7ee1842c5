package data

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets of the readers of outside input: the corpus text and
// the vocabulary file of a checkpoint. Their seeds are the files in
// testdata/fuzz/<target>, which go test also runs as tests; fuzz one with
//
//	go test -run '^$' -fuzz '^FuzzTokenReader$' -fuzztime 30s ./data

// fuzzMaxWord is the word limit of the fuzzed token reader, small so that
// the fuzzer reaches it.
const fuzzMaxWord = 24

// isText reports whether the reader must accept text (after a leading
// byte-order mark): valid UTF-8 without NUL and no word over maxWord bytes.
func isText(text string, maxWord int) bool {
	if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
		return false
	}
	for _, w := range strings.Fields(text) {
		if len(w) > maxWord {
			return false
		}
	}
	return true
}

// FuzzTokenReader: for any input and read-buffer size, the corpus reader
// never panics; it accepts exactly the inputs that are text (valid UTF-8,
// no NUL, no over-long word) and then returns the reference split's tokens
// (line.split() + ['<eos>'] per line, after a leading byte-order mark), the
// same for every buffer size; its errors name the file and a line. Text
// rebuilt from the tokens (a byte-order mark, a space between words, '\n'
// for <eos>) reads back as the same tokens.
func FuzzTokenReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte, bufSize uint8) {
		got, err := tokenize(bytes.NewReader(in), fuzzMaxWord, int(bufSize))
		text := strings.TrimPrefix(string(in), byteOrderMark)
		if !isText(text, fuzzMaxWord) {
			if err == nil {
				t.Fatalf("accepted %q, which is not text", in)
			}
			if !strings.HasPrefix(err.Error(), "text:") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused text %q: %v", in, err)
		}
		want := refTokens(text)
		if !slices.Equal(got, want) {
			t.Fatalf("tokens of %q (buffer %d):\n%q\nwant\n%q", in, bufSize, got, want)
		}
		if big, err := tokenize(bytes.NewReader(in), fuzzMaxWord, readBufferSize); err != nil || !slices.Equal(big, got) {
			t.Fatalf("the default buffer reads %q as %q, %v; buffer %d as %q", in, big, err, bufSize, got)
		}
		// A writer of text for a reader that skips a leading byte-order
		// mark writes one, so that a U+FEFF starting word 0 stays.
		var rebuilt strings.Builder
		rebuilt.WriteString(byteOrderMark)
		sep := ""
		for _, w := range got {
			if w == EOS {
				rebuilt.WriteByte('\n')
				sep = ""
				continue
			}
			rebuilt.WriteString(sep + w)
			sep = " "
		}
		if again, err := tokenize(strings.NewReader(rebuilt.String()), fuzzMaxWord, int(bufSize)); err != nil || !slices.Equal(again, got) {
			t.Fatalf("rebuilt text %q reads as %q, %v; want %q", rebuilt.String(), again, err, got)
		}
	})
}

// FuzzLoadDir: a corpus directory of any train/valid/test contents and
// vocabulary options loads or fails with an error, never a panic. A corpus
// that loads has ids inside its vocabulary, a vocabulary of at most
// MaxVocab words when limited, train ids in first-occurrence order when
// unrestricted (each train token then reads back as its word), and a
// vocabulary that survives the checkpoint's WriteTo/ReadVocab unchanged.
func FuzzLoadDir(f *testing.F) {
	f.Fuzz(func(t *testing.T, train, valid, test []byte, maxVocab, minCount uint8) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{"train.txt": train, "valid.txt": valid, "test.txt": test} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		opt := Options{MaxVocab: int(maxVocab % 16), MinCount: int(minCount % 4)}
		c, err := LoadDir(dir, opt)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: ") {
				t.Fatalf("error %q does not start with the package name", err)
			}
			return
		}
		V := c.Vocab.Len()
		for _, ids := range [][]int32{c.Train, c.Valid, c.Test} {
			for _, id := range ids {
				if id < 0 || int(id) >= V {
					t.Fatalf("id %d outside a vocabulary of %d words", id, V)
				}
			}
		}
		if opt.MaxVocab > 0 && V > opt.MaxVocab {
			t.Fatalf("vocabulary of %d words, MaxVocab %d", V, opt.MaxVocab)
		}
		if !opt.restricted() {
			next := int32(0)
			for _, id := range c.Train {
				if id > next {
					t.Fatalf("train id %d before id %d occurred", id, next)
				}
				if id == next {
					next++
				}
			}
			if want := refTokens(strings.TrimPrefix(string(train), byteOrderMark)); !slices.Equal(words(c.Vocab, c.Train), want) {
				t.Fatalf("train reads as %q, want %q", words(c.Vocab, c.Train), want)
			}
		}
		var buf bytes.Buffer
		if _, err := c.Vocab.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		v, err := ReadVocab(&buf)
		if err != nil || !slices.Equal(v.Words(), c.Vocab.Words()) {
			t.Fatalf("the vocabulary %q does not survive WriteTo/ReadVocab: %v", c.Vocab.Words(), err)
		}
	})
}

// FuzzVocab: ReadVocab never panics on a vocabulary file; a file it accepts
// holds words NewVocab accepts too, and writing the vocabulary and reading
// it again gives the same words. Conversely, any word list NewVocab accepts
// (the input split at NUL bytes, which no word can hold) survives
// WriteTo/ReadVocab unchanged, as a checkpoint's vocabulary must.
func FuzzVocab(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		roundTrip := func(v *Vocab) {
			t.Helper()
			var buf bytes.Buffer
			if _, err := v.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			w, err := ReadVocab(&buf)
			if err != nil || !slices.Equal(w.Words(), v.Words()) {
				t.Fatalf("WriteTo/ReadVocab of %q gives %v, %v", v.Words(), w, err)
			}
			for i, word := range v.Words() {
				if id, ok := w.ID(word); !ok || id != int32(i) {
					t.Fatalf("word %q has id %d, %v after the round trip, want %d", word, id, ok, i)
				}
			}
		}
		if v, err := ReadVocab(bytes.NewReader(in)); err == nil {
			if _, err := NewVocab(v.Words()); err != nil {
				t.Fatalf("ReadVocab accepted %q, NewVocab refuses its words: %v", in, err)
			}
			roundTrip(v)
		} else if !strings.HasPrefix(err.Error(), "data: vocabulary") {
			t.Fatalf("error %q does not say it is about the vocabulary", err)
		}
		if v, err := NewVocab(strings.Split(string(in), "\x00")); err == nil {
			roundTrip(v)
		} else if !strings.HasPrefix(err.Error(), "data: ") {
			t.Fatalf("error %q", err)
		}
	})
}
