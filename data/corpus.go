package data

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Options controls how a vocabulary is built for corpora that are not
// already closed (e.g. arbitrary text).
//
// When MaxVocab > 0 or MinCount > 1 the vocabulary is restricted: <eos> and
// <unk> are always kept; every other train word with fewer than MinCount
// occurrences is dropped; of the rest, the most frequent are kept (ties go
// to the earlier first occurrence) so that the vocabulary, <eos> and <unk>
// included, has at most MaxVocab words. Dropped words become <unk> everywhere.
// The kept words stay in first-occurrence order of the train split; <unk>
// takes the position of the first train token that maps to it, or the last
// id if no train token does (it is always present in a restricted vocabulary).
// With both fields at their zero value the vocabulary is every train word.
type Options struct {
	// MaxVocab bounds the vocabulary size, <eos> and <unk> included;
	// 0 means no limit. It must be 0 or at least 2.
	MaxVocab int
	// MinCount drops train words with fewer occurrences; 0 or 1 keeps all.
	MinCount int
}

func (o Options) restricted() bool { return o.MaxVocab > 0 || o.MinCount > 1 }

func (o Options) check() error {
	switch {
	case o.MaxVocab < 0 || o.MaxVocab == 1:
		return fmt.Errorf("data: Options.MaxVocab = %d, want 0 (no limit) or at least 2", o.MaxVocab)
	case o.MinCount < 0:
		return fmt.Errorf("data: Options.MinCount = %d, want >= 0", o.MinCount)
	}
	return nil
}

// Corpus is a tokenised train/valid/test split with its vocabulary; ids are
// int32 indices into Vocab.
type Corpus struct {
	Name  string // base name of Dir, e.g. "ptb"
	Dir   string // directory the splits were read from
	Vocab *Vocab
	Train []int32
	Valid []int32
	Test  []int32
}

// splitLayouts are the accepted file names for train, valid and test.
var splitLayouts = [][3]string{
	{"train.txt", "valid.txt", "test.txt"},
	{"ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"},
	{"wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"},
}

// findSplits returns the paths of the train, valid and test files in dir,
// using the first layout whose train file exists.
func findSplits(dir string) ([3]string, error) {
	var tried []string
	for _, l := range splitLayouts {
		train := filepath.Join(dir, l[0])
		if !isFile(train) {
			tried = append(tried, l[0])
			continue
		}
		var paths [3]string
		for i, n := range l {
			paths[i] = filepath.Join(dir, n)
			if !isFile(paths[i]) {
				return paths, fmt.Errorf("data: %s: missing split %s (found %s)", dir, n, l[0])
			}
		}
		return paths, nil
	}
	if st, err := os.Stat(dir); err != nil {
		return [3]string{}, fmt.Errorf("data: corpus directory: %w", err)
	} else if !st.IsDir() {
		return [3]string{}, fmt.Errorf("data: %s is not a directory", dir)
	}
	return [3]string{}, fmt.Errorf("data: %s: no training split (looked for %s)", dir, strings.Join(tried, ", "))
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// LoadDir reads the corpus in dir, which holds train.txt/valid.txt/test.txt,
// ptb.train.txt/ptb.valid.txt/ptb.test.txt or
// wiki.train.tokens/wiki.valid.tokens/wiki.test.tokens. Every line, blank
// lines included, is split on whitespace and followed by <eos>, as in the
// PyTorch word_language_model example. The vocabulary is built from train
// in first-occurrence order with opt applied (see [Options]). Valid and test
// words missing from the vocabulary map to <unk> if the vocabulary has it,
// and are otherwise an error naming file, line and word. A byte-order mark
// at the start of a file is skipped. A missing or empty split, NUL bytes,
// invalid UTF-8 and words longer than [MaxWordBytes] are errors naming the
// file (and line); lines may be of any length.
func LoadDir(dir string, opt Options) (*Corpus, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	paths, err := findSplits(dir)
	if err != nil {
		return nil, err
	}
	v, train, err := buildTrain(paths[0], opt)
	if err != nil {
		return nil, err
	}
	c := &Corpus{Name: filepath.Base(filepath.Clean(dir)), Dir: dir, Vocab: v, Train: train}
	for _, split := range []struct {
		path string
		ids  *[]int32
	}{{paths[1], &c.Valid}, {paths[2], &c.Test}} {
		t, err := ReadFile(split.path, v)
		if err != nil {
			return nil, err
		}
		*split.ids = t.IDs
	}
	return c, nil
}

// openText opens path for tokenising and returns a size hint in bytes.
// An empty file is an error.
func openText(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("data: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("data: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, fmt.Errorf("data: %s is a directory, not a text file", path)
	}
	if st.Size() == 0 && st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("data: %s: empty file", path)
	}
	return f, st.Size(), nil
}

