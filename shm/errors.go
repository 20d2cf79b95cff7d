package shm

import (
	"errors"
	"fmt"
	"syscall"
)

// Error is the error returned by every failed operation of this package.
// It names the operation, the size and offset involved, and the cause.
// errors.Is matches both the errno (syscall.EACCES, ...) and the package's
// sentinels (ErrSize, ErrFreed, ...) that Err wraps.
type Error struct {
	Op     string // "alloc", "map", "free", "protect", "inherit", ...
	Name   string // the segment's name, if it has one
	Size   int    // the size involved, in bytes
	Offset int64  // the file offset involved
	Detail string // further facts, such as a limit's value
	Err    error  // the cause: a syscall.Errno or a sentinel of this package
}

func (e *Error) Error() string {
	msg := "shm: " + e.Op
	if e.Name != "" {
		msg += " " + quote(e.Name)
	}
	msg += fmt.Sprintf(" (%d bytes", e.Size)
	if e.Offset != 0 {
		msg += fmt.Sprintf(" at offset %d", e.Offset)
	}
	msg += "): " + explain(e.Err)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// kindError is a sentinel that also matches the errno it stands for, so
// errors.Is(err, syscall.EINVAL) holds for input refused before any system
// call just as it does for input the kernel refuses.
type kindError struct {
	text  string
	errno syscall.Errno
}

func (k *kindError) Error() string { return k.text }
func (k *kindError) Unwrap() error {
	if k.errno == 0 {
		return nil
	}
	return k.errno
}

// Sentinels, matched with errors.Is. Those refusing input also match
// syscall.EINVAL.
var (
	// ErrSize is returned when a size is not positive or cannot be mapped
	// in this address space.
	ErrSize = &kindError{"size must be positive and fit the address space", syscall.EINVAL}
	// ErrOffset is returned when a file offset is negative or not a
	// multiple of the page size.
	ErrOffset = &kindError{"offset must be a non-negative multiple of the page size", syscall.EINVAL}
	// ErrFlags is returned for an unknown flag bit, for neither or both of
	// Shared and Private, and for a backing that contradicts the flags.
	ErrFlags = &kindError{"invalid combination of flags", syscall.EINVAL}
	// ErrFixedAddr is returned when Fixed is set without a page-aligned Addr,
	// or Addr is set without Fixed.
	ErrFixedAddr = &kindError{"Fixed needs a non-zero, page-aligned Addr", syscall.EINVAL}
	// ErrFile is returned when a file mapping is asked for with a nil or
	// closed *os.File.
	ErrFile = &kindError{"file is nil or closed", syscall.EINVAL}
	// ErrName is returned for a segment name that cannot be used.
	ErrName = &kindError{"invalid segment name", syscall.EINVAL}
	// ErrFreed is returned by every method of a segment that was freed.
	ErrFreed = &kindError{"segment already freed", 0}
	// ErrLimit is returned when an allocation would pass the limit set with
	// SetLimit, or the machine's memory; it also matches syscall.ENOMEM.
	ErrLimit = &kindError{"allocation larger than the memory available to it", syscall.ENOMEM}
	// ErrNotSupported is returned where this platform lacks a facility.
	ErrNotSupported = &kindError{"not supported on this platform", syscall.ENOSYS}
	// ErrHeader is returned when a shared segment's header is missing,
	// corrupt, or disagrees with the segment's real size.
	ErrHeader = &kindError{"not a valid fpmshm segment", syscall.EINVAL}
	// ErrFault is returned by Guard when the function it ran touched memory
	// that faulted (SIGBUS or SIGSEGV), such as a truncated mapping.
	ErrFault = &kindError{"memory fault reading the segment", syscall.EFAULT}
	// ErrNotShareable is returned by ShareWith for a segment that has no
	// descriptor a child could take up: Map's segments and named ones.
	ErrNotShareable = &kindError{"segment cannot be handed to a child", syscall.EINVAL}
	// ErrNotInherited is returned by Inherited when this process was not
	// handed a segment of that name, or has already taken it up; it also
	// matches syscall.ENOENT.
	ErrNotInherited = &kindError{"no segment of that name was handed to this process", syscall.ENOENT}
	// ErrHandOver is returned when EnvSegments is malformed, or names a
	// descriptor that is not the segment it describes: not open, not a
	// sealed memfd of that name, or of another size.
	ErrHandOver = &kindError{"the hand-over description does not match the descriptor", syscall.EINVAL}
	// ErrNotFound is returned by Attach when the process holds no valid
	// segment of that name; it also matches syscall.ENOENT.
	ErrNotFound = &kindError{"no segment of that name", syscall.ENOENT}
	// ErrViewType is returned by View and ViewSlice for a type that cannot
	// live in shared memory: one holding a pointer, slice, string, map,
	// channel, function or interface, or a platform-sized int, uint or
	// uintptr.
	ErrViewType = &kindError{"type cannot live in shared memory", syscall.EINVAL}
	// ErrBounds is returned by View and ViewSlice when the region asked for
	// does not lie wholly inside the segment.
	ErrBounds = &kindError{"region outside the segment", syscall.EINVAL}
	// ErrAlign is returned by View and ViewSlice when the region's address
	// is not a multiple of its type's alignment.
	ErrAlign = &kindError{"region not aligned for its type", syscall.EINVAL}
)

// explain returns the cause in words: a sentinel's text, or for an errno
// what it means for a mapping (the seed's table) followed by its own text.
func explain(err error) string {
	var k *kindError
	if errors.As(err, &k) {
		return k.text
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if why := errnoMeaning[errno]; why != "" {
			return why + " (" + errno.Error() + ")"
		}
	}
	return err.Error()
}

// errnoMeaning says what each errno means for a mapping.
var errnoMeaning = map[syscall.Errno]string{
	syscall.EBADF:     "the file descriptor is not valid",
	syscall.EACCES:    "the file's open mode does not allow this mapping: Private needs a readable file, Shared with ProtWrite needs a file opened for reading and writing",
	syscall.EINVAL:    "the address, length or offset is not valid",
	syscall.EAGAIN:    "the file is locked, or too much memory is locked (RLIMIT_MEMLOCK)",
	syscall.ENOMEM:    "not enough memory, or no room in the address space",
	syscall.EEXIST:    "the address range is already mapped",
	syscall.EPERM:     "operation not permitted on this segment",
	syscall.ENODEV:    "the file system does not support memory mapping",
	syscall.ENOSPC:    "no space left for the segment's pages",
	syscall.EOVERFLOW: "the offset plus length overflows",
	syscall.ETXTBSY:   "the file is being written",
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// withErrno returns sentinel, also matching the errno err carries.
func withErrno(sentinel *kindError, err error) error {
	return fmt.Errorf("%w (%w)", sentinel, err)
}

// because returns the errno err carries explained by text, rather than
// with the meaning it has for a mapping (errnoMeaning); it still matches
// the errno.
func because(text string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &kindError{text, errno}
	}
	return fmt.Errorf("%s: %w", text, err)
}
