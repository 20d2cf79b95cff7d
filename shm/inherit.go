package shm

import (
	"fmt"
	"os"
	"sync"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// taken holds the names Inherited has taken up (or is taking up) in this
// process: a descriptor is taken once, and its number may be reused after
// the segment's Free.
var taken struct {
	sync.Mutex
	names map[string]bool
}

// Inherited takes up the segment that the parent handed to this process
// under name with ShareWith. It finds name in EnvSegments, checks the
// descriptor (on Linux: a memfd of that name, sealed against shrinking and
// growing; everywhere: a regular file of the size announced), maps it
// readable, and writable unless the descriptor is read-only, and validates
// its header against the file's real size. The descriptor is set
// close-on-exec and belongs to the segment: Free unmaps the segment and
// closes it. The segment counts in Allocated like any other.
//
// Errors are *Error with Op "inherit". A name this process was not handed,
// or has already taken up, fails with ErrNotInherited; a malformed
// EnvSegments, or a descriptor that is not the segment described, with
// ErrHandOver (and the errno, such as EBADF, if a system call said so); a
// corrupt header with ErrHeader. On failure nothing is mapped and the
// descriptor is left open: it was handed over for this segment, so
// nothing else in the process should be using it, but it is not closed
// behind the caller's back either.
func Inherited(name string) (*Segment, error) {
	fail := func(err error, size int, detail string) (*Segment, error) {
		e := &Error{Op: "inherit", Name: name, Size: size, Detail: detail, Err: err}
		logError(e)
		return nil, e
	}
	if err := checkName(name); err != nil {
		return fail(err, 0, "")
	}
	value := os.Getenv(EnvSegments)
	if value == "" {
		return fail(ErrNotInherited, 0, EnvSegments+" is not set")
	}
	entries, err := parseEntries(value)
	if err != nil {
		return fail(ErrHandOver, 0, EnvSegments+": "+err.Error())
	}
	e, ok := findEntry(entries, name)
	if !ok {
		return fail(ErrNotInherited, 0, fmt.Sprintf("%s=%s", EnvSegments, value))
	}
	if !take(name) {
		return fail(ErrNotInherited, e.size, fmt.Sprintf("fd %d was already taken up by an earlier Inherited", e.fd))
	}
	s, detail, err := inheritFD(e)
	if err != nil {
		untake(name)
		return fail(err, e.size, detail)
	}
	logDebug("inherited shared memory", name, e.size)
	return s, nil
}

// inheritFD validates, maps and adopts the descriptor of entry e.
func inheritFD(e handed) (*Segment, string, error) {
	if detail, err := checkMemfd(e.fd, e.name, ErrHandOver); err != nil {
		return nil, detail, err
	}
	mode, err := sys.AccessMode(e.fd)
	if err != nil {
		return nil, fmt.Sprintf("fcntl(F_GETFL) of fd %d: %v", e.fd, err), withErrno(ErrHandOver, err)
	}
	prot := ProtRead | ProtWrite
	if mode == sys.ORdonly {
		prot = ProtRead
	}
	s, detail, err := mapShared(e.fd, prot, e.size, ErrHandOver)
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
	s.file = os.NewFile(uintptr(e.fd), "memfd:"+e.name) // owned, and never pooled: the data is shared
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

// take marks name as taken up, reporting false if it already was.
func take(name string) bool {
	taken.Lock()
	defer taken.Unlock()
	if taken.names[name] {
		return false
	}
	if taken.names == nil {
		taken.names = map[string]bool{}
	}
	taken.names[name] = true
	return true
}

func untake(name string) {
	taken.Lock()
	delete(taken.names, name)
	taken.Unlock()
}

// memfdTarget is what /proc/<pid>/fd shows for a memfd named name.
func memfdTarget(name string) string { return "/memfd:" + name + " (deleted)" }
