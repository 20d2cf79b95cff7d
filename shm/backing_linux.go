package shm

import "github.com/fpmshm/fpmshm/internal/sys"

// newBacking returns an empty memfd, not yet sealed: the caller writes the
// header (which sizes it), then calls seal.
func newBacking(name string) (fd int, b Backing, step string, err error) {
	fd, err = sys.MemfdCreate(name)
	if err != nil {
		return -1, "", "memfd_create", err
	}
	return fd, BackingMemfd, "", nil
}

// completeSeals is the seal set of a finished segment: no shrinking, no
// growing, and no change to the seals.
const completeSeals = sys.SealShrink | sys.SealGrow | sys.SealSeal

// seal seals fd against shrinking and growing and freezes its seal set.
// It is the last step of making a segment's file, after its header is
// written: a memfd that other processes find without these seals is still
// being made, and Attach waits for them (see checkMemfd).
func seal(fd int) (step string, err error) {
	return "fcntl(F_ADD_SEALS)", sys.AddSeals(fd, completeSeals)
}
