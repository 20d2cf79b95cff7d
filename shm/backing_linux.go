package shm

import "github.com/fpmshm/fpmshm/internal/sys"

// newBacking returns a memfd of size bytes, sealed against shrinking and
// growing with its seal set frozen, or names the step that failed.
func newBacking(name string, size int64) (fd int, b Backing, step string, err error) {
	fd, err = sys.MemfdCreate(name)
	if err != nil {
		return -1, "", "memfd_create", err
	}
	step = "ftruncate"
	if err = sys.Ftruncate(fd, size); err == nil {
		step = "fcntl(F_ADD_SEALS)"
		err = sys.AddSeals(fd, sys.SealShrink|sys.SealGrow|sys.SealSeal)
	}
	if err != nil {
		sys.Close(fd)
		return -1, "", step, err
	}
	return fd, BackingMemfd, "", nil
}
