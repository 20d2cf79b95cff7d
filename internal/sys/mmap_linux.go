package sys

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Linux mapping flags. MapFixedNoReplace fails with EEXIST on an occupied
// range (Linux 4.17+; older kernels take it as a hint).
const (
	MapFixedNoReplace = unix.MAP_FIXED_NOREPLACE
	MapLocked         = unix.MAP_LOCKED
	MapDenyWrite      = unix.MAP_DENYWRITE
	MapPopulate       = unix.MAP_POPULATE
	MapHugeTLB        = unix.MAP_HUGETLB
)

// Madvise advice values.
const (
	MadvNormal     = unix.MADV_NORMAL
	MadvRandom     = unix.MADV_RANDOM
	MadvSequential = unix.MADV_SEQUENTIAL
	MadvWillNeed   = unix.MADV_WILLNEED
	MadvDontNeed   = unix.MADV_DONTNEED
	MadvDontDump   = unix.MADV_DONTDUMP
	MadvDoDump     = unix.MADV_DODUMP
	MadvHugePage   = unix.MADV_HUGEPAGE
)

// Memfd seals.
const (
	SealShrink = unix.F_SEAL_SHRINK
	SealGrow   = unix.F_SEAL_GROW
	SealWrite  = unix.F_SEAL_WRITE
	SealSeal   = unix.F_SEAL_SEAL
)

// MemfdCreate creates an anonymous memory file named name, close-on-exec
// and sealable.
func MemfdCreate(name string) (int, error) {
	return unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
}

// AddSeals adds seals to the memfd fd.
func AddSeals(fd int, seals int) error {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals)
	return err
}

// Seals returns the seals of fd; EINVAL when fd is not a memfd.
func Seals(fd int) (int, error) {
	return unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
}

// Fallocate reserves the blocks of fd's range [off, off+length), growing
// the file to reach its end. tmpfs stops a fallocate at a pending signal
// and undoes what that call reserved, and signals keep coming in a Go
// program (the runtime's preemption, profiling, children), so an
// interrupted call is tried again over half the range, down to a page: a
// part once reserved stays reserved, and each try is short enough to end
// between two signals.
func Fallocate(fd int, off, length int64) error {
	chunk := length
	for {
		n := min(chunk, length)
		err := unix.Fallocate(fd, 0, off, n)
		switch {
		case err == nil:
			off, length = off+n, length-n
			if length <= 0 {
				return nil
			}
		case errors.Is(err, unix.EINTR):
			chunk = max(chunk/2, int64(unix.Getpagesize()))
		default:
			return err
		}
	}
}

// MemlockLimit returns the soft RLIMIT_MEMLOCK in bytes.
func MemlockLimit() (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

// SetMemlockLimit sets the soft and hard RLIMIT_MEMLOCK to n bytes.
func SetMemlockLimit(n uint64) error {
	return unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: n, Max: n})
}
