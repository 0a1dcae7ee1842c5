package ckptdir

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// ManifestName is the name of the manifest file inside a checkpoint.
const ManifestName = "MANIFEST.json"

// Format is the manifest's "format" value.
const Format = "sparselm-checkpoint"

// Version is the manifest version this package writes and reads.
const Version = 1

// ErrNotCheckpoint is wrapped by errors for a directory that is not a
// sparselm checkpoint (no manifest, or a manifest of another format).
var ErrNotCheckpoint = errors.New("not a sparselm checkpoint")

// ErrCorrupt is wrapped by errors for a checkpoint whose files do not match
// its manifest.
var ErrCorrupt = errors.New("the checkpoint is truncated or was modified")

type manifest struct {
	Format  string               `json:"format"`
	Version int                  `json:"version"`
	Files   map[string]fileEntry `json:"files"`
}

type fileEntry struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ValidName reports, as a non-nil error, why name cannot be a checkpoint file
// name.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New("ckptdir: empty file name")
	case name == "." || name == "..":
		return fmt.Errorf("ckptdir: invalid file name %q", name)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("ckptdir: invalid file name %q: must be a plain name without path separators", name)
	case name == ManifestName:
		return fmt.Errorf("ckptdir: file name %q is reserved for the manifest", name)
	}
	return nil
}

// Write atomically replaces the checkpoint directory dir with one holding
// files (name → contents) and a manifest. See the package documentation for
// the protocol and its crash guarantees. On error, dir is left as it was.
func Write(dir string, files map[string][]byte) error {
	dir = filepath.Clean(dir)
	for name := range files {
		if err := ValidName(name); err != nil {
			return err
		}
	}
	if err := Recover(dir); err != nil {
		return err
	}
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("ckptdir: %w", err)
	}
	tmp, err := writeTemp(dir, files)
	if err != nil {
		return err
	}
	atCrashPoint("written", tmp)
	old, err := moveAside(dir)
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	atCrashPoint("aside", dir)
	return install(dir, tmp, old)
}

// checkReplaceable refuses to let Write clobber something that is not a
// checkpoint.
func checkReplaceable(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ckptdir: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("ckptdir: refusing to replace %s: it is a symlink (pass the directory it points to)", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("ckptdir: refusing to replace %s: it exists and is not a directory", dir)
	}
	if hasManifest(dir) {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("ckptdir: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("ckptdir: refusing to replace %s: it is a non-empty directory without %s, so %w",
			dir, ManifestName, ErrNotCheckpoint)
	}
	return nil
}

// writeTemp writes files and the manifest into a new sibling directory of dir
// and syncs them. It returns the directory's path.
func writeTemp(dir string, files map[string][]byte) (string, error) {
	tmp := dir + ".tmp-" + randomSuffix()
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return "", fmt.Errorf("ckptdir: %w", err)
	}
	m := manifest{Format: Format, Version: Version, Files: make(map[string]fileEntry, len(files))}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	fail := func(err error) (string, error) {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("ckptdir: write checkpoint %s: %w", dir, err)
	}
	for _, name := range names {
		data := files[name]
		sum := sha256.Sum256(data)
		m.Files[name] = fileEntry{Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
		if err := writeSynced(filepath.Join(tmp, name), data); err != nil {
			return fail(err)
		}
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fail(err)
	}
	if err := writeSynced(filepath.Join(tmp, ManifestName), append(mb, '\n')); err != nil {
		return fail(err)
	}
	if err := syncDir(tmp); err != nil {
		return fail(err)
	}
	return tmp, nil
}

// moveAside renames an existing dir to dir.old-<random> and returns that
// name, or "" if dir does not exist.
func moveAside(dir string) (string, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	old := dir + ".old-" + randomSuffix()
	if err := os.Rename(dir, old); err != nil {
		return "", fmt.Errorf("ckptdir: %w", err)
	}
	return old, nil
}

// install renames tmp to dir, syncs the parent and removes old (if not "").
func install(dir, tmp, old string) error {
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir) // best effort; Recover handles a failure
		}
		os.RemoveAll(tmp)
		return fmt.Errorf("ckptdir: %w", err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return fmt.Errorf("ckptdir: %w", err)
	}
	if old != "" {
		// The new checkpoint is durable; a failure here only leaves garbage
		// that the next Recover removes.
		os.RemoveAll(old)
	}
	return nil
}

// Recover repairs the state a crash during Write can leave behind (see the
// package documentation): if dir is missing but a complete dir.old-* exists,
// it is renamed back to dir; stale dir.tmp-* directories are removed, and so
// are dir.old-* directories once dir exists. Recover is a no-op when there is
// nothing to repair, including when dir's parent does not exist.
func Recover(dir string) error {
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	tmps, olds, err := siblings(parent, base)
	if err != nil {
		return err
	}
	_, err = os.Lstat(dir)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return fmt.Errorf("ckptdir: %w", err)
	}
	if missing && len(olds) > 0 {
		if i := newestComplete(olds); i >= 0 {
			if err := os.Rename(olds[i], dir); err != nil {
				return fmt.Errorf("ckptdir: recover %s from %s: %w", dir, olds[i], err)
			}
			if err := syncDir(parent); err != nil {
				return fmt.Errorf("ckptdir: %w", err)
			}
			olds = append(olds[:i], olds[i+1:]...)
			missing = false
		}
	}
	var firstErr error
	remove := func(p string) {
		if err := os.RemoveAll(p); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("ckptdir: remove stale %s: %w", p, err)
		}
	}
	if !missing {
		for _, p := range olds {
			remove(p)
		}
	}
	for _, p := range tmps {
		remove(p)
	}
	return firstErr
}

