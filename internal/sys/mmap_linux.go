package sys

import (
	"unsafe"

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
	MadvRemove     = unix.MADV_REMOVE
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

// Fallocate reserves the blocks of fd's range [off, off+length).
func Fallocate(fd int, off, length int64) error {
	return unix.Fallocate(fd, 0, off, length)
}

// PunchHole frees the blocks of fd's range [off, off+length), keeping the
// size: the range then reads as zeros.
func PunchHole(fd int, off, length int64) error {
	return unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, length)
}

// MemoryCapacity returns the bytes of RAM plus swap the machine has.
func MemoryCapacity() (uint64, error) {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0, err
	}
	unit := uint64(si.Unit)
	if unit == 0 {
		unit = 1
	}
	return (uint64(si.Totalram) + uint64(si.Totalswap)) * unit, nil
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

// quickLimit is the largest mapping MmapQuick and MunmapQuick handle.
const quickLimit = 1 << 20

// MmapQuick is Mmap for a small mapping that faults nothing in (no
// populate, no lock): such a call cannot block, so it is made without
// telling the scheduler, which saves that bookkeeping. Larger mappings go
// through Mmap.
func MmapQuick(addr uintptr, length uintptr, prot, flags, fd int, off int64) (unsafe.Pointer, error) {
	if length > quickLimit {
		return Mmap(addr, length, prot, flags, fd, off)
	}
	r, _, errno := unix.RawSyscall6(unix.SYS_MMAP, addr, length, uintptr(prot), uintptr(flags), uintptr(fd), uintptr(off))
	if errno != 0 {
		return nil, errno
	}
	return *(*unsafe.Pointer)(unsafe.Pointer(&r)), nil
}

// MunmapQuick is Munmap for a mapping of at most 1 MiB, made without
// telling the scheduler.
func MunmapQuick(p unsafe.Pointer, length uintptr) error {
	if length > quickLimit {
		return Munmap(p, length)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_MUNMAP, uintptr(p), length, 0); errno != 0 {
		return errno
	}
	return nil
}
