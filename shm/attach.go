package shm

import "fmt"

// Attach maps the segment called name that process pid holds open, for
// tools that inspect a running master or worker (fpmshm status, top): on
// Linux it looks through /proc/<pid>/fd for the memfd of that segment (a
// segment of Alloc or Inherited, "/memfd:NAME:PID:TAG"), reopens it,
// checks its seals, name and size and maps it, read-only unless writable.
// If several descriptors match, the first that is valid is taken. Reading
// /proc/<pid>/fd needs the same user as pid (or root).
//
// A read-only segment must not be written: a write through Bytes crashes
// the process. Free unmaps it and closes the reopened descriptor; pid's
// own segment is untouched. The segment counts in Allocated.
//
// Errors are *Error with Op "attach": ErrNotFound when pid does not exist
// or holds no segment of that name (with the errno, such as EACCES, when
// /proc refused), ErrHeader when the only candidates are not valid
// segments. On platforms without /proc/<pid>/fd, ErrNotSupported.
func Attach(pid int, name string, writable bool) (*Segment, error) {
	fail := func(err error, detail string) (*Segment, error) {
		e := &Error{Op: "attach", Name: name, Detail: detail, Err: err}
		logError(e)
		return nil, e
	}
	if err := checkName(name); err != nil {
		return fail(err, "")
	}
	if pid <= 0 {
		return fail(ErrNotFound, "a pid must be positive")
	}
	s, detail, err := attach(pid, name, writable)
	if err != nil {
		return fail(err, detail)
	}
	logDebug(name, len(s.data), "attached shared memory")
	return s, nil
}

// Names returns the names of the segments process pid holds open (the
// memfds of Alloc and Inherited), sorted, so that a tool can find the one
// to Attach. Errors are *Error with Op "names": ErrNotFound when pid does
// not exist or /proc refused (with the errno); on platforms without
// /proc/<pid>/fd, ErrNotSupported.
func Names(pid int) ([]string, error) {
	names, err := segmentNames(pid)
	if err != nil {
		e := &Error{Op: "names", Detail: fmt.Sprintf("pid %d", pid), Err: err}
		logError(e)
		return nil, e
	}
	return names, nil
}
