package shm

import (
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// Segment is one mapping of shared (or private) memory. Its methods are safe
// for concurrent use; after Free, Bytes returns nil and every other method
// returns an error matching ErrFreed.
//
// Free unmaps the memory, so a slice from Bytes or a pointer from View
// must not be used after it: what that does is undefined, as after
// munmap. While nothing else is mapped at the address, any access faults
// (SIGSEGV, which kills the process outside Guard); once the kernel has
// given the address to a new mapping, another segment or the Go runtime's
// own memory, the access reads or writes that mapping instead.
type Segment struct {
	mu      sync.RWMutex   // held exclusively by Free, shared by the others
	base    unsafe.Pointer // start of the mapping; nil once freed
	maplen  uintptr        // length of the mapping, whole pages
	data    []byte         // the caller's bytes within the mapping
	size    int            // len(data) while live, kept after Free for errors
	prot    Prot
	flags   Flag
	backing Backing
	name    string
	tag     uint64
	creator int      // the pid of the process that made a shareable segment
	fd      int      // the backing descriptor this segment owns, or -1
	file    *os.File // fd wrapped for hand-over, once asked for
	created time.Time

	prev, next *Segment // the live list, under liveMu
}

// Bytes returns the segment's memory: Len bytes, or nil after Free (see
// Segment for what the slice is once the segment is freed).
func (s *Segment) Bytes() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.data
}

// Len returns the segment's size in bytes, exactly as allocated; 0 after Free.
func (s *Segment) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.data)
}

// Name returns the segment's name: the one it was allocated, created or
// handed over with; empty for Map's segments.
func (s *Segment) Name() string { return s.name }

// Tag returns the layout tag a shareable segment was made with (0 for
// Map's segments): see AllocOptions.Tag.
func (s *Segment) Tag() uint64 { return s.tag }

// Info describes the segment; see Segments.
func (s *Segment) Info() Info {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Info{
		Name:    s.name,
		Size:    len(s.data),
		Prot:    s.prot,
		Flags:   s.flags,
		Backing: s.backing,
		Created: s.created,
	}
}

// Free unmaps the segment and closes the descriptor it owns, if any:
// fpm_shm_free, with the size taken from the segment itself. The memory
// goes back to the system when no process maps it or holds its descriptor
// any more. A second Free returns an error matching ErrFreed and changes
// nothing.
func (s *Segment) Free() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base == nil {
		return s.fail("free", ErrFreed, "")
	}
	if err := sys.Munmap(s.base, s.maplen); err != nil {
		return s.fail("free", err, "munmap")
	}
	err := s.closeFD()
	size := s.size
	s.base, s.data = nil, nil
	forget(s, size)
	logDebug(s.name, size, "freed shared memory")
	if err != nil {
		return s.fail("free", err, "close of the backing descriptor")
	}
	return nil
}

// closeFD closes the descriptor the segment owns, if any.
func (s *Segment) closeFD() error {
	var err error
	switch {
	case s.file != nil:
		err = s.file.Close()
	case s.fd >= 0:
		err = sys.Close(s.fd)
	}
	s.file, s.fd = nil, -1
	return err
}

// liveLocked returns ErrFreed once the segment is freed. The caller holds mu.
func (s *Segment) liveLocked(op string) error {
	if s.base == nil {
		return s.fail(op, ErrFreed, "")
	}
	return nil
}

// fail builds the segment's error for op and logs it.
func (s *Segment) fail(op string, err error, detail string) error {
	e := &Error{Op: op, Name: s.name, Size: s.size, Detail: detail, Err: err}
	if err != ErrFreed {
		logError(e)
	}
	return e
}
