package data

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkFirstOccurrence verifies that ids introduce new words in order
// 0, 1, 2, ... and that every vocabulary word occurs.
func checkFirstOccurrence(t *testing.T, name string, ids []int32, vocabLen int) {
	t.Helper()
	next := int32(0)
	for i, id := range ids {
		if id > next {
			t.Fatalf("%s: token %d has id %d before id %d occurred", name, i, id, next)
		}
		if id == next {
			next++
		}
	}
	if int(next) != vocabLen {
		t.Errorf("%s: %d distinct ids, vocabulary has %d", name, next, vocabLen)
	}
}

func TestLoadTiny(t *testing.T) {
	c, err := LoadDir(tinyDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "tiny" || c.Dir != tinyDir {
		t.Errorf("Name, Dir = %q, %q", c.Name, c.Dir)
	}
	for _, split := range []struct {
		file string
		ids  []int32
	}{{"train.txt", c.Train}, {"valid.txt", c.Valid}, {"test.txt", c.Test}} {
		b, err := os.ReadFile(filepath.Join(tinyDir, split.file))
		if err != nil {
			t.Fatal(err)
		}
		want := refTokens(string(b))
		if got := words(c.Vocab, split.ids); !slices.Equal(got, want) {
			t.Errorf("%s: tokens differ from the reference tokeniser (%d vs %d tokens)", split.file, len(got), len(want))
		}
	}
	checkFirstOccurrence(t, "train", c.Train, c.Vocab.Len())
	// Sizes promised to other packages' tests.
	if n := len(c.Train); n < 5000 || n > 20000 {
		t.Errorf("train has %d tokens, want 5k-20k", n)
	}
	if n := c.Vocab.Len(); n < 100 || n > 300 {
		t.Errorf("vocabulary has %d words, want 100-300", n)
	}
	for _, n := range []int{len(c.Valid), len(c.Test)} {
		if n < 1000 || n > 2000 {
			t.Errorf("valid/test has %d tokens, want 1k-2k", n)
		}
	}
	if _, ok := c.Vocab.ID(UNK); !ok {
		t.Error("tiny vocabulary has no <unk>")
	}
	t.Logf("tiny: train %d, valid %d, test %d tokens, vocabulary %d", len(c.Train), len(c.Valid), len(c.Test), c.Vocab.Len())
}

func TestLoadDirLayoutsAndLines(t *testing.T) {
	// Blank lines, whitespace-only lines, tabs, CRLF, non-ASCII words and
	// Unicode spaces, and a last line without newline.
	train := " the cat \n\n  \t \nthe\tdog\r\nnaïve\u00a0café\u3000the"
	valid := "cat dog\n"
	test := "\n"
	layouts := [][3]string{
		{"train.txt", "valid.txt", "test.txt"},
		{"ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"},
		{"wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"},
	}
	for _, l := range layouts {
		dir := writeFiles(t, map[string]string{l[0]: train, l[1]: valid, l[2]: test})
		c, err := LoadDir(dir, Options{})
		if err != nil {
			t.Fatalf("%s: %v", l[0], err)
		}
		wantVocab := []string{"the", "cat", EOS, "dog", "naïve", "café"}
		if !slices.Equal(c.Vocab.Words(), wantVocab) {
			t.Errorf("%s: vocabulary %q, want %q", l[0], c.Vocab.Words(), wantVocab)
		}
		if got, want := words(c.Vocab, c.Train), strings.Fields("the cat <eos> <eos> <eos> the dog <eos> naïve café the <eos>"); !slices.Equal(got, want) {
			t.Errorf("%s: train %q, want %q", l[0], got, want)
		}
		if got := words(c.Vocab, c.Valid); !slices.Equal(got, []string{"cat", "dog", EOS}) {
			t.Errorf("%s: valid %q", l[0], got)
		}
		if got := words(c.Vocab, c.Test); !slices.Equal(got, []string{EOS}) {
			t.Errorf("%s: test %q", l[0], got)
		}
	}
}

func TestLoadDirLongLines(t *testing.T) {
	// Lines longer than the 64 KiB read buffer but within the limit are fine,
	// also as the last line without a newline.
	long := strings.TrimSpace(strings.Repeat("the cat ", 20000)) // 160 KB
	dir := writeFiles(t, map[string]string{
		"train.txt": "a\n" + long + "\nb\n" + long,
		"valid.txt": long + "\n",
		"test.txt":  "a b\n",
	})
	c, err := LoadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Every byte of the long lines counts: the vocabulary would gain "ca"
	// if the last line lost its final byte.
	if got, want := c.Vocab.Words(), []string{"a", EOS, "the", "cat", "b"}; !slices.Equal(got, want) {
		t.Errorf("vocabulary %q, want %q", got, want)
	}
	if got, want := words(c.Vocab, c.Train), refTokens("a\n"+long+"\nb\n"+long); !slices.Equal(got, want) {
		t.Errorf("train differs from the reference tokeniser (%d vs %d tokens)", len(got), len(want))
	}
	if got, want := len(c.Train), 2+40001+2+40001; got != want {
		t.Errorf("train has %d tokens, want %d", got, want)
	}
	if got, want := words(c.Vocab, c.Valid), refTokens(long+"\n"); !slices.Equal(got, want) {
		t.Errorf("valid differs from the reference tokeniser (%d vs %d tokens)", len(got), len(want))
	}
	// A word of exactly MaxWordBytes is accepted, one more byte is not,
	// and the error names the word's line and column.
	word := strings.Repeat("x", MaxWordBytes)
	dir = writeFiles(t, map[string]string{"train.txt": "a\nb " + word + " c\n", "valid.txt": "a\n", "test.txt": "a"})
	if _, err := LoadDir(dir, Options{}); err != nil {
		t.Errorf("word of MaxWordBytes: %v", err)
	}
	dir = writeFiles(t, map[string]string{"train.txt": "a\nb " + word + "x c\n", "valid.txt": "a\n", "test.txt": "a"})
	_, err = LoadDir(dir, Options{})
	wantErr(t, err, "train.txt:2:3:", "word longer than 1048576 bytes")
}

// TestLoadDirOneLineCorpus: a corpus in one line of megabytes (as text8, 100
// MB in one line) is read in pieces and tokenised as the reference split
// does, with no limit to raise. The words mix lengths, non-ASCII letters and
// multi-byte spaces, so that read buffers cut words and runes in all places.
func TestLoadDirOneLineCorpus(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := []string{"the", "a", "anarchism", "originated", "naïve", "café", "東京", "<unk>", strings.Repeat("long", 40)}
	spaces := []string{" ", " ", " ", "  ", "\t", "\u00a0", "\u3000", " \r"}
	var b strings.Builder
	for b.Len() < 3<<20 {
		b.WriteString(vocab[rng.IntN(len(vocab))])
		b.WriteString(spaces[rng.IntN(len(spaces))])
	}
	b.WriteString("end") // no final newline, as text8
	line := b.String()
	dir := writeFiles(t, map[string]string{"train.txt": line, "valid.txt": "the a\n" + line + "\n", "test.txt": "a\n"})
	c, err := LoadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := words(c.Vocab, c.Train), refTokens(line); !slices.Equal(got, want) {
		t.Errorf("train differs from the reference tokeniser (%d vs %d tokens)", len(got), len(want))
	}
	if got, want := words(c.Vocab, c.Valid), refTokens("the a\n"+line+"\n"); !slices.Equal(got, want) {
		t.Errorf("valid differs from the reference tokeniser (%d vs %d tokens)", len(got), len(want))
	}
}

// TestLoadDirByteOrderMark: a UTF-8 byte-order mark at the start of a file
// is not text, so it is not part of word 0 (or a word of its own); a U+FEFF
// later in a file is a character of a word, as for str.split().
func TestLoadDirByteOrderMark(t *testing.T) {
	const bom = "\ufeff"
	dir := writeFiles(t, map[string]string{
		"train.txt": bom + "aer banknote\nthe aer " + bom + "x\n",
		"valid.txt": bom + "aer the\n",
		"test.txt":  bom + "\nthe\n",
	})
	c, err := LoadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Vocab.Words(), []string{"aer", "banknote", EOS, "the", bom + "x"}; !slices.Equal(got, want) {
		t.Errorf("vocabulary %q, want %q", got, want)
	}
	if got := words(c.Vocab, c.Valid); !slices.Equal(got, []string{"aer", "the", EOS}) {
		t.Errorf("valid %q", got)
	}
	if got := words(c.Vocab, c.Test); !slices.Equal(got, []string{EOS, "the", EOS}) {
		t.Errorf("test %q", got)
	}
	// Columns count from the first byte after the mark.
	dir = writeFiles(t, map[string]string{"train.txt": bom + "ab \x00", "valid.txt": "a\n", "test.txt": "a\n"})
	_, err = LoadDir(dir, Options{})
	wantErr(t, err, "train.txt:1:4:", "NUL")
	// A file of only a byte-order mark has no text.
	dir = writeFiles(t, map[string]string{"train.txt": "a\n", "valid.txt": bom, "test.txt": "a\n"})
	_, err = LoadDir(dir, Options{})
	wantErr(t, err, "valid.txt: empty file")
}

func TestLoadDirBadInput(t *testing.T) {
	good := "the cat\nthe dog\n"
	tooLong := strings.Repeat("x", MaxWordBytes+1)
	for _, tc := range []struct {
		name  string
		files map[string]string
		opt   Options
		frags []string
	}{
		{"no splits", map[string]string{"other.txt": good}, Options{},
			[]string{"no training split", "train.txt", "ptb.train.txt", "wiki.train.tokens"}},
		{"missing test", map[string]string{"train.txt": good, "valid.txt": good}, Options{},
			[]string{"missing split test.txt"}},
		{"missing valid, ptb names", map[string]string{"ptb.train.txt": good, "ptb.test.txt": good}, Options{},
			[]string{"missing split ptb.valid.txt"}},
		{"empty train", map[string]string{"train.txt": "", "valid.txt": good, "test.txt": good}, Options{},
			[]string{"train.txt: empty file"}},
		{"empty valid", map[string]string{"train.txt": good, "valid.txt": "", "test.txt": good}, Options{},
			[]string{"valid.txt: empty file"}},
		{"invalid UTF-8 in train", map[string]string{"train.txt": good + "ok \xc3\x28 bad\n", "valid.txt": good, "test.txt": good}, Options{},
			[]string{"train.txt:3:4:", "invalid UTF-8"}},
		{"truncated UTF-8 at end", map[string]string{"train.txt": good + "caf\xc3", "valid.txt": good, "test.txt": good}, Options{},
			[]string{"train.txt:3:4:", "invalid UTF-8"}},
		{"NUL in valid", map[string]string{"train.txt": good, "valid.txt": "the\nthe \x00cat\n", "test.txt": good}, Options{},
			[]string{"valid.txt:2:5:", "NUL"}},
		{"long word in test", map[string]string{"train.txt": good, "valid.txt": good, "test.txt": "the\nthe\n" + tooLong + "\n"}, Options{},
			[]string{"test.txt:3:1:", "word longer than 1048576 bytes"}},
		{"long last word without newline", map[string]string{"train.txt": good + "the " + tooLong, "valid.txt": good, "test.txt": good}, Options{},
			[]string{"train.txt:3:5:", "word longer than"}},
		{"unknown word without unk", map[string]string{"train.txt": good, "valid.txt": good, "test.txt": "the cat\nthe zebra dog\n"}, Options{},
			[]string{"test.txt:2:", `word "zebra" is not in the vocabulary`, "<unk>"}},
		{"bad MaxVocab", map[string]string{"train.txt": good, "valid.txt": good, "test.txt": good}, Options{MaxVocab: 1},
			[]string{"Options.MaxVocab = 1, want 0 (no limit) or at least 2"}},
		{"negative MinCount", map[string]string{"train.txt": good, "valid.txt": good, "test.txt": good}, Options{MinCount: -1},
			[]string{"Options.MinCount = -1, want >= 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			_, err := LoadDir(dir, tc.opt)
			wantErr(t, err, tc.frags...)
		})
	}
	_, err := LoadDir(filepath.Join(t.TempDir(), "nonexistent"), Options{})
	wantErr(t, err, "nonexistent")
	f := writeFiles(t, map[string]string{"file": "x"})
	_, err = LoadDir(filepath.Join(f, "file"), Options{})
	wantErr(t, err, "not a directory")
	// A directory in place of a split.
	dir := writeFiles(t, map[string]string{"train.txt": good, "valid.txt/x": good, "test.txt": good})
	_, err = LoadDir(dir, Options{})
	wantErr(t, err, "missing split valid.txt")
}

func TestLoadDirUnknownToUnk(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"train.txt": "the <unk> cat\n",
		"valid.txt": "the zebra cat\n",
		"test.txt":  "yak\n",
	})
	c, err := LoadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := words(c.Vocab, c.Valid); !slices.Equal(got, []string{"the", UNK, "cat", EOS}) {
		t.Errorf("valid = %q", got)
	}
	if got := words(c.Vocab, c.Test); !slices.Equal(got, []string{UNK, EOS}) {
		t.Errorf("test = %q", got)
	}
}

