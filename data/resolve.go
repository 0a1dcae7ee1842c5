package data

import (
	"fmt"
	"path/filepath"
	"strings"
)

// EnvDataDir is the environment variable naming the directory that holds
// the datasets, one subdirectory per dataset (e.g. $SPARSELM_DATA/ptb).
const EnvDataDir = "SPARSELM_DATA"

// Resolve finds the directory of the dataset called name. It tries, in order:
// flagDir itself if it holds the splits, flagDir/name (both only if flagDir
// is non-empty), envDir/name (envDir is the value of $SPARSELM_DATA, which
// the caller reads; "" skips it), and ./data/name, and returns the first
// directory that holds a complete set of splits (see [LoadDir]). If name
// looks like a path (it contains a path separator, or is "." or ".."), it is
// used as the directory itself and nothing else is tried; write ./NAME for a
// directory in the current one. The error lists every place tried and
// suggests `sparselm data fetch NAME`.
func Resolve(name, flagDir, envDir string) (string, error) {
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
		if try(flagDir, "data directory flag") {
			return flagDir, nil
		}
		if d := filepath.Join(flagDir, name); try(d, "data directory flag") {
			return d, nil
		}
	}
	if envDir != "" {
		if d := filepath.Join(envDir, name); try(d, "$"+EnvDataDir) {
			return d, nil
		}
	} else {
		tried = append(tried, "$"+EnvDataDir+"/"+name+" ($"+EnvDataDir+" is not set)")
	}
	if d := filepath.Join("data", name); try(d, "current directory") {
		return d, nil
	}
	msg := fmt.Sprintf("data: dataset %q not found; looked in:\n\t%s", name, strings.Join(tried, "\n\t"))
	if _, ok := Known(name); ok {
		msg += fmt.Sprintf("\nrun `sparselm data fetch %s` to download it", name)
	} else {
		msg += "\nrun `sparselm data fetch NAME` to download a known dataset (ptb, wikitext-2), or pass a directory holding train.txt, valid.txt and test.txt"
	}
	return "", fmt.Errorf("%s", msg)
}
