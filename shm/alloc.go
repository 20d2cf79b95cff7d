package shm

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// DefaultName is the name Alloc gives its segments.
const DefaultName = "fpmshm"

// maxNameLen bounds segment names (memfd allows 249 bytes).
const maxNameLen = 200

// AllocOptions are the optional settings of AllocWith.
type AllocOptions struct {
	// Name names the segment: the key it is handed over by, and, on Linux,
	// what /proc/<pid>/fd shows, with the creator's pid and the tag
	// ("/memfd:NAME:PID:TAG", the tag in hex). Letters, digits, '.', '_'
	// and '-' only. DefaultName when empty.
	Name string
	// Tag is stored with the segment, for its user to recognise its own
	// layout (the scoreboard stores its layout version there): on Linux in
	// the memfd's name, which no process can change; elsewhere in the
	// header.
	Tag uint64
	// NoDump keeps the segment out of core dumps (MADV_DONTDUMP).
	NoDump bool
}

// Alloc returns a new zero-filled segment of size bytes, readable and
// writable, that can be handed to exec'd child processes: fpm_shm_alloc.
// On Linux it is backed by a memfd of exactly size bytes, sealed against
// shrinking and growing, so no process can truncate it under another;
// elsewhere by an unlinked temporary file with a header after the bytes.
// Len is exactly size; the bytes start page-aligned.
//
// A size that is not positive is refused with ErrSize; one larger than
// this process can be given (the machine's memory and swap, or its memory
// cgroup's limit when lower), or that would take the bytes in use past
// SetLimit's cap, with ErrLimit (matching syscall.ENOMEM), before anything
// is made. Errors are *Error.
func Alloc(size int) (*Segment, error) { return AllocWith(size, AllocOptions{}) }

// AllocWith is Alloc with options.
func AllocWith(size int, o AllocOptions) (*Segment, error) {
	name := o.Name
	if name == "" {
		name = DefaultName
	}
	return newSegment("alloc", name, size, allocLen, func() error { return checkName(name) },
		func(maplen int) (*Segment, string, error) { return newShared(name, size, maplen, o) })
}

// newSegment makes a shareable segment of size bytes for op: it runs
// check and the size and capacity checks, reserves the bytes against
// SetLimit, makes the segment of maplen bytes (length's for size) with mk
// (which names the step that failed), and counts, lists and logs it.
// Failures are logged *Errors.
func newSegment(op, name string, size int, length func(int) (int, bool), check func() error, mk func(maplen int) (*Segment, string, error)) (*Segment, error) {
	fail := func(err error, detail string) (*Segment, error) {
		e := &Error{Op: op, Name: name, Size: size, Detail: detail, Err: err}
		logError(e)
		return nil, e
	}
	if err := check(); err != nil {
		return fail(err, "")
	}
	maplen, ok := length(size)
	if !ok {
		return fail(ErrSize, "")
	}
	if detail := beyondCapacity(size); detail != "" {
		return fail(ErrLimit, detail)
	}
	if detail, err := reserve(size); err != nil {
		return fail(err, detail)
	}
	s, step, err := mk(maplen)
	if err != nil {
		unreserve(size)
		return fail(err, step)
	}
	link(s)
	logDebug(name, size, op, " shared memory")
	return s, nil
}

// newShared makes, stamps, seals and maps a shareable segment of maplen
// bytes; on failure it undoes what it did and names the step that failed.
// The seals come last: a segment that others find unsealed is still being
// made (see awaitSeals).
func newShared(name string, size, maplen int, o AllocOptions) (*Segment, string, error) {
	h := newHeader(size, o.Tag)
	fd, backing, step, err := newBacking(name, h)
	if err != nil {
		return nil, step, err
	}
	fail := func(step string, err error) (*Segment, string, error) {
		sys.Close(fd)
		return nil, step, err
	}
	if step, err := stamp(fd, h, maplen); err != nil {
		return fail(step, err)
	}
	if step, err := seal(fd); err != nil {
		return fail(step, err)
	}
	base, err := sys.Mmap(0, uintptr(maplen), sys.ProtRead|sys.ProtWrite, sys.MapShared, fd, 0)
	if err != nil {
		return fail("mmap", err)
	}
	if o.NoDump {
		if err := sys.Madvise(base, uintptr(maplen), sys.MadvDontDump); err != nil {
			sys.Munmap(base, uintptr(maplen))
			return fail("madvise(MADV_DONTDUMP)", err)
		}
	}
	return sharedSegment(base, maplen, fd, backing, h, name), "", nil
}

// sharedSegment returns the Segment of a stamped shareable mapping.
func sharedSegment(base unsafe.Pointer, maplen, fd int, b Backing, h Header, name string) *Segment {
	return &Segment{
		base:    base,
		maplen:  uintptr(maplen),
		data:    unsafe.Slice((*byte)(base), h.Size),
		size:    h.Size,
		prot:    ProtRead | ProtWrite,
		flags:   Shared,
		backing: b,
		name:    name,
		tag:     h.Tag,
		creator: h.CreatorPID,
		fd:      fd,
		created: h.Created,
	}
}

// checkName refuses names that cannot be handed over or shown safely.
func checkName(name string) error {
	if name == "" || len(name) > maxNameLen || name == "." || name == ".." {
		return fmt.Errorf("%w %q: 1 to %d letters, digits, '.', '_' or '-'", ErrName, name, maxNameLen)
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}); i >= 0 {
		return fmt.Errorf("%w %q: character %q is not allowed", ErrName, name, name[i])
	}
	return nil
}