func TestLoadDirOptions(t *testing.T) {
	// Train tokens: b a c a <eos> c a d <eos>; counts a3 c2 <eos>2 b1 d1.
	files := map[string]string{"train.txt": "b a c a\nc a d\n", "valid.txt": "a e b\n", "test.txt": "d\n"}
	for _, tc := range []struct {
		opt          Options
		vocab, train []string
		valid        []string
	}{
		{Options{MinCount: 2}, []string{UNK, "a", "c", EOS},
			strings.Fields("<unk> a c a <eos> c a <unk> <eos>"), strings.Fields("a <unk> <unk> <eos>")},
		{Options{MaxVocab: 3}, []string{UNK, "a", EOS},
			strings.Fields("<unk> a <unk> a <eos> <unk> a <unk> <eos>"), strings.Fields("a <unk> <unk> <eos>")},
		{Options{MaxVocab: 4}, []string{UNK, "a", "c", EOS},
			strings.Fields("<unk> a c a <eos> c a <unk> <eos>"), strings.Fields("a <unk> <unk> <eos>")},
		// Tie between b and d (one occurrence each): b occurs first.
		{Options{MaxVocab: 5}, []string{"b", "a", "c", EOS, UNK},
			strings.Fields("b a c a <eos> c a <unk> <eos>"), strings.Fields("a <unk> b <eos>")},
		// Nothing dropped: <unk> is appended so valid/test can use it.
		{Options{MaxVocab: 100, MinCount: 1}, []string{"b", "a", "c", EOS, "d", UNK},
			strings.Fields("b a c a <eos> c a d <eos>"), strings.Fields("a <unk> b <eos>")},
		// Both: MinCount 2 leaves a, c; MaxVocab 3 keeps only a.
		{Options{MaxVocab: 3, MinCount: 2}, []string{UNK, "a", EOS},
			strings.Fields("<unk> a <unk> a <eos> <unk> a <unk> <eos>"), strings.Fields("a <unk> <unk> <eos>")},
		// <eos> is kept even below MinCount.
		{Options{MinCount: 3}, []string{UNK, "a", EOS},
			strings.Fields("<unk> a <unk> a <eos> <unk> a <unk> <eos>"), strings.Fields("a <unk> <unk> <eos>")},
	} {
		c, err := LoadDir(writeFiles(t, files), tc.opt)
		if err != nil {
			t.Fatalf("%+v: %v", tc.opt, err)
		}
		if got := c.Vocab.Words(); !slices.Equal(got, tc.vocab) {
			t.Errorf("%+v: vocabulary %q, want %q", tc.opt, got, tc.vocab)
		}
		if got := words(c.Vocab, c.Train); !slices.Equal(got, tc.train) {
			t.Errorf("%+v: train %q, want %q", tc.opt, got, tc.train)
		}
		if got := words(c.Vocab, c.Valid); !slices.Equal(got, tc.valid) {
			t.Errorf("%+v: valid %q, want %q", tc.opt, got, tc.valid)
		}
		if tc.opt.MaxVocab > 0 && c.Vocab.Len() > tc.opt.MaxVocab {
			t.Errorf("%+v: vocabulary of %d words", tc.opt, c.Vocab.Len())
		}
	}

	// A <unk> already in train is kept in place and absorbs dropped words.
	c, err := LoadDir(writeFiles(t, map[string]string{"train.txt": "a <unk> b a\n", "valid.txt": "b\n", "test.txt": "a\n"}), Options{MinCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Vocab.Words(); !slices.Equal(got, []string{"a", UNK, EOS}) {
		t.Errorf("vocabulary %q", got)
	}
	if got := words(c.Vocab, c.Train); !slices.Equal(got, strings.Fields("a <unk> <unk> a <eos>")) {
		t.Errorf("train %q", got)
	}
	checkFirstOccurrence(t, "train", c.Train, c.Vocab.Len())

	// On the tiny corpus, a restricted vocabulary keeps the most frequent words.
	full, err := LoadDir(tinyDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	small, err := LoadDir(tinyDir, Options{MaxVocab: 50})
	if err != nil {
		t.Fatal(err)
	}
	if small.Vocab.Len() != 50 || len(small.Train) != len(full.Train) {
		t.Fatalf("MaxVocab 50: %d words, %d tokens", small.Vocab.Len(), len(small.Train))
	}
	checkFirstOccurrence(t, "tiny MaxVocab 50", small.Train, 50)
	counts := map[string]int{}
	for _, w := range words(full.Vocab, full.Train) {
		counts[w]++
	}
	minKept := 1 << 30
	for _, w := range small.Vocab.Words() {
		if w != UNK && w != EOS {
			minKept = min(minKept, counts[w])
		}
	}
	for _, w := range full.Vocab.Words() {
		if _, ok := small.Vocab.ID(w); !ok && counts[w] > minKept {
			t.Errorf("dropped %q (%d occurrences) but kept a word with %d", w, counts[w], minKept)
		}
	}
	for i, id := range full.Train {
		w := full.Vocab.Word(id)
		if sid, ok := small.Vocab.ID(w); ok && small.Train[i] != sid || !ok && small.Vocab.Word(small.Train[i]) != UNK {
			t.Fatalf("token %d: %q became %q", i, w, small.Vocab.Word(small.Train[i]))
		}
	}
}

// TestLoadDirMinCountOne: MinCount 1 (and 0) keeps every word, so the
// vocabulary is the unrestricted one, with no <unk> added.
func TestLoadDirMinCountOne(t *testing.T) {
	files := map[string]string{"train.txt": "b a c a\nc a d\n", "valid.txt": "a b\n", "test.txt": "d\n"}
	full, err := LoadDir(writeFiles(t, files), Options{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := LoadDir(writeFiles(t, files), Options{MinCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"b", "a", "c", EOS, "d"}
	if !slices.Equal(full.Vocab.Words(), want) || !slices.Equal(one.Vocab.Words(), want) {
		t.Errorf("vocabularies %q (Options{}) and %q (MinCount 1), want both %q", full.Vocab.Words(), one.Vocab.Words(), want)
	}
	if !slices.Equal(one.Train, full.Train) {
		t.Errorf("MinCount 1 changed the train ids: %v, want %v", one.Train, full.Train)
	}
}

// TestLoadDirMaxVocabTies: among equally frequent words MaxVocab keeps those
// that occur first, whatever the number of words (a sort that is stable only
// for short inputs would pass a test with a handful of words).
func TestLoadDirMaxVocabTies(t *testing.T) {
	// 60 words w00..w59 in that order of first occurrence; word i occurs
	// 1 + i%3 times, so there are three tie groups of 20 words each.
	var train strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&train, "w%02d ", i)
	}
	train.WriteString("\n")
	for rep := 1; rep <= 2; rep++ {
		for i := 0; i < 60; i++ {
			if i%3 >= rep {
				fmt.Fprintf(&train, "w%02d ", i)
			}
		}
		train.WriteString("\n")
	}
	dir := writeFiles(t, map[string]string{"train.txt": train.String(), "valid.txt": "w00\n", "test.txt": "w59\n"})
	// MaxVocab 32 leaves 30 words besides <eos> and <unk>: the 20 words
	// with 3 occurrences (i%3 == 2) and the first 10 with 2 (i%3 == 1).
	c, err := LoadDir(dir, Options{MaxVocab: 32})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < 60; i++ {
		switch {
		case i%3 == 2, i%3 == 1 && i < 30:
			want = append(want, fmt.Sprintf("w%02d", i))
		case i == 0:
			want = append(want, UNK) // w00 is the first dropped word
		}
	}
	want = append(want, EOS)
	if got := c.Vocab.Words(); !slices.Equal(got, want) {
		t.Errorf("vocabulary\n%q\nwant\n%q", got, want)
	}
}

func TestReadFile(t *testing.T) {
	v, _ := NewVocab([]string{"the", "cat", EOS})
	dir := writeFiles(t, map[string]string{"a.txt": "the cat\n\ncat", "b.txt": "the\nthe dog\n", "empty.txt": "",
		"c.txt": "the zebra <unk>\n\nyak yak the\n"})
	text, err := ReadFile(filepath.Join(dir, "a.txt"), v)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(text.IDs, []int32{0, 1, 2, 2, 1, 2}) || text.Words != 3 || text.Unknown != 0 || text.UnknownRate() != 0 {
		t.Errorf("text = %+v", text)
	}
	_, err = ReadFile(filepath.Join(dir, "b.txt"), v)
	wantErr(t, err, "b.txt:2:", `"dog"`)
	_, err = ReadFile(filepath.Join(dir, "empty.txt"), v)
	wantErr(t, err, "empty.txt: empty file")
	_, err = ReadFile(filepath.Join(dir, "missing.txt"), v)
	wantErr(t, err, "missing.txt")
	_, err = ReadFile(dir, v)
	wantErr(t, err, "is a directory")
	noEOS, _ := NewVocab([]string{"the"})
	_, err = ReadFile(filepath.Join(dir, "a.txt"), noEOS)
	wantErr(t, err, "a.txt", "no <eos>")
	withUnk, _ := NewVocab([]string{"the", EOS, UNK})
	text, err = ReadFile(filepath.Join(dir, "b.txt"), withUnk)
	if err != nil || !slices.Equal(text.IDs, []int32{0, 1, 0, 2, 1}) || text.Words != 3 || text.Unknown != 1 {
		t.Errorf("with <unk>: %+v, %v", text, err)
	}
	// Unknown counts the words read as <unk>, not a literal <unk>, and the
	// rate is over the words, the <eos> of each line not counted.
	text, err = ReadFile(filepath.Join(dir, "c.txt"), withUnk)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := words(withUnk, text.IDs), strings.Fields("the <unk> <unk> <eos> <eos> <unk> <unk> the <eos>"); !slices.Equal(got, want) {
		t.Errorf("c.txt: %q, want %q", got, want)
	}
	if text.Words != 6 || text.Unknown != 3 || text.UnknownRate() != 0.5 {
		t.Errorf("c.txt: %d words, %d unknown, rate %v; want 6, 3, 0.5", text.Words, text.Unknown, text.UnknownRate())
	}
	// A byte-order mark is not a word, known or unknown.
	bom := writeFiles(t, map[string]string{"bom.txt": "\ufeffthe cat\n"})
	text, err = ReadFile(filepath.Join(bom, "bom.txt"), v)
	if err != nil || !slices.Equal(text.IDs, []int32{0, 1, 2}) || text.Words != 2 {
		t.Errorf("with a byte-order mark: %+v, %v", text, err)
	}
}
