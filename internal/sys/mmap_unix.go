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
)

// Mmap maps length bytes of fd at off (fd -1 for anonymous memory) and
// returns the mapping's address; addr, if not 0, is a hint, or with
// MapFixedNoReplace the address required. It is x/sys/unix's MmapPtr: the
// system call right for the architecture (mmap2, whose offset counts pages,
// on 32-bit ones), made as a blocking call that the scheduler knows of,
// since mapping a file can wait on its file system.
//
// Under -race, checkptr kills the process when an unsafe.Pointer made from
// an integer points into a Go allocation; MmapPtr makes one of the kernel's
// answer, so MAP_FIXED over Go memory trips it (golang/go#70721). Nothing
// here passes MAP_FIXED: with MapFixedNoReplace the kernel refuses a range
// the Go runtime has mapped (its heap, stacks and data all are) with
// EEXIST, so a mapping that succeeds never lies in Go memory. addr, which
// a caller may take from anywhere, Go memory included, reaches MmapPtr
// without a conversion that checkptr checks: the kernel judges it.
func Mmap(addr uintptr, length uintptr, prot, flags, fd int, off int64) (unsafe.Pointer, error) {
	hint := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unix.MmapPtr(fd, off, hint, length, prot, flags)
}

// Munmap removes the mapping of length bytes at p (x/sys/unix's MunmapPtr,
// a blocking call as Mmap is).
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

// Ftruncate sets the size of fd; an interrupted call is tried again.
func Ftruncate(fd int, size int64) error {
	return ignoringEINTR(func() error { return unix.Ftruncate(fd, size) })
}

// Pwrite writes all of b to fd at offset off, growing the file to reach
// it; a write that stops short is continued, and one that makes no
// progress fails with EIO. An interrupted write is tried again.
func Pwrite(fd int, b []byte, off int64) error {
	for len(b) > 0 {
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = unix.Pwrite(fd, b, off)
			return err
		})
		if err != nil {
			return err
		}
		if n <= 0 {
			return unix.EIO
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
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
