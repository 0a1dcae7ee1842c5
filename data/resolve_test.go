package data

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeEnv returns a getenv that knows only the variables in vars.
func fakeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

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
	flagOnly := mk("flag/ptb")                        // flagDir/name
	flagSelf := mk("self")                            // flagDir holding the splits itself
	envPTB := mk("env/ptb")                           // $SPARSELM_DATA/name
	userPTB := mk("home/.local/share/sparselm/ptb")   // the user data directory
	userWiki := mk("home/.local/share/sparselm/wiki") // only there
	xdgWiki := mk("xdg/sparselm/wiki")                // $XDG_DATA_HOME/sparselm/name
	mk("cwd/data/ptb")                                // ./data/name: the package directory, never looked in
	os.MkdirAll(filepath.Join(root, "flag/incomplete"), 0o755)
	os.WriteFile(filepath.Join(root, "flag/incomplete/train.txt"), []byte("a\n"), 0o644)
	t.Chdir(filepath.Join(root, "cwd"))
	home := filepath.Join(root, "home")
	env := fakeEnv(map[string]string{"SPARSELM_DATA": filepath.Join(root, "env"), "HOME": home})
	noEnv := fakeEnv(map[string]string{"HOME": home})
	xdg := fakeEnv(map[string]string{"HOME": home, "XDG_DATA_HOME": filepath.Join(root, "xdg")})

	for _, tc := range []struct {
		name, flag string
		getenv     func(string) string
		want       string
	}{
		{"ptb", filepath.Join(root, "flag"), env, flagOnly},
		{"ptb", flagSelf, env, flagSelf},
		{"ptb", "", env, envPTB},
		{"ptb", "", noEnv, userPTB},           // not ./data/ptb
		{"wiki", "", env, userWiki},           // not in $SPARSELM_DATA
		{"wiki", "", xdg, xdgWiki},            // $XDG_DATA_HOME wins over $HOME
		{envPTB, "", env, envPTB},             // a path
		{"./data/ptb", "", env, "./data/ptb"}, // a relative path
	} {
		got, err := Resolve(tc.name, tc.flag, tc.getenv)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %q", tc.name, tc.flag, got, err, tc.want)
		}
	}

	// A data directory given is the one meant: when the dataset is not
	// there, an error naming both places, never $SPARSELM_DATA's or the
	// user directory's copy (which would be other data without a word).
	for _, c := range []struct{ name, flag string }{
		{"ptb", filepath.Join(root, "nowhere")},
		{"wiki", filepath.Join(root, "flag")},
		{"ptb", filepath.Join(root, "flag/incomplete")},
	} {
		got, err := Resolve(c.name, c.flag, env)
		if err == nil {
			t.Errorf("Resolve(%q, %q) = %q, want an error: the flag's directory lacks it", c.name, c.flag, got)
			continue
		}
		wantErr(t, err, `not found in the data directory given`, c.flag, filepath.Join(c.flag, c.name))
	}

	// Not found: every place is listed and the fetch command suggested.
	_, err := Resolve("wikitext-2", "", env)
	wantErr(t, err, `dataset "wikitext-2" not found`,
		filepath.Join(root, "env", "wikitext-2")+" ($SPARSELM_DATA)",
		filepath.Join(home, ".local", "share", "sparselm", "wikitext-2")+" (user data directory)",
		"sparselm data fetch wikitext-2")
	_, err = Resolve("mine", "", fakeEnv(nil))
	wantErr(t, err, "$SPARSELM_DATA is not set", "neither $XDG_DATA_HOME nor $HOME is set", "sparselm data fetch NAME")
	_, err = Resolve("ptb", "", fakeEnv(nil)) // ./data/ptb exists, but is not looked in
	wantErr(t, err, `dataset "ptb" not found`)
	_, err = Resolve("./missing", "", env)
	wantErr(t, err, "./missing", "no such file or directory")
	_, err = Resolve(filepath.Join(root, "flag/incomplete"), "", env)
	wantErr(t, err, "missing split valid.txt")
	_, err = Resolve("", "", env)
	wantErr(t, err, "empty dataset name")
}

// TestUserDir: $XDG_DATA_HOME/sparselm when it is an absolute path, else
// ~/.local/share/sparselm, else an error; DefaultDir prefers $SPARSELM_DATA.
func TestUserDir(t *testing.T) {
	for _, tc := range []struct {
		vars      map[string]string
		user, def string
	}{
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/sparselm", "/home/u/.local/share/sparselm"},
		{map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/x"}, "/x/sparselm", "/x/sparselm"},
		{map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "rel"}, "/home/u/.local/share/sparselm", "/home/u/.local/share/sparselm"},
		{map[string]string{"HOME": "/home/u", "SPARSELM_DATA": "/data"}, "/home/u/.local/share/sparselm", "/data"},
		{map[string]string{"SPARSELM_DATA": "/data"}, "", "/data"},
		{nil, "", ""},
	} {
		user, err := UserDir(fakeEnv(tc.vars))
		if user != filepath.FromSlash(tc.user) || (err != nil) != (tc.user == "") {
			t.Errorf("UserDir(%v) = %q, %v; want %q", tc.vars, user, err, tc.user)
		}
		def, err := DefaultDir(fakeEnv(tc.vars))
		if def != filepath.FromSlash(tc.def) || (err != nil) != (tc.def == "") {
			t.Errorf("DefaultDir(%v) = %q, %v; want %q", tc.vars, def, err, tc.def)
		}
	}
}

func TestSplitFiles(t *testing.T) {
	dir := filepath.Join("..", "testdata", "data", "tiny")
	got, err := SplitFiles(dir)
	want := []string{filepath.Join(dir, "train.txt"), filepath.Join(dir, "valid.txt"), filepath.Join(dir, "test.txt")}
	if err != nil || len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("SplitFiles = %v, %v; want %v", got, err, want)
	}
	if _, err := SplitFiles(t.TempDir()); err == nil {
		t.Error("SplitFiles of an empty directory succeeded")
	}
}
