//go:build unix

package sys

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Protection and mapping flags shared by every Unix.
const (
	ProtNone  = unix.PROT_NONE
	ProtRead  = unix.PROT_READ
	ProtWrite = unix.PROT_WRITE
	ProtExec  = unix.PROT_EXEC

	MapShared  = unix.MAP_SHARED
	MapPrivate = unix.MAP_PRIVATE
	MapAnon    = unix.MAP_ANON
	MapFixed   = unix.MAP_FIXED
)

// Mmap maps length bytes of fd at off (fd -1 for anonymous memory), at addr
// if addr is not 0, and returns the mapping's address.
func Mmap(addr uintptr, length uintptr, prot, flags, fd int, off int64) (unsafe.Pointer, error) {
	return unix.MmapPtr(fd, off, *(*unsafe.Pointer)(unsafe.Pointer(&addr)), length, prot, flags)
}

// Munmap removes the mapping of length bytes at p.
func Munmap(p unsafe.Pointer, length uintptr) error {
	return unix.MunmapPtr(p, length)
}

// Mprotect changes the protection of length bytes at p.
func Mprotect(p unsafe.Pointer, length uintptr, prot int) error {
	return unix.Mprotect(unsafe.Slice((*byte)(p), length), prot)
}

// Mlock locks length bytes at p into memory, faulting them in.
func Mlock(p unsafe.Pointer, length uintptr) error {
	return unix.Mlock(unsafe.Slice((*byte)(p), length))
}

// Munlock undoes Mlock.
func Munlock(p unsafe.Pointer, length uintptr) error {
	return unix.Munlock(unsafe.Slice((*byte)(p), length))
}

// Msync writes length bytes at p back to their file, waiting for it.
func Msync(p unsafe.Pointer, length uintptr) error {
	return unix.Msync(unsafe.Slice((*byte)(p), length), unix.MS_SYNC)
}

// Madvise gives the kernel advice about length bytes at p.
func Madvise(p unsafe.Pointer, length uintptr, advice int) error {
	return unix.Madvise(unsafe.Slice((*byte)(p), length), advice)
}

// Ftruncate sets the size of fd.
func Ftruncate(fd int, size int64) error { return unix.Ftruncate(fd, size) }

// FileSize returns the size of the file open as fd.
func FileSize(fd int) (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

// Close closes fd.
func Close(fd int) error { return unix.Close(fd) }

// DupCloexec duplicates fd with close-on-exec set.
func DupCloexec(fd int) (int, error) {
	return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
}

// SetCloexec sets close-on-exec on fd.
func SetCloexec(fd int) error {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
	return err
}

// AccessMode returns fd's open mode: O_RDONLY, O_WRONLY or O_RDWR.
func AccessMode(fd int) (int, error) {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return 0, err
	}
	return fl & unix.O_ACCMODE, nil
}
