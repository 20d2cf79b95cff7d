//go:build unix && !linux

package shm

import (
	"os"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// newBacking returns an empty unlinked temporary file: the closest thing
// to a memfd this platform has (no seals, no name others can read). The
// caller stamps it with the header, which sizes it.
func newBacking(name string, h Header) (fd int, b Backing, step string, err error) {
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

// allocLen returns the length of the mapping of a segment of Alloc of
// size bytes: with its header, as segmentLen.
func allocLen(size int) (int, bool) { return segmentLen(size) }

// stamp writes h at the end of the temporary file fd, which thereby
// becomes maplen bytes long.
func stamp(fd int, h Header, maplen int) (step string, err error) {
	return "pwrite of the header", writeHeader(fd, h, maplen)
}

// seal does nothing: this platform's temporary files have no seals.
func seal(fd int) (step string, err error) { return "", nil }
