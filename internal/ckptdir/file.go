package ckptdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteFile replaces the file at path with data atomically, as Write does
// for a directory: it writes data to the sibling path+".tmp-<16 hex digits>",
// fsyncs it, renames it over path and fsyncs the parent directory. A reader
// that opened the old file keeps reading the old file whole, and a reader
// that opens path sees either the old or the new file, never a part of one.
// A crash before the rename leaves the old file at path and a stale
// temporary file, which the next WriteFile of the same path removes (only
// names of exactly that form are touched); on an error the temporary file
// is removed. The parent directory must exist. Every JSON file of a run or
// a sweep (result.json, prune.json, summary.json, stats.json, report.json)
// is written this way.
func WriteFile(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return fmt.Errorf("ckptdir: write %q: not a file name", path)
	}
	removeStaleTemps(dir, base)
	tmp := path + ".tmp-" + randomSuffix()
	if err := writeSynced(tmp, data); err != nil {
		os.Remove(tmp)
		return err
	}
	atCrashPoint("written", tmp)
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// removeStaleTemps removes the temporary files that a crashed WriteFile of
// dir/base left behind.
func removeStaleTemps(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := base + ".tmp-"
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && strings.HasPrefix(name, prefix) && isSuffix(name[len(prefix):]) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}
