//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package train

import "os"

// terminalWidth reports whether f is a terminal (here: a character device)
// and its width in columns: 0, unknown on this system ($COLUMNS or 80 is used).
func terminalWidth(f *os.File) (cols int, tty bool) {
	st, err := f.Stat()
	return 0, err == nil && st.Mode()&os.ModeCharDevice != 0
}
