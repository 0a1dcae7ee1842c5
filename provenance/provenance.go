// Package provenance records where a result came from: the sparselm
// version and the VCS revision of the binary that produced it, the command
// line, the time it started, and the data files it read, with their sizes
// and checksums. Every JSON summary that sparselm writes (a run's
// result.json, a pruning sweep's prune.json, summary.json and stats.json,
// the study's report.json) carries one, so that a number in a paper can be
// traced to the code and the data that made it.
//
// The revision comes from the build information that the Go toolchain
// stamps into binaries built from a VCS checkout (`go build`, `go install`;
// see runtime/debug.ReadBuildInfo). Test binaries and `go run` carry none:
// their revision and modified flag read Unknown.
package provenance

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"
)

// Unknown is the value of a build field that the binary does not record.
const Unknown = "unknown"

// Provenance is where a result came from. Its JSON form is part of every
// summary file (see the package doc).
type Provenance struct {
	// Version is the program's own version (sparselm's release, e.g. "0.1.0-dev").
	Version string `json:"version"`
	// ModuleVersion is the main module's version in the build information:
	// "(devel)" for a binary built from a checkout, vX.Y.Z for one installed
	// at a release; Unknown without build information.
	ModuleVersion string `json:"module_version"`
	// Revision is the VCS commit the binary was built from (vcs.revision),
	// Modified whether the working tree had uncommitted changes
	// (vcs.modified: "true" or "false"), VCSTime the commit's time; each is
	// Unknown when the build did not record it.
	Revision  string `json:"vcs_revision"`
	Modified  string `json:"vcs_modified"`
	VCSTime   string `json:"vcs_time"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"` // GOOS/GOARCH
	// Command is the command line, program name first.
	Command []string  `json:"command"`
	Started time.Time `json:"started"`
	// Data are the data files the command read, in the order read.
	Data []File `json:"data,omitempty"`
}

// File is a data file: its absolute path, size in bytes and checksums
// (lower-case hex). MD5 is there because the published checksums of the
// standard corpora are MD5 sums (see data.Known).
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	MD5    string `json:"md5"`
}

// New returns the provenance of the running program, of version version,
// invoked as command (program name first) at started. The build fields come
// from runtime/debug.ReadBuildInfo.
func New(version string, command []string, started time.Time) *Provenance {
	bi, ok := debug.ReadBuildInfo()
	return fromBuild(version, command, started, bi, ok)
}

// fromBuild is New with the build information given (tests use fakes).
func fromBuild(version string, command []string, started time.Time, bi *debug.BuildInfo, ok bool) *Provenance {
	p := &Provenance{Version: version, ModuleVersion: Unknown, Revision: Unknown, Modified: Unknown, VCSTime: Unknown,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Command: append([]string(nil), command...), Started: started}
	if !ok || bi == nil {
		return p
	}
	if bi.GoVersion != "" {
		p.GoVersion = bi.GoVersion
	}
	if bi.Main.Version != "" {
		p.ModuleVersion = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			p.Revision = s.Value
		case "vcs.modified":
			p.Modified = s.Value
		case "vcs.time":
			p.VCSTime = s.Value
		}
	}
	return p
}

// AddData hashes the files at paths and appends them to p.Data. It returns
// an error naming the file that cannot be read.
func (p *Provenance) AddData(paths ...string) error {
	for _, path := range paths {
		f, err := HashFile(path)
		if err != nil {
			return err
		}
		p.Data = append(p.Data, f)
	}
	return nil
}

// HashFile returns the absolute path, size and checksums of the file at path.
func HashFile(path string) (File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return File{}, fmt.Errorf("provenance: %w", err)
	}
	fh, err := os.Open(abs)
	if err != nil {
		return File{}, fmt.Errorf("provenance: %w", err)
	}
	defer fh.Close()
	s, m := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(s, m), fh)
	if err != nil {
		return File{}, fmt.Errorf("provenance: reading %s: %w", abs, err)
	}
	return File{Path: abs, Size: n, SHA256: hex.EncodeToString(s.Sum(nil)), MD5: hex.EncodeToString(m.Sum(nil))}, nil
}
