package shm

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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
	// what /proc/<pid>/fd shows ("/memfd:NAME"). Letters, digits, '.', '_'
	// and '-' only. DefaultName when empty.
	Name string
	// Tag is stored in the header for the segment's user to recognise its
	// own layout (the scoreboard stores its layout version there).
	Tag uint64
	// NoDump keeps the segment out of core dumps (MADV_DONTDUMP).
	NoDump bool
}

// Alloc returns a new zero-filled segment of size bytes, readable and
// writable, that can be handed to exec'd child processes: fpm_shm_alloc.
// On Linux it is backed by a memfd sealed against shrinking and growing, so
// no process can truncate it under another; elsewhere by an unlinked
// temporary file. Len is exactly size.
//
// A size that is not positive is refused with ErrSize; one larger than the
// machine's memory and swap, or than SetLimit allows, with ErrLimit
// (matching syscall.ENOMEM) before anything is reserved. Errors are *Error.
func Alloc(size int) (*Segment, error) { return AllocWith(size, AllocOptions{}) }

// AllocWith is Alloc with options.
func AllocWith(size int, o AllocOptions) (*Segment, error) {
	name := o.Name
	if name == "" {
		name = DefaultName
	}
	return newSegment("alloc", name, size, func() error { return checkName(name) },
		func() (*Segment, string, error) { return newShared(name, size, o) })
}

// newSegment makes a shareable segment of size bytes for op: it runs
// check and the size checks, reserves the bytes against SetLimit, makes
// the segment with mk (which names the step that failed), and counts,
// lists and logs it. Failures are logged *Errors.
func newSegment(op, name string, size int, check func() error, mk func() (*Segment, string, error)) (*Segment, error) {
	fail := func(err error, detail string) (*Segment, error) {
		e := &Error{Op: op, Name: name, Size: size, Detail: detail, Err: err}
		logError(e)
		return nil, e
	}
	if err := check(); err != nil {
		return fail(err, "")
	}
	if size <= 0 || size > maxSize-HeaderSize {
		return fail(ErrSize, "")
	}
	if detail := beyondCapacity(size); detail != "" {
		return fail(ErrLimit, detail)
	}
	if detail, err := reserve(size); err != nil {
		return fail(err, detail)
	}
	s, step, err := mk()
	if err != nil {
		allocated.Add(-int64(size))
		return fail(err, step)
	}
	link(s)
	logDebug(op+" shared memory", name, size)
	return s, nil
}

// newShared creates, maps and stamps a shareable segment; on failure it
// undoes what it did and names the step that failed.
func newShared(name string, size int, o AllocOptions) (*Segment, string, error) {
	maplen := pageRound(HeaderSize + size)
	h := newHeader(size, o.Tag)
	if name == DefaultName && !o.NoDump {
		if p, ok := takePooled(maplen, BackingMemfd); ok {
			h.Generation = p.generation + 1
			h.encode(headerBytes(p.base))
			return sharedSegment(p.base, maplen, p.fd, BackingMemfd, h, name, o), "", nil
		}
	}
	fd, backing, step, err := newBacking(name, int64(maplen))
	if err != nil {
		return nil, step, err
	}
	base, err := sys.Mmap(0, maplen, sys.ProtRead|sys.ProtWrite, sys.MapShared, fd, 0)
	if err != nil {
		sys.Close(fd)
		return nil, "mmap", err
	}
	if o.NoDump {
		if err := sys.Madvise(base, maplen, sys.MadvDontDump); err != nil {
			sys.Munmap(base, maplen)
			sys.Close(fd)
			return nil, "madvise(MADV_DONTDUMP)", err
		}
	}
	h.encode(headerBytes(base))
	if step, err := seal(fd); err != nil {
		sys.Munmap(base, maplen)
		sys.Close(fd)
		return nil, step, err
	}
	return sharedSegment(base, maplen, fd, backing, h, name, o), "", nil
}

// sharedSegment returns the Segment of a stamped shareable mapping.
func sharedSegment(base unsafe.Pointer, maplen uintptr, fd int, b Backing, h Header, name string, o AllocOptions) *Segment {
	return &Segment{
		base:       base,
		maplen:     maplen,
		data:       unsafe.Slice((*byte)(unsafe.Add(base, HeaderSize)), h.Size),
		size:       h.Size,
		prot:       ProtRead | ProtWrite,
		flags:      Shared,
		backing:    b,
		name:       name,
		tag:        h.Tag,
		generation: h.Generation,
		noDump:     o.NoDump,
		fd:         fd,
		created:    h.Created,
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

var limit atomic.Int64 // 0: no limit

// SetLimit caps the bytes that live segments may hold in this process;
// an allocation past it fails with ErrLimit (matching syscall.ENOMEM).
// 0 removes the cap. It returns the previous cap.
func SetLimit(n int64) int64 { return limit.Swap(max(n, 0)) }

// reserve counts size bytes as allocated, unless that passes the limit.
func reserve(size int) (string, error) {
	for {
		cur, lim := allocated.Load(), limit.Load()
		if lim > 0 && cur+int64(size) > lim {
			return fmt.Sprintf("SetLimit allows %d bytes and %d are in use", lim, cur), ErrLimit
		}
		if allocated.CompareAndSwap(cur, cur+int64(size)) {
			return "", nil
		}
	}
}

// capacity is the machine's memory plus swap, 0 when unknown.
var capacity = sync.OnceValue(func() uint64 {
	n, _ := sys.MemoryCapacity()
	return n
})

// beyondCapacity says why size cannot be held by this machine, or "".
func beyondCapacity(size int) string {
	if c := capacity(); c > 0 && uint64(size) > c {
		return fmt.Sprintf("the machine has %d bytes of memory and swap", c)
	}
	return ""
}
