package shmcache

import (
	"fmt"
	"syscall"
)

// Error is the error of every failed operation of this package. It names
// the operation, the cache and, where one is involved, the stripe, and
// says which limit or check failed. errors.Is matches the package's
// sentinels (ErrFull, ErrTooLarge, ...), the errno each stands for, and
// the errors of shm and shmsync that caused it.
type Error struct {
	Op     string // "set", "get", "open", "incr", ...
	Cache  string // the cache's segment name
	Stripe int    // the stripe involved, or -1
	Detail string // the limit or check, in words
	Err    error  // a sentinel of this package, or the cause from shm or shmsync
}

func (e *Error) Error() string {
	msg := "shmcache: " + e.Op
	if e.Cache != "" {
		msg += fmt.Sprintf(" in %q", e.Cache)
	}
	if e.Stripe >= 0 {
		msg += fmt.Sprintf(" (stripe %d)", e.Stripe)
	}
	msg += ": " + e.Err.Error()
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// sentinel is an error of this package that also matches the errno it
// stands for, so that errors.Is(err, syscall.ENOSPC) holds for ErrFull.
type sentinel struct {
	text  string
	errno syscall.Errno
}

func (s *sentinel) Error() string { return s.text }
func (s *sentinel) Unwrap() error { return s.errno }

// Sentinels, matched with errors.Is.
var (
	// ErrFull is returned by a write that found no room: under Refuse, when
	// the memory of the entry's size class or the index slots of its key
	// are used up; under Evict, when the bounded eviction could not free
	// what the entry needs. It matches syscall.ENOSPC.
	ErrFull = &sentinel{"no room for the entry", syscall.ENOSPC}
	// ErrTooLarge is returned for an entry larger than the largest size
	// class (a page) or a key longer than MaxKeyLen. It matches
	// syscall.E2BIG.
	ErrTooLarge = &sentinel{"entry too large", syscall.E2BIG}
	// ErrCorrupt is returned when an operation found the cache's memory
	// damaged (written by something other than this package). The damaged
	// stripe has been repaired by then, dropping the entries it could not
	// trust; the operation was not done and may be retried. Check reports
	// damage without waiting for an operation to stumble on it. It matches
	// syscall.EBADMSG.
	ErrCorrupt = &sentinel{"cache memory is damaged", syscall.EBADMSG}
	// ErrBusy is returned when a stripe's lock stayed held by a live
	// process for longer than Options.LockTimeout. It matches
	// syscall.ETIMEDOUT.
	ErrBusy = &sentinel{"stripe locked by another process for too long", syscall.ETIMEDOUT}
	// ErrReadOnly is returned by a write to a cache opened on a read-only
	// segment (a tool's shm.Attach). It matches syscall.EROFS.
	ErrReadOnly = &sentinel{"cache is read-only in this process", syscall.EROFS}
	// ErrNotCounter is returned by Incr and Decr for a value that is not
	// an 8-byte counter. It matches syscall.EINVAL.
	ErrNotCounter = &sentinel{"value is not an 8-byte counter", syscall.EINVAL}
	// ErrLayout is returned by Open for a segment that does not hold a
	// cache of this layout, and by New for options it cannot lay out. It
	// matches syscall.EINVAL.
	ErrLayout = &sentinel{"not a cache of this layout", syscall.EINVAL}
	// ErrClosed is returned by every method of a closed cache. It matches
	// syscall.EBADF.
	ErrClosed = &sentinel{"cache is closed", syscall.EBADF}
)

// fail returns the *Error of op on stripe (or -1) of c.
func (c *Cache) fail(op string, stripe int, err error, detail string) error {
	return &Error{Op: op, Cache: c.name, Stripe: stripe, Detail: detail, Err: err}
}
