//go:build unix && !linux

package shm

import (
	"os"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// newBacking returns an empty unlinked temporary file: the closest thing
// to a memfd this platform has (no seals). The caller writes the header,
// which sizes it.
func newBacking(name string) (fd int, b Backing, step string, err error) {
	f, err := os.CreateTemp("", "fpmshm-"+name+"-*")
	if err != nil {
		return -1, "", "create temporary file", err
	}
	defer f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return -1, "", "unlink temporary file", err
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
