package shm

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// handedBacking is the backing of segments handed between processes.
const handedBacking = BackingMemfd

// checkMemfd checks that fd is a memfd sealed against shrinking and
// growing and, when /proc can tell, that it is named name; if not, it
// fails with mismatch.
func checkMemfd(fd int, name string, mismatch *kindError) (string, error) {
	seals, err := sys.Seals(fd)
	switch {
	case errors.Is(err, syscall.EBADF):
		return fmt.Sprintf("fd %d is not open", fd), withErrno(mismatch, err)
	case errors.Is(err, syscall.EINVAL):
		return fmt.Sprintf("fd %d is not a memfd (F_GET_SEALS: %v)", fd, err), mismatch
	case err != nil:
		return fmt.Sprintf("fcntl(F_GET_SEALS) of fd %d: %v", fd, err), withErrno(mismatch, err)
	case seals&(sys.SealShrink|sys.SealGrow) != sys.SealShrink|sys.SealGrow:
		return fmt.Sprintf("memfd fd %d is not sealed against shrinking and growing (seals %#x)", fd, seals), mismatch
	}
	target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err == nil && target != memfdTarget(name) {
		return fmt.Sprintf("fd %d is %q, not the memfd %q", fd, target, name), mismatch
	}
	return "", nil
}
