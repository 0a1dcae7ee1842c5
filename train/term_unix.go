//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package train

import (
	"os"

	"golang.org/x/sys/unix"
)

// terminalWidth reports whether f is a terminal and, if so, its width in
// columns (0 when the terminal does not say).
func terminalWidth(f *os.File) (cols int, tty bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	var ws *unix.Winsize
	var werr error
	if err := rc.Control(func(fd uintptr) { ws, werr = unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ) }); err != nil || werr != nil {
		return 0, false // ENOTTY: a file, a pipe, /dev/null
	}
	return int(ws.Col), true
}
