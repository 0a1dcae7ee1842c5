package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// EOS is the end-of-sentence token appended to every line of text.
const EOS = "<eos>"

// UNK is the token that stands for words outside the vocabulary.
const UNK = "<unk>"

// Vocab maps words to dense ids in first-occurrence order of the training
// split. A Vocab is immutable and safe for concurrent use.
type Vocab struct {
	words []string
	ids   map[string]int32
}

// NewVocab returns the vocabulary whose word i has id i. It is an error if a
// word is empty, contains whitespace or invalid UTF-8 (such a word could never
// come out of tokenisation nor survive [Vocab.WriteTo]), or is repeated.
func NewVocab(words []string) (*Vocab, error) {
	if len(words) > maxVocabLen {
		return nil, fmt.Errorf("data: vocabulary of %d words is too large for int32 ids", len(words))
	}
	v := &Vocab{words: make([]string, len(words)), ids: make(map[string]int32, len(words))}
	for i, w := range words {
		if err := checkWord(w); err != nil {
			return nil, fmt.Errorf("data: word %d: %v", i, err)
		}
		if j, dup := v.ids[w]; dup {
			return nil, fmt.Errorf("data: word %d: duplicate word %q (also word %d)", i, w, j)
		}
		v.words[i] = w
		v.ids[w] = int32(i)
	}
	return v, nil
}

// maxVocabLen is the largest vocabulary whose ids fit in int32.
const maxVocabLen = 1<<31 - 1

// newVocabTrusted builds a Vocab from words known to be valid and distinct.
func newVocabTrusted(words []string, ids map[string]int32) *Vocab {
	return &Vocab{words: words, ids: ids}
}

func checkWord(w string) error {
	if w == "" {
		return errors.New("empty word")
	}
	if !utf8.ValidString(w) {
		return fmt.Errorf("word %q is not valid UTF-8", w)
	}
	for _, r := range w {
		if unicode.IsSpace(r) {
			return fmt.Errorf("word %q contains whitespace", w)
		}
		if r == 0 {
			return fmt.Errorf("word %q contains a NUL byte", w)
		}
	}
	return nil
}

// Len returns the number of words in the vocabulary.
func (v *Vocab) Len() int { return len(v.words) }

// Word returns the word with the given id. It panics if id is out of range.
func (v *Vocab) Word(id int32) string {
	if id < 0 || int(id) >= len(v.words) {
		panic(fmt.Sprintf("data: word id %d out of range [0, %d)", id, len(v.words)))
	}
	return v.words[id]
}

// ID returns the id of w and whether w is in the vocabulary.
func (v *Vocab) ID(w string) (int32, bool) {
	id, ok := v.ids[w]
	return id, ok
}

// Words returns a copy of the words in id order.
func (v *Vocab) Words() []string {
	return append([]string(nil), v.words...)
}

// WriteTo writes the vocabulary to w, one word per line in id order, each
// line terminated by '\n'. It implements io.WriterTo.
func (v *Vocab) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriter(cw)
	for _, word := range v.words {
		bw.WriteString(word)
		if err := bw.WriteByte('\n'); err != nil {
			return cw.n, err
		}
	}
	err := bw.Flush()
	return cw.n, err
}

// countingWriter counts the bytes its underlying writer accepted.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadVocab reads a vocabulary written by [Vocab.WriteTo]: one word per line,
// word i on line i+1, read verbatim (it is a file of this package, so there
// is no byte-order mark to skip: a leading U+FEFF is part of word 0, as
// WriteTo wrote it). A trailing "\r" is ignored. Errors name the line: empty
// lines, words containing whitespace, NUL or invalid UTF-8, duplicates, and
// words longer than [MaxWordBytes]. An input with no words is an error.
func ReadVocab(r io.Reader) (*Vocab, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, readBufferSize), MaxWordBytes+len("\r\n"))
	var words []string
	ids := make(map[string]int32)
	line := 0
	for sc.Scan() {
		line++
		w := sc.Text() // without "\n" and a "\r" before it
		if len(w) > MaxWordBytes {
			return nil, fmt.Errorf("data: vocabulary line %d: word longer than %d bytes", line, MaxWordBytes)
		}
		if err := checkWord(w); err != nil {
			return nil, fmt.Errorf("data: vocabulary line %d: %v", line, err)
		}
		if j, dup := ids[w]; dup {
			return nil, fmt.Errorf("data: vocabulary line %d: duplicate word %q (first on line %d)", line, w, j+1)
		}
		if len(words) >= maxVocabLen {
			return nil, fmt.Errorf("data: vocabulary line %d: too many words for int32 ids", line)
		}
		ids[w] = int32(len(words))
		words = append(words, w)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("data: vocabulary line %d: word longer than %d bytes", line+1, MaxWordBytes)
	} else if err != nil {
		return nil, fmt.Errorf("data: vocabulary line %d: %w", line+1, err)
	}
	if len(words) == 0 {
		return nil, errors.New("data: vocabulary is empty")
	}
	return newVocabTrusted(words, ids), nil
}