// tokensHint guesses the number of tokens in a file of the given size
// (PTB and WikiText-2 average about 5.5 bytes per token).
func tokensHint(size int64) int {
	const maxHint = 1 << 26
	return int(min(size/5+16, maxHint))
}

// buildTrain tokenises the training split, builds the vocabulary in
// first-occurrence order and applies the vocabulary options.
func buildTrain(path string, opt Options) (*Vocab, []int32, error) {
	f, size, err := openText(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ids := make(map[string]int32, 1024)
	var words []string
	var counts []int
	seq := make([]int32, 0, tokensHint(size))
	add := func(tok []byte) error {
		id, ok := ids[string(tok)] // no allocation for the lookup
		if !ok {
			if len(words) >= maxVocabLen {
				return fmt.Errorf("%s: more than %d distinct words", path, maxVocabLen)
			}
			w := string(tok)
			id = int32(len(words))
			ids[w] = id
			words = append(words, w)
			counts = append(counts, 0)
		}
		counts[id]++
		seq = append(seq, id)
		return nil
	}
	eos := []byte(EOS)
	tr := newTokenReader(f, path)
	for {
		word, eol, err := tr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, prefixData(err)
		}
		if eol {
			word = eos
		}
		if err := add(word); err != nil {
			return nil, nil, prefixData(err)
		}
	}
	if tr.lines == 0 {
		return nil, nil, fmt.Errorf("data: %s: empty file", path)
	}
	if !opt.restricted() {
		return newVocabTrusted(words, ids), seq, nil
	}
	words, remap := restrictVocab(words, counts, ids, opt)
	for i, id := range seq {
		seq[i] = remap[id]
	}
	v, err := NewVocab(words)
	if err != nil {
		return nil, nil, err // cannot happen: words are distinct train tokens
	}
	return v, seq, nil
}

// restrictVocab applies MaxVocab and MinCount to a first-occurrence
// vocabulary with the given counts. It returns the new word list (which
// always contains <unk>) and the old-id → new-id mapping.
func restrictVocab(words []string, counts []int, ids map[string]int32, opt Options) ([]string, []int32) {
	unkOld, hasUnk := ids[UNK]
	eosOld, hasEOS := ids[EOS]
	keep := make([]bool, len(words))
	var cand []int32 // droppable words that pass MinCount
	for i, c := range counts {
		switch {
		case hasUnk && int32(i) == unkOld, hasEOS && int32(i) == eosOld:
			keep[i] = true
		case c >= opt.MinCount:
			cand = append(cand, int32(i))
		}
	}
	budget := len(cand)
	if opt.MaxVocab > 0 {
		reserved := 1 // <unk>, present in the result even if not in train
		if hasEOS {
			reserved++
		}
		budget = min(budget, max(opt.MaxVocab-reserved, 0))
	}
	// Most frequent first; stable sort keeps first occurrence on ties.
	slices.SortStableFunc(cand, func(a, b int32) int { return counts[b] - counts[a] })
	for _, id := range cand[:budget] {
		keep[id] = true
	}
	remap := make([]int32, len(words))
	out := make([]string, 0, min(len(words)+1, budget+2))
	unkNew := int32(-1)
	for i, w := range words {
		isUnk := hasUnk && int32(i) == unkOld
		if keep[i] && !isUnk {
			remap[i] = int32(len(out))
			out = append(out, w)
			continue
		}
		if unkNew < 0 {
			unkNew = int32(len(out))
			out = append(out, UNK)
		}
		remap[i] = unkNew
	}
	if unkNew < 0 {
		out = append(out, UNK)
	}
	return out, remap
}

