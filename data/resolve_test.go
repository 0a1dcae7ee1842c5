package data

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	splits := map[string]string{"train.txt": "a\n", "valid.txt": "a\n", "test.txt": "a\n"}
	root := t.TempDir()
	mk := func(rel string) string {
		d := filepath.Join(root, rel)
		for name, c := range splits {
			os.MkdirAll(d, 0o755)
			if err := os.WriteFile(filepath.Join(d, name), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	flagOnly := mk("flag/ptb") // flagDir/name
	flagSelf := mk("self")     // flagDir holding the splits itself
	envPTB := mk("env/ptb")    // $SPARSELM_DATA/name
	mk("cwd/data/ptb")         // ./data/name
	mk("cwd/data/wiki")        // only in ./data
	os.MkdirAll(filepath.Join(root, "flag/incomplete"), 0o755)
	os.WriteFile(filepath.Join(root, "flag/incomplete/train.txt"), []byte("a\n"), 0o644)
	t.Chdir(filepath.Join(root, "cwd"))
	env := filepath.Join(root, "env") // $SPARSELM_DATA

	for _, tc := range []struct {
		name, flag, want string
	}{
		{"ptb", filepath.Join(root, "flag"), flagOnly},
		{"ptb", flagSelf, flagSelf},
		{"ptb", "", envPTB},
		{"ptb", filepath.Join(root, "nowhere"), envPTB},
		{"wiki", "", filepath.Join("data", "wiki")},
		{"wiki", filepath.Join(root, "flag"), filepath.Join("data", "wiki")},
		{envPTB, "", envPTB},               // a path
		{"./data/wiki", "", "./data/wiki"}, // a relative path
		{"ptb", filepath.Join(root, "flag/incomplete"), envPTB},
	} {
		got, err := Resolve(tc.name, tc.flag, env)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %q", tc.name, tc.flag, got, err, tc.want)
		}
	}

	// Without $SPARSELM_DATA, ./data/ptb is found.
	if got, err := Resolve("ptb", "", ""); err != nil || got != filepath.Join("data", "ptb") {
		t.Errorf("Resolve(ptb) without env = %q, %v", got, err)
	}

	// Not found: every place is listed and the fetch command suggested.
	_, err := Resolve("wikitext-2", filepath.Join(root, "flag"), env)
	wantErr(t, err, `dataset "wikitext-2" not found`,
		filepath.Join(root, "flag")+" (data directory flag)",
		filepath.Join(root, "flag", "wikitext-2"),
		filepath.Join(root, "env", "wikitext-2")+" ($SPARSELM_DATA)",
		filepath.Join("data", "wikitext-2")+" (current directory)",
		"sparselm data fetch wikitext-2")
	_, err = Resolve("mine", "", "")
	wantErr(t, err, "$SPARSELM_DATA is not set", "sparselm data fetch NAME")
	_, err = Resolve("./missing", "", "")
	wantErr(t, err, "./missing", "no such file or directory")
	_, err = Resolve(filepath.Join(root, "flag/incomplete"), "", "")
	wantErr(t, err, "missing split valid.txt")
	_, err = Resolve("", "", "")
	wantErr(t, err, "empty dataset name")
}
