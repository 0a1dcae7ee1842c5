package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// MaxWordBytes is the longest word, in bytes, that the text readers accept.
// Lines may be of any length: a one-line corpus such as text8 (100 MB in one
// line) is read in pieces, so a reader holds at most one word and one read
// buffer. A longer "word" means the file is not whitespace-separated text.
const MaxWordBytes = 1 << 20

// byteOrderMark is U+FEFF in UTF-8. At the start of a file it marks the
// encoding and is not text (Python's "utf-8-sig"); elsewhere it is an
// ordinary character of a word, as for str.split().
const byteOrderMark = "\ufeff"

// readBufferSize is the initial read buffer of a tokenReader; it grows only
// to hold a word longer than it.
const readBufferSize = 64 << 10

// tokenReader splits UTF-8 text into whitespace-separated words and line
// ends without holding a whole line: memory is bounded by the longest word
// (MaxWordBytes), however long the lines are. Whitespace is unicode.IsSpace,
// as for Python's str.split(); lines end at '\n' only. A byte-order mark at
// the start of the input is skipped. NUL bytes, invalid UTF-8 and words
// longer than the limit are errors naming the file, line and byte column.
type tokenReader struct {
	sc      *bufio.Scanner
	name    string // file name used in errors
	maxWord int    // longest accepted word in bytes
	lines   int    // line ends returned so far; the current line is lines+1
	col     int    // bytes of the current line consumed (a byte-order mark excluded)
	pending int    // bytes at the start of the scanner's data already scanned as part of a word
	bomDone bool   // the start of the input has been checked for a byte-order mark
}

// lineEnd is the token the split function returns at the end of a line:
// empty but not nil, so that bufio.Scanner passes it on.
var lineEnd = []byte{}

func newTokenReader(r io.Reader, name string) *tokenReader {
	return newTokenReaderSize(r, name, MaxWordBytes, readBufferSize)
}

// newTokenReaderSize is newTokenReader with another word limit and initial
// buffer size (tests use tiny ones to exercise words cut by the buffer).
func newTokenReaderSize(r io.Reader, name string, maxWord, bufSize int) *tokenReader {
	tr := &tokenReader{sc: bufio.NewScanner(r), name: name, maxWord: maxWord}
	// Room for the longest word and the start of the rune after it.
	limit := maxWord + utf8.UTFMax
	tr.sc.Buffer(make([]byte, max(len(byteOrderMark), min(bufSize, limit))), limit)
	tr.sc.Split(tr.split)
	return tr
}

// next returns the next word, or eol true at the end of a line (a final line
// without '\n' ends at the end of the input, and a line of only whitespace is
// a line end alone). The word is only valid until the next call. At the end
// of the input it returns io.EOF; other errors name the file and line.
func (tr *tokenReader) next() (word []byte, eol bool, err error) {
	if !tr.sc.Scan() {
		err := tr.sc.Err()
		switch {
		case err == nil:
			return nil, false, io.EOF
		case errors.Is(err, bufio.ErrTooLong): // split refuses long words first; kept as a safety net
			return nil, false, tr.errorf(0, "word longer than %d bytes (is this whitespace-separated text?)", tr.maxWord)
		case errors.Is(err, errText):
			return nil, false, err
		}
		return nil, false, fmt.Errorf("%s:%d: %w", tr.name, tr.line(), err)
	}
	w := tr.sc.Bytes()
	return w, len(w) == 0, nil
}

// line returns the 1-based number of the line being read, which is the line
// of the word next returned last.
func (tr *tokenReader) line() int { return tr.lines + 1 }

// errText marks the errors that split returns, which already name the file.
var errText = errors.New("not text")

type textError struct{ msg string }

func (e *textError) Error() string        { return e.msg }
func (e *textError) Is(target error) bool { return target == errText }

// errorf returns an error naming the file, the current line and the byte
// column of offset i of the data split was given.
func (tr *tokenReader) errorf(i int, format string, args ...any) error {
	return &textError{fmt.Sprintf("%s:%d:%d: ", tr.name, tr.line(), tr.col+i+1) + fmt.Sprintf(format, args...)}
}

// consume records that split advances n bytes within the current line.
func (tr *tokenReader) consume(n int) int {
	tr.col += n
	return n
}

// split is the tokenReader's bufio.SplitFunc. It returns a word, lineEnd
// at a '\n' (and at the end of input after an unfinished line), or asks for
// more data, keeping an unfinished word (or a rune cut by the end of data)
// at the start of the next call's data.
func (tr *tokenReader) split(data []byte, atEOF bool) (int, []byte, error) {
	if !tr.bomDone {
		if !atEOF && len(data) < len(byteOrderMark) && string(data) == byteOrderMark[:len(data)] {
			return 0, nil, nil // too short to tell
		}
		tr.bomDone = true
		if len(data) >= len(byteOrderMark) && string(data[:len(byteOrderMark)]) == byteOrderMark {
			return len(byteOrderMark), nil, nil // not text, and not counted in columns
		}
	}
	start, i := -1, 0 // start of the current word (-1: between words), scan position
	if tr.pending > 0 {
		start, i = 0, tr.pending
		tr.pending = 0
	}
	for i < len(data) {
		c := data[i]
		if c == '\n' {
			if start >= 0 {
				return tr.consume(i), data[start:i], nil // the '\n' is the next call's
			}
			tr.col = 0
			tr.lines++
			return i + 1, lineEnd, nil
		}
		space, size := false, 1
		switch {
		case c == 0:
			return 0, nil, tr.errorf(i, "NUL byte (not a text file?)")
		case c < utf8.RuneSelf:
			space = asciiSpace[c]
		case !atEOF && !utf8.FullRune(data[i:]):
			size = 0 // a rune cut by the end of data: read on
		default:
			var r rune
			r, size = utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, nil, tr.errorf(i, "invalid UTF-8 byte 0x%02x", c)
			}
			space = unicode.IsSpace(r)
		}
		if size == 0 {
			break
		}
		if space {
			if start >= 0 {
				return tr.consume(i), data[start:i], nil
			}
		} else if start < 0 {
			start = i
		}
		i += size
		if start >= 0 && i-start > tr.maxWord {
			return 0, nil, tr.errorf(start, "word longer than %d bytes (is this whitespace-separated text?)", tr.maxWord)
		}
	}
	switch {
	case !atEOF && start >= 0:
		// Drop the whitespace before the unfinished word; keep the word.
		tr.pending = i - start
		return tr.consume(start), nil, nil
	case !atEOF:
		return tr.consume(i), nil, nil // whitespace, and perhaps a cut rune kept
	case start >= 0:
		return tr.consume(len(data)), data[start:], nil
	case tr.col+len(data) > 0:
		// The last line has no '\n': it ends with the input.
		tr.col = 0
		tr.lines++
		return len(data), lineEnd, nil
	}
	return 0, nil, nil
}

// asciiSpace marks the ASCII bytes that unicode.IsSpace accepts.
var asciiSpace = [128]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}