// prefixData prefixes "data: " to a tokenReader error.
func prefixData(err error) error { return fmt.Errorf("data: %w", err) }

// Text is a file tokenised with an existing vocabulary (see [ReadFile]).
type Text struct {
	IDs []int32 // one id per word, and <eos> after every line
	// Words counts the words of the text; the <eos> ending each line is not one.
	Words int
	// Unknown counts the words that are not in the vocabulary, each read as
	// <unk>. A literal <unk> in the text is a word of the vocabulary, not one
	// of these.
	Unknown int
}

// UnknownRate returns the fraction of the words that were not in the
// vocabulary, Unknown/Words, or 0 for a text without words.
func (t *Text) UnknownRate() float64 {
	if t.Words == 0 {
		return 0
	}
	return float64(t.Unknown) / float64(t.Words)
}

// UnknownRateWarn is the rate of unknown words above which a score on a text
// should come with a warning. Every word read as <unk> is one the model
// predicts as the class of all rare words, which is far easier than
// predicting the word itself, so unknown words lower the perplexity (a text
// of nothing but unknown words scores better than real text). The corpora
// themselves have 5.1% <unk> (PTB train) and 2.7% (WikiText-2 train) of their
// words; past 5% the text adds more <unk> than the model learned from, and
// its perplexity says more about <unk> than about the text.
const UnknownRateWarn = 0.05

// ReadFile tokenises the text file at path with an existing vocabulary, in
// the same way as [LoadDir] (whitespace-separated words, <eos> after every
// line, a leading byte-order mark skipped). Words not in v become <unk> if v
// has it, and are counted in Text.Unknown; without <unk> in v they are an
// error naming file, line and word. v must contain <eos>.
func ReadFile(path string, v *Vocab) (*Text, error) {
	if _, ok := v.ID(EOS); !ok {
		return nil, fmt.Errorf("data: %s: vocabulary has no %s", path, EOS)
	}
	f, size, err := openText(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readText(f, path, size, v)
}

// ReadText is [ReadFile] of the text r yields (standard input, say), which
// errors name as name.
func ReadText(r io.Reader, name string, v *Vocab) (*Text, error) {
	return readText(r, name, 0, v)
}

// readText tokenises r, of about size bytes (0: unknown), errors naming it
// as path.
func readText(r io.Reader, path string, size int64, v *Vocab) (*Text, error) {
	eos, ok := v.ID(EOS)
	if !ok {
		return nil, fmt.Errorf("data: %s: vocabulary has no %s", path, EOS)
	}
	unk, hasUnk := v.ID(UNK)
	tr := newTokenReader(r, path)
	t := &Text{IDs: make([]int32, 0, tokensHint(size))}
	for {
		word, eol, err := tr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, prefixData(err)
		}
		if eol {
			t.IDs = append(t.IDs, eos)
			continue
		}
		t.Words++
		id, ok := v.ids[string(word)] // no allocation for the lookup
		if !ok {
			if !hasUnk {
				return nil, fmt.Errorf("data: %s:%d: word %q is not in the vocabulary, which has no %s", path, tr.line(), word, UNK)
			}
			id = unk
			t.Unknown++
		}
		t.IDs = append(t.IDs, id)
	}
	if tr.lines == 0 {
		return nil, fmt.Errorf("data: %s: empty file", path)
	}
	return t, nil
}
