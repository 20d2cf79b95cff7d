package shm

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// namedPrefix starts the file name of every named segment, so that names
// cannot collide with other programs' files in the same directory.
const namedPrefix = "fpmshm."

// Named segments are opt-in: a file /dev/shm/fpmshm.NAME (mode 0600) that
// any process of the same user can Open by name, for processes that are
// not each other's parent and child. Prefer Alloc and ShareWith, whose
// segments have no name to leak.
//
// Lifetime: a named segment lives until Unlink removes its name, however
// its processes end. The creator, at its orderly shutdown, or whoever
// manages the name, calls Unlink; nothing else does. If the creator is
// killed, the segment and its pages stay in /dev/shm: a tool that Opens
// it can see from Header().CreatorAlive() that it was left behind, and
// must Unlink it explicitly. Unlinking does not disturb processes that
// have it mapped; a later Create of the same name makes a new segment.
//
// Unlike Alloc's segments, a named segment is not sealed (only a memfd can
// be): any process of the same user can truncate the file, and a process
// reading the segment then faults on the pages that are gone. Read named
// segments of other processes through Guard. For the same reason a named
// segment keeps its Header in its last bytes, where Alloc's memfd keeps
// it in its name and sealed size: a file's name can be renamed and its
// size changed by any process of the user, so nothing the kernel keeps
// about it is fixed, and Open checks the header against the file's real
// size instead. The header's page costs nothing extra: Create reserves
// every page of the segment up front anyway.

// Create makes the named segment name of size bytes (plus its header),
// failing with an error matching fs.ErrExist if it exists. Its pages are
// reserved up front with fallocate, so a full /dev/shm fails here, with
// an error matching syscall.ENOSPC and nothing left behind, rather than
// with a SIGBUS on first touch. Names are 1 to 200 letters, digits, '.',
// '_' or '-' (ErrName). Sizes are checked as Alloc checks them (ErrSize,
// ErrLimit). Errors are *Error with Op "create". On platforms without
// /dev/shm, ErrNotSupported.
func Create(name string, size int) (*Segment, error) {
	var path string
	return newSegment("create", name, size, segmentLen,
		func() (err error) { path, err = namedPath(name); return err },
		func(maplen int) (*Segment, string, error) { return createNamed(path, name, size, maplen) })
}

// createNamed creates the file path of maplen bytes, reserves its pages,
// stamps and maps it; on failure it removes the file and names the step
// that failed.
func createNamed(path, name string, size, maplen int) (*Segment, string, error) {
	fd, err := sys.Open(path, sys.ORdwr|sys.OCreate|sys.OExcl|sys.ONoFollow, 0o600)
	if err != nil {
		return nil, "open " + path, because("cannot create the file", err)
	}
	defer sys.Close(fd)
	h := newHeader(size, 0)
	step := fmt.Sprintf("fallocate of %d bytes: is %s full?", maplen, namedDir)
	err = sys.Fallocate(fd, 0, int64(maplen)) // sets the size too
	if err == nil {
		step = "pwrite of the header"
		err = writeHeader(fd, h, maplen)
	}
	var base unsafe.Pointer
	if err == nil {
		step = "mmap"
		base, err = sys.Mmap(0, uintptr(maplen), sys.ProtRead|sys.ProtWrite, sys.MapShared, fd, 0)
	}
	if err != nil {
		sys.Unlink(path)
		return nil, step + " of " + path, err
	}
	return sharedSegment(base, maplen, -1, BackingNamed, h, name), "", nil
}

// Open maps the named segment name that Create made, readable and
// writable, after checking that it is a regular file owned by this
// process's effective user (else an error matching fs.ErrPermission) and
// that its header is valid for the file's real size (ErrHeader). A missing
// segment fails with an error matching fs.ErrNotExist, a symbolic link in
// its place with syscall.ELOOP. Errors are *Error with Op "open".
func Open(name string) (*Segment, error) {
	fail := func(err error, detail string) (*Segment, error) {
		e := &Error{Op: "open", Name: name, Detail: detail, Err: err}
		logError(e)
		return nil, e
	}
	path, err := namedPath(name)
	if err != nil {
		return fail(err, "")
	}
	fd, err := sys.Open(path, sys.ORdwr|sys.ONoFollow, 0)
	if err != nil {
		return fail(because("cannot open the file", err), "open "+path)
	}
	defer sys.Close(fd)
	s, detail, err := openNamed(fd, name)
	if err != nil {
		return fail(err, path+": "+detail)
	}
	logDebug(name, len(s.data), "opened named shared memory")
	return s, nil
}

// openNamed checks the owner of fd, maps it and adopts it.
func openNamed(fd int, name string) (*Segment, string, error) {
	st, err := sys.Fstat(fd)
	if err != nil {
		return nil, "fstat", err
	}
	if euid := os.Geteuid(); st.UID != euid {
		return nil, fmt.Sprintf("owned by uid %d, not by this process's uid %d", st.UID, euid), errNotOwner
	}
	s, detail, err := mapShared(fd, ProtRead|ProtWrite, 0, ErrHeader)
	if err != nil {
		return nil, detail, err
	}
	s.fd, s.name, s.backing = -1, name, BackingNamed
	if detail, err := adopt(s); err != nil {
		return nil, detail, err
	}
	return s, "", nil
}

// errNotOwner is returned by Open for a segment of another user.
var errNotOwner = &kindError{"the segment belongs to another user", syscall.EACCES}

// Unlink removes the named segment name: processes that have it mapped
// keep it until they Free it, and a new Create may reuse the name. A
// missing segment fails with an error matching fs.ErrNotExist. Errors are
// *Error with Op "unlink".
func Unlink(name string) error {
	fail := func(err error, detail string) error {
		e := &Error{Op: "unlink", Name: name, Detail: detail, Err: err}
		logError(e)
		return e
	}
	path, err := namedPath(name)
	if err != nil {
		return fail(err, "")
	}
	if err := sys.Unlink(path); err != nil {
		return fail(because("cannot remove the file", err), "unlink "+path)
	}
	return nil
}

// namedPath returns the file of the named segment name.
func namedPath(name string) (string, error) {
	if namedDir == "" {
		return "", ErrNotSupported
	}
	if err := checkName(name); err != nil {
		return "", err
	}
	return namedDir + "/" + namedPrefix + name, nil
}
