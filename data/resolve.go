package data

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// EnvDataDir is the environment variable naming the directory that holds
// the datasets, one subdirectory per dataset (e.g. $SPARSELM_DATA/ptb).
const EnvDataDir = "SPARSELM_DATA"

// UserDir returns the user's data directory for datasets:
// $XDG_DATA_HOME/sparselm, or $HOME/.local/share/sparselm when
// XDG_DATA_HOME is unset or not an absolute path (as the XDG Base Directory
// specification has it). getenv reads the environment (os.Getenv, or a
// fake in tests). It is an error when neither variable is usable.
func UserDir(getenv func(string) string) (string, error) {
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "sparselm"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "sparselm"), nil
	}
	return "", errors.New("data: no user data directory: neither $XDG_DATA_HOME nor $HOME is set")
}

// DefaultDir returns where datasets go when no directory is given: the
// value of $SPARSELM_DATA if it is set, else [UserDir].
func DefaultDir(getenv func(string) string) (string, error) {
	if d := getenv(EnvDataDir); d != "" {
		return d, nil
	}
	return UserDir(getenv)
}

// Resolve finds the directory of the dataset called name. If flagDir is
// non-empty it is flagDir itself if it holds the splits, else flagDir/name,
// else an error (a directory given is the one meant); otherwise it tries
// $SPARSELM_DATA/name and UserDir()/name, and returns the first directory
// that holds a complete set of splits (see [LoadDir]). getenv reads the environment (os.Getenv, or a fake in tests).
// If name looks like a path (it contains a path separator, or is "." or
// ".."), it is used as the directory itself and nothing else is tried;
// write ./NAME for a directory in the current one. The error lists every
// place tried and suggests `sparselm data fetch NAME`.
func Resolve(name, flagDir string, getenv func(string) string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("data: empty dataset name")
	}
	if name == "." || name == ".." || strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		if _, err := findSplits(name); err != nil {
			return "", err
		}
		return name, nil
	}
	var tried []string
	try := func(dir, why string) bool {
		if _, err := findSplits(dir); err == nil {
			return true
		}
		tried = append(tried, fmt.Sprintf("%s (%s)", dir, why))
		return false
	}
	if flagDir != "" {
		for _, d := range []string{flagDir, filepath.Join(flagDir, name)} {
			if _, err := findSplits(d); err == nil {
				return d, nil
			}
		}
		// A directory given on the command line is the one meant: falling
		// back to $SPARSELM_DATA would read other data without a word.
		return "", fmt.Errorf("data: dataset %q not found in the data directory given: neither %s nor %s holds train.txt, valid.txt and test.txt",
			name, flagDir, filepath.Join(flagDir, name))
	}
	if envDir := getenv(EnvDataDir); envDir != "" {
		if d := filepath.Join(envDir, name); try(d, "$"+EnvDataDir) {
			return d, nil
		}
	} else {
		tried = append(tried, "$"+EnvDataDir+"/"+name+" ($"+EnvDataDir+" is not set)")
	}
	if user, err := UserDir(getenv); err == nil {
		if d := filepath.Join(user, name); try(d, "user data directory") {
			return d, nil
		}
	} else {
		tried = append(tried, fmt.Sprintf("the user data directory (%v)", strings.TrimPrefix(err.Error(), "data: no user data directory: ")))
	}
	msg := fmt.Sprintf("data: dataset %q not found; looked in:\n\t%s", name, strings.Join(tried, "\n\t"))
	if _, ok := Known(name); ok {
		msg += fmt.Sprintf("\nrun `sparselm data fetch %s` to download it", name)
	} else {
		msg += "\nrun `sparselm data fetch NAME` to download a known dataset (ptb, wikitext-2), or pass a directory holding train.txt, valid.txt and test.txt"
	}
	return "", fmt.Errorf("%s", msg)
}

// SplitFiles returns the paths of the train, valid and test files of the
// corpus in dir, as [LoadDir] finds them (for recording their checksums).
func SplitFiles(dir string) ([]string, error) {
	paths, err := findSplits(dir)
	if err != nil {
		return nil, err
	}
	return paths[:], nil
}
