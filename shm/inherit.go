package shm

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// handOver guards this process's EnvSegments and the names Inherited has
// taken up (or is taking up): a descriptor is taken once, and its number
// may be reused after the segment's Free.
var handOver struct {
	sync.Mutex
	taken map[string]bool
}

// Inherited takes up the segment that the parent handed to this process
// under name with ShareWith. It finds name in EnvSegments and checks the
// descriptor: on Linux, a memfd of that name sealed against shrinking and
// growing, of exactly the size announced, whose name holds its creator's
// pid and tag (read from /proc/self/fd, which must be mounted); elsewhere,
// a regular file of the size announced whose header is valid for its real
// size. It maps it readable, and writable unless the descriptor is
// read-only. The descriptor is set
// close-on-exec and belongs to the segment: Free unmaps the segment and
// closes it. The segment counts in Allocated like any other.
//
// Once it has taken the segment up, Inherited removes its entry from this
// process's EnvSegments (the variable goes when no entry is left), so that
// a child started later without ShareWith is not told of a descriptor it
// does not have, or that by then names another file. Entries not taken up
// stay, as do their descriptors, which such a child inherits.
//
// Errors are *Error with Op "inherit". A name this process was not handed,
// or has already taken up, fails with ErrNotInherited; a malformed
// EnvSegments, or a descriptor that is not the segment described, with
// ErrHandOver (and the errno, such as EBADF, if a system call said so); a
// memfd of that name without a valid pid and tag, or a corrupt header,
// with ErrHeader. On failure nothing is mapped, the entry
// stays and the descriptor is left open: it was handed over for this
// segment, so nothing else in the process should be using it, but it is
// not closed behind the caller's back either.
func Inherited(name string) (*Segment, error) {
	fail := func(err error, size int, detail string) (*Segment, error) {
		e := &Error{Op: "inherit", Name: name, Size: size, Detail: detail, Err: err}
		logError(e)
		return nil, e
	}
	if err := checkName(name); err != nil {
		return fail(err, 0, "")
	}
	e, detail, err := take(name)
	if err != nil {
		return fail(err, e.size, detail)
	}
	s, detail, err := inheritFD(e)
	if err != nil {
		untake(name)
		return fail(err, e.size, detail)
	}
	forgetEntry(name)
	logDebug(name, e.size, "inherited shared memory")
	return s, nil
}

// take finds name's entry in EnvSegments and marks name as being taken up.
func take(name string) (handed, string, error) {
	handOver.Lock()
	defer handOver.Unlock()
	if handOver.taken[name] {
		return handed{}, "it was already taken up by an earlier Inherited", ErrNotInherited
	}
	value := os.Getenv(EnvSegments)
	if value == "" {
		return handed{}, EnvSegments + " is not set", ErrNotInherited
	}
	entries, err := parseEntries(value)
	if err != nil {
		return handed{}, EnvSegments + ": " + err.Error(), ErrHandOver
	}
	e, ok := findEntry(entries, name)
	if !ok {
		return handed{}, fmt.Sprintf("%s=%s", EnvSegments, value), ErrNotInherited
	}
	if handOver.taken == nil {
		handOver.taken = map[string]bool{}
	}
	handOver.taken[name] = true
	return e, "", nil
}

// untake lets name be taken up again, after a failed attempt.
func untake(name string) {
	handOver.Lock()
	delete(handOver.taken, name)
	handOver.Unlock()
}

// forgetEntry removes name's entry from this process's EnvSegments.
func forgetEntry(name string) {
	handOver.Lock()
	defer handOver.Unlock()
	entries, err := parseEntries(os.Getenv(EnvSegments))
	if err != nil {
		return // changed meanwhile into something this package did not write
	}
	var rest []handed
	for _, e := range entries {
		if e.name != name {
			rest = append(rest, e)
		}
	}
	if len(rest) == 0 {
		os.Unsetenv(EnvSegments)
	} else {
		os.Setenv(EnvSegments, formatEntries(rest))
	}
}

// inheritFD validates, maps and adopts the descriptor of entry e.
func inheritFD(e handed) (*Segment, string, error) {
	mode, err := sys.AccessMode(e.fd)
	if err != nil {
		detail := fmt.Sprintf("fcntl(F_GETFL) of fd %d: %v", e.fd, err)
		if errors.Is(err, syscall.EBADF) {
			detail = fmt.Sprintf("fd %d is not open", e.fd)
		}
		return nil, detail, withErrno(ErrHandOver, err)
	}
	prot := ProtRead | ProtWrite
	if mode == sys.ORdonly {
		prot = ProtRead
	}
	s, detail, err := mapHanded(e.fd, e.name, prot, e.size, ErrHandOver)
	if err != nil {
		return nil, detail, err
	}
	if err := sys.SetCloexec(e.fd); err != nil {
		sys.Munmap(s.base, s.maplen)
		return nil, fmt.Sprintf("fcntl(F_SETFD, FD_CLOEXEC) of fd %d", e.fd), err
	}
	s.name, s.backing = e.name, handedBacking
	if detail, err := adopt(s); err != nil {
		return nil, detail, err
	}
	s.file = os.NewFile(uintptr(e.fd), "memfd:"+e.name) // owned by the segment
	return s, "", nil
}

func findEntry(entries []handed, name string) (handed, bool) {
	for _, e := range entries {
		if e.name == name {
			return e, true
		}
	}
	return handed{}, false
}
