package data

import (
	"bufio"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxLineBytes is the line-length limit used when
// [Options.MaxLineBytes] is 0.
const DefaultMaxLineBytes = 1 << 20

// lineReader reads '\n'-terminated lines with a length limit and keeps the
// current 1-based line number, so that every error can name file and line.
// Unlike bufio.Scanner it reports over-long lines with their line number.
type lineReader struct {
	r    *bufio.Reader
	name string // file name used in errors
	max  int    // longest allowed line in bytes, excluding "\n"
	line int    // number of the line last returned
	buf  []byte // accumulates lines longer than the bufio buffer
}

func newLineReader(r io.Reader, name string, max int) *lineReader {
	if max <= 0 {
		max = DefaultMaxLineBytes
	}
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), name: name, max: max}
}

// next returns the next line without its '\n' (a final line without '\n'
// counts as a line). The slice is only valid until the next call. At the end
// of input it returns io.EOF; other errors name the file and line.
func (lr *lineReader) next() ([]byte, error) {
	frag, err := lr.r.ReadSlice('\n')
	if err == nil {
		lr.line++
		line := frag[:len(frag)-1]
		if len(line) > lr.max {
			return nil, lr.tooLong()
		}
		return line, nil
	}
	if err == io.EOF {
		if len(frag) == 0 {
			return nil, io.EOF
		}
		lr.line++
		if len(frag) > lr.max {
			return nil, lr.tooLong()
		}
		return frag, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("%s:%d: %w", lr.name, lr.line+1, err)
	}
	// The line is longer than the bufio buffer: accumulate it.
	lr.line++
	lr.buf = append(lr.buf[:0], frag...)
	for {
		if len(lr.buf) > lr.max {
			return nil, lr.tooLong()
		}
		frag, err = lr.r.ReadSlice('\n')
		lr.buf = append(lr.buf, frag...)
		switch err {
		case nil:
			line := lr.buf[:len(lr.buf)-1]
			if len(line) > lr.max {
				return nil, lr.tooLong()
			}
			return line, nil
		case io.EOF:
			if len(lr.buf) > lr.max {
				return nil, lr.tooLong()
			}
			return lr.buf, nil
		case bufio.ErrBufferFull:
		default:
			return nil, fmt.Errorf("%s:%d: %w", lr.name, lr.line, err)
		}
	}
}

func (lr *lineReader) tooLong() error {
	return fmt.Errorf("%s:%d: line longer than %d bytes (raise Options.MaxLineBytes if the file is right)", lr.name, lr.line, lr.max)
}

// asciiSpace marks the ASCII bytes that unicode.IsSpace accepts.
var asciiSpace = [128]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// splitLine calls fn for each whitespace-separated token of line, in order.
// It reports NUL bytes and invalid UTF-8 as errors naming file, line and
// byte column. Whitespace is unicode.IsSpace, as Python's str.split().
func (lr *lineReader) splitLine(line []byte, fn func(tok []byte) error) error {
	start := -1 // start of the current token, or -1 between tokens
	for i := 0; i < len(line); {
		c := line[i]
		size := 1
		space := false
		if c < utf8.RuneSelf {
			if c == 0 {
				return fmt.Errorf("%s:%d:%d: NUL byte (not a text file?)", lr.name, lr.line, i+1)
			}
			space = asciiSpace[c]
		} else {
			var r rune
			r, size = utf8.DecodeRune(line[i:])
			if r == utf8.RuneError && size == 1 {
				return fmt.Errorf("%s:%d:%d: invalid UTF-8 byte 0x%02x", lr.name, lr.line, i+1, c)
			}
			space = unicode.IsSpace(r)
		}
		if space {
			if start >= 0 {
				if err := fn(line[start:i]); err != nil {
					return err
				}
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		return fn(line[start:])
	}
	return nil
}
