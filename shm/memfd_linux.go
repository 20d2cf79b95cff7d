package shm

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// handedBacking is the backing of segments handed between processes.
const handedBacking = BackingMemfd

// checkMemfd checks that fd is a memfd sealed as seal leaves it and, when
// /proc can tell, that it is named name; if not, it fails with mismatch.
func checkMemfd(fd int, name string, mismatch *kindError) (string, error) {
	seals, err := sys.Seals(fd)
	switch {
	case errors.Is(err, syscall.EBADF):
		return fmt.Sprintf("fd %d is not open", fd), withErrno(mismatch, err)
	case errors.Is(err, syscall.EINVAL):
		return fmt.Sprintf("fd %d is not a memfd (F_GET_SEALS: %v)", fd, err), mismatch
	case err != nil:
		return fmt.Sprintf("fcntl(F_GET_SEALS) of fd %d: %v", fd, err), withErrno(mismatch, err)
	case seals&completeSeals != completeSeals:
		return fmt.Sprintf("memfd fd %d is not sealed against shrinking and growing with its seals frozen (seals %#x): it is still being made, or not by fpmshm", fd, seals), mismatch
	}
	target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err == nil && target != memfdTarget(name) {
		return fmt.Sprintf("fd %d is %q, not the memfd %q", fd, target, name), mismatch
	}
	return "", nil
}

// creationPatience bounds how long Attach waits for a segment that another
// process is still making: its creator is between two system calls, so
// only a stopped process keeps it waiting that long.
const creationPatience = time.Second

// awaitSeals waits, up to creationPatience, until memfd fd has its seal
// set frozen, the sign that its creator has written its header (see seal).
// Whatever it then finds, checkMemfd judges.
func awaitSeals(fd int) {
	for deadline := time.Now().Add(creationPatience); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		seals, err := sys.Seals(fd)
		if err != nil || seals&sys.SealSeal != 0 {
			return
		}
	}
}
