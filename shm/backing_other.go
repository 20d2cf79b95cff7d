//go:build unix && !linux

package shm

import (
	"os"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// newBacking returns an unlinked temporary file of size bytes: the closest
// thing to a memfd this platform has (no seals).
func newBacking(name string, size int64) (fd int, b Backing, step string, err error) {
	f, err := os.CreateTemp("", "fpmshm-"+name+"-*")
	if err != nil {
		return -1, "", "create temporary file", err
	}
	defer f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return -1, "", "unlink temporary file", err
	}
	if err := f.Truncate(size); err != nil {
		return -1, "", "ftruncate", err
	}
	var dupErr error
	if cerr := control(f, func(raw int) { fd, dupErr = sys.DupCloexec(raw) }); cerr != nil {
		return -1, "", "dup", cerr
	}
	if dupErr != nil {
		return -1, "", "dup", dupErr
	}
	return fd, BackingTempFile, "", nil
}

// seal does nothing: this platform's temporary files have no seals.
func seal(fd int) (step string, err error) { return "", nil }