// siblings lists parent's entries named base+".tmp-<16 hex>" and
// base+".old-<16 hex>", as paths.
func siblings(parent, base string) (tmps, olds []string, err error) {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("ckptdir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if suffix, ok := strings.CutPrefix(name, base+".tmp-"); ok && isSuffix(suffix) {
			tmps = append(tmps, filepath.Join(parent, name))
		} else if suffix, ok := strings.CutPrefix(name, base+".old-"); ok && isSuffix(suffix) && e.IsDir() {
			olds = append(olds, filepath.Join(parent, name))
		}
	}
	return tmps, olds, nil
}

// newestComplete returns the index of the old directory that verifies and
// has the newest manifest, or -1.
func newestComplete(olds []string) int {
	best := -1
	var bestTime int64
	for i, p := range olds {
		if _, err := load(p); err != nil {
			continue
		}
		fi, err := os.Stat(filepath.Join(p, ManifestName))
		if err != nil {
			continue
		}
		if t := fi.ModTime().UnixNano(); best < 0 || t > bestTime {
			best, bestTime = i, t
		}
	}
	return best
}

// Exists reports whether dir holds a checkpoint manifest. It also reports
// true when dir is missing but a checkpoint left by a crash in the middle of
// Write can be recovered (dir.old-* holds a manifest), since Read would then
// succeed. It does not verify the files and changes nothing on disk.
func Exists(dir string) bool {
	dir = filepath.Clean(dir)
	if hasManifest(dir) {
		return true
	}
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	_, olds, err := siblings(filepath.Dir(dir), filepath.Base(dir))
	if err != nil {
		return false
	}
	for _, p := range olds {
		if hasManifest(p) {
			return true
		}
	}
	return false
}

func hasManifest(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, ManifestName))
	return err == nil && fi.Mode().IsRegular()
}

// Read recovers dir if needed (see Recover), then loads every file named in
// its manifest and verifies its size and SHA-256. It fails, naming the file
// and the problem, if a listed file is missing, has the wrong size or hash, or
// if the directory holds a non-hidden file the manifest does not list.
func Read(dir string) (map[string][]byte, error) {
	dir = filepath.Clean(dir)
	if err := Recover(dir); err != nil {
		return nil, err
	}
	return load(dir)
}

func load(dir string) (map[string][]byte, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("ckptdir: no checkpoint: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("ckptdir: %s is %w: it is not a directory", dir, ErrNotCheckpoint)
	}
	mb, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ckptdir: %s is %w: it has no %s", dir, ErrNotCheckpoint, ManifestName)
	}
	if err != nil {
		return nil, fmt.Errorf("ckptdir: %w", err)
	}
	m, err := parseManifest(mb)
	if err != nil {
		return nil, fmt.Errorf("ckptdir: %s: %s: %w", dir, ManifestName, err)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("ckptdir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if name == ManifestName || strings.HasPrefix(name, ".") {
			continue
		}
		if _, ok := m.Files[name]; !ok {
			return nil, fmt.Errorf("ckptdir: %s: unexpected file %q is not listed in %s: %w",
				dir, name, ManifestName, ErrCorrupt)
		}
	}

	names := make([]string, 0, len(m.Files))
	for name := range m.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		data, err := readVerified(filepath.Join(dir, name), m.Files[name])
		if err != nil {
			return nil, fmt.Errorf("ckptdir: %s: file %q %w", dir, name, err)
		}
		out[name] = data
	}
	return out, nil
}

func parseManifest(b []byte) (*manifest, error) {
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("invalid JSON (%v): %w", err, ErrCorrupt)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the manifest: %w", ErrCorrupt)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("format is %q, want %q: %w", m.Format, Format, ErrNotCheckpoint)
	}
	if m.Version != Version {
		return nil, fmt.Errorf("unsupported checkpoint version %d (this program reads version %d)", m.Version, Version)
	}
	if m.Files == nil {
		return nil, fmt.Errorf("no \"files\" entry: %w", ErrCorrupt)
	}
	for name, e := range m.Files {
		if err := ValidName(name); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrCorrupt)
		}
		if e.Size < 0 {
			return nil, fmt.Errorf("file %q has negative size %d: %w", name, e.Size, ErrCorrupt)
		}
		if len(e.SHA256) != 64 || strings.ToLower(e.SHA256) != e.SHA256 {
			return nil, fmt.Errorf("file %q has malformed sha256 %q: %w", name, e.SHA256, ErrCorrupt)
		}
		if _, err := hex.DecodeString(e.SHA256); err != nil {
			return nil, fmt.Errorf("file %q has malformed sha256 %q: %w", name, e.SHA256, ErrCorrupt)
		}
	}
	return &m, nil
}

// readVerified reads path and checks it against e. Errors read as the tail
// of `file "name" ...`.
func readVerified(path string, e fileEntry) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("listed in %s is missing: %w", ManifestName, ErrCorrupt)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot be opened: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("is not a regular file: %w", ErrCorrupt)
	}
	if fi.Size() != e.Size {
		return nil, fmt.Errorf("is %d bytes, but %s says %d: %w", fi.Size(), ManifestName, e.Size, ErrCorrupt)
	}
	data := make([]byte, e.Size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("cannot be read (%v): %w", err, ErrCorrupt)
	}
	if n, _ := f.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("grew while being read: %w", ErrCorrupt)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != e.SHA256 {
		return nil, fmt.Errorf("has SHA-256 %s, but %s says %s: %w", got, ManifestName, e.SHA256, ErrCorrupt)
	}
	return data, nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir fsyncs a directory so that renames and creations in it are durable.
// File systems that cannot sync directories are tolerated.
func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}

func randomSuffix() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than returning an error)
	return hex.EncodeToString(b[:])
}

func isSuffix(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
