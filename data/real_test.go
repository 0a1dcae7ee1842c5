package data

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// realDataDir returns $SPARSELM_DATA/name or skips the test.
func realDataDir(t testing.TB, name string) string {
	t.Helper()
	root := os.Getenv(EnvDataDir)
	if root == "" {
		t.Skipf("%s is not set; set it to the directory holding ptb/ and wikitext-2/ to run the real-data tests", EnvDataDir)
	}
	dir := filepath.Join(root, name)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("%s=%s has no %s directory (run `sparselm data fetch %s`)", EnvDataDir, root, name, name)
	}
	return dir
}

// Token counts (with <eos>) and vocabulary sizes from
// /work/shared/data/README.md.
var realCorpora = []struct {
	name               string
	train, valid, test int
	vocab              int
	first              []string // the first vocabulary words, ids 0, 1, ...
}{
	{"ptb", 929589, 73760, 82430, 10000, []string{"aer", "banknote", "berlitz"}},
	{"wikitext-2", 2088628, 217646, 245569, 33278, []string{EOS, "=", "Valkyria", "Chronicles", "III"}},
}

func TestRealCorpora(t *testing.T) {
	for _, rc := range realCorpora {
		t.Run(rc.name, func(t *testing.T) {
			dir := realDataDir(t, rc.name)
			start := time.Now()
			c, err := LoadDir(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("LoadDir(%s): %v", dir, time.Since(start))
			if c.Name != rc.name {
				t.Errorf("Name = %q", c.Name)
			}
			if len(c.Train) != rc.train || len(c.Valid) != rc.valid || len(c.Test) != rc.test {
				t.Errorf("tokens train/valid/test = %d/%d/%d, want %d/%d/%d",
					len(c.Train), len(c.Valid), len(c.Test), rc.train, rc.valid, rc.test)
			}
			if c.Vocab.Len() != rc.vocab {
				t.Errorf("vocabulary has %d words, want %d", c.Vocab.Len(), rc.vocab)
			}
			for i, w := range rc.first {
				if got := c.Vocab.Word(int32(i)); got != w {
					t.Errorf("Word(%d) = %q, want %q", i, got, w)
				}
				if c.Train[i] != int32(i) {
					t.Errorf("train token %d has id %d, want %d", i, c.Train[i], i)
				}
			}
			checkFirstOccurrence(t, "train", c.Train, c.Vocab.Len())
			// Every line ends in <eos>, and the splits end with it.
			eos, _ := c.Vocab.ID(EOS)
			for _, s := range [][]int32{c.Train, c.Valid, c.Test} {
				if s[len(s)-1] != eos {
					t.Error("split does not end with <eos>")
				}
			}
			// The corpora are closed: a MaxVocab equal to the vocabulary
			// size changes nothing.
			r, err := LoadDir(dir, Options{MaxVocab: rc.vocab})
			if err != nil {
				t.Fatal(err)
			}
			if r.Vocab.Len() != rc.vocab || !equalIDs(r.Train, c.Train) || !equalIDs(r.Valid, c.Valid) || !equalIDs(r.Test, c.Test) {
				t.Error("MaxVocab = vocabulary size changed the corpus")
			}
		})
	}
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRealPTBLines(t *testing.T) {
	dir := realDataDir(t, "ptb")
	c, err := LoadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	eos, _ := c.Vocab.ID(EOS)
	lines := 0
	for _, id := range c.Train {
		if id == eos {
			lines++
		}
	}
	if lines != 42068 {
		t.Errorf("train has %d <eos>, want 42068 lines", lines)
	}
	// The first line of ptb.train.txt has 24 words.
	if c.Train[24] != eos || c.Vocab.Word(c.Train[25]) != "pierre" {
		t.Errorf("first line: token 24 = %q, token 25 = %q", c.Vocab.Word(c.Train[24]), c.Vocab.Word(c.Train[25]))
	}
}

func BenchmarkLoadPTB(b *testing.B) {
	dir := realDataDir(b, "ptb")
	for b.Loop() {
		if _, err := LoadDir(dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadWikiText2(b *testing.B) {
	dir := realDataDir(b, "wikitext-2")
	for b.Loop() {
		if _, err := LoadDir(dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
