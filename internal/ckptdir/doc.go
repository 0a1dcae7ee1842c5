// Package ckptdir stores a checkpoint as a directory of files that is replaced
// atomically on write and verified on read.
//
// # Layout
//
// A checkpoint directory holds the caller's files plus MANIFEST.json:
//
//	{
//	  "format": "sparselm-checkpoint",
//	  "version": 1,
//	  "files": {"model.safetensors": {"size": 1234, "sha256": "<64 hex digits>"}, ...}
//	}
//
// File names are plain names: not empty, not "." or "..", without '/', '\\'
// or NUL, and not "MANIFEST.json" itself. Subdirectories are not supported.
//
// # Writing
//
// [Write] never modifies a checkpoint in place. It
//
//  1. writes every file and then the manifest into a sibling temporary
//     directory dir+".tmp-<16 hex digits>", fsyncing each file and then the
//     directory;
//  2. if dir exists, renames it to dir+".old-<16 hex digits>";
//  3. renames the temporary directory to dir and fsyncs the parent directory;
//  4. removes the old directory.
//
// A crash (or power loss) before step 2 leaves the old checkpoint at dir and
// a stale temporary directory; a crash after step 3 leaves the new checkpoint
// at dir and perhaps a partly removed old directory. A crash between steps 2
// and 3 leaves no directory at dir at all: the old checkpoint is complete at
// dir.old-*, and the new one complete at dir.tmp-*. [Recover] repairs all of
// these: if dir is missing it renames a complete (fully verified) dir.old-*
// back to dir (if there are several, the newest by its manifest's
// modification time; an incomplete one is never restored); it then removes
// every dir.tmp-* and, once dir exists, every dir.old-*. [Read] and [Write] call Recover first, and [Exists] reports true
// in the crash window, so a caller that resumes from "the checkpoint at dir"
// sees the last checkpoint whose Write returned successfully, or the one being
// written if Write had got past step 3. Only sibling names of exactly that
// form (16 lowercase hex digits) are touched.
//
// To avoid destroying unrelated data, Write refuses to replace a dir that
// exists but is a symlink, not a directory, or a non-empty directory without
// a manifest.
//
// Write creates dir's parent directories if needed (without fsyncing their
// parents). The package is not safe for concurrent writers to the same dir:
// Recover, run by one writer, deletes another's temporary directory.
//
// # Single files
//
// [WriteFile] replaces one file atomically in the same way (a synced
// sibling temporary file renamed over it, then the directory synced); the
// JSON files of runs and sweeps are written with it.
//
// # Reading
//
// [Read] loads every file the manifest lists and checks its size and SHA-256.
// Missing, truncated or modified files are reported by name, with errors
// wrapping [ErrCorrupt]. Files in the directory that the manifest does not
// list are also an error (a checkpoint is exactly what was written), except
// hidden files (names starting with '.', such as .DS_Store or NFS .nfsXXXX
// files), which are ignored. A directory without a manifest, or whose
// manifest is not a sparselm checkpoint manifest, gives an error wrapping
// [ErrNotCheckpoint]; a missing directory gives one wrapping fs.ErrNotExist.
package ckptdir
