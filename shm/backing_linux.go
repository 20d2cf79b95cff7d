package shm

import "github.com/fpmshm/fpmshm/internal/sys"

// A segment of Alloc is a memfd that carries its own description in what
// the kernel keeps and no process can change once it is sealed: the
// memfd's name holds the segment's name, its creator's pid and its tag
// (see memfdName), its size is the segment's exact Len, and its birth time
// is Created. No header is written into it, so making one costs the
// system calls of a bare sealed memfd and not a page more.

// newBacking returns an empty memfd for the segment h describes, named
// after it (see memfdName), not yet sized nor sealed: the caller stamps,
// then seals it.
func newBacking(name string, h Header) (fd int, b Backing, step string, err error) {
	fd, err = sys.MemfdCreate(memfdName(name, h.CreatorPID, h.Tag))
	if err != nil {
		return -1, "", "memfd_create", err
	}
	return fd, BackingMemfd, "", nil
}

// allocLen returns the length of the mapping of a segment of Alloc of
// size bytes: whole pages; false when size is not positive or that
// length does not fit an int.
func allocLen(size int) (int, bool) {
	if size <= 0 {
		return 0, false
	}
	return roundUp(size, pageSize)
}

// stamp gives the new memfd fd its size, exactly the segment's: the rest
// of what h says is in the memfd's name already.
func stamp(fd int, h Header, maplen int) (step string, err error) {
	return "ftruncate", sys.Ftruncate(fd, int64(h.Size))
}

// completeSeals is the seal set of a finished segment: no shrinking, no
// growing, and no change to the seals.
const completeSeals = sys.SealShrink | sys.SealGrow | sys.SealSeal

// seal seals fd against shrinking and growing and freezes its seal set.
// It is the last step of making a segment's file, after it is sized: a
// memfd that other processes find without these seals is still being
// made, and Attach waits for them (see awaitSeals).
func seal(fd int) (step string, err error) {
	return "fcntl(F_ADD_SEALS)", sys.AddSeals(fd, completeSeals)
}
