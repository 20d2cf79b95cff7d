//go:build unix

package sys

import (
	"time"

	"golang.org/x/sys/unix"
)

// Open flags for Open, which adds O_CLOEXEC itself.
const (
	ORdonly   = unix.O_RDONLY
	ORdwr     = unix.O_RDWR
	OCreate   = unix.O_CREAT
	OExcl     = unix.O_EXCL
	ONoFollow = unix.O_NOFOLLOW
)

// File type bits of Stat.Mode.
const (
	ModeType    = unix.S_IFMT
	ModeRegular = unix.S_IFREG
)

// Stat is what fstat says about a descriptor, as far as callers need it.
type Stat struct {
	Size int64     // bytes
	Mode uint32    // type and permission bits
	UID  int       // owner
	Born time.Time // when the file was created; zero where the kernel does not say
}

// Open opens path with flags plus O_CLOEXEC and returns the descriptor.
// An interrupted open is tried again.
func Open(path string, flags int, perm uint32) (fd int, err error) {
	err = ignoringEINTR(func() error {
		fd, err = unix.Open(path, flags|unix.O_CLOEXEC, perm)
		return err
	})
	return fd, err
}

// Unlink removes the name path.
func Unlink(path string) error { return unix.Unlink(path) }

// Dup2 makes newfd a copy of oldfd, closing what newfd was first.
func Dup2(oldfd, newfd int) error { return unix.Dup2(oldfd, newfd) }
