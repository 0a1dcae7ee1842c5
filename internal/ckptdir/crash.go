package ckptdir

// crashPoint, when set, is called at the points of Write and WriteFile
// where a crash leaves something for Recover or the next write to clean
// up: "written" once the new files are complete beside the old ones (path
// is the temporary file or directory), "aside" once Write has moved the old
// checkpoint aside (path is dir). Nil in normal use.
var crashPoint func(where, path string)

// SetCrashPoint sets the function called at the crash points of Write and
// WriteFile (see crashPoint), for tests that kill a process inside a write
// (the CLI's kill-and-resume tests print them and pause there). Nil removes it.
func SetCrashPoint(f func(where, path string)) { crashPoint = f }

func atCrashPoint(where, path string) {
	if crashPoint != nil {
		crashPoint(where, path)
	}
}
