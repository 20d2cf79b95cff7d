package shm

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// Segment is one mapping of shared (or private) memory. Its methods are safe
// for concurrent use; after Free, Bytes returns nil and every other method
// returns an error matching ErrFreed. A slice obtained from Bytes must not
// be used after Free: the memory behind it is gone.
type Segment struct {
	mu         sync.RWMutex   // held exclusively by Free, shared by the others
	base       unsafe.Pointer // start of the mapping; nil once freed
	maplen     uintptr        // length of the mapping, whole pages
	data       []byte         // the caller's bytes within the mapping
	size       int            // len(data) while live, kept after Free for errors
	prot       Prot
	flags      Flag
	backing    Backing
	name       string
	tag        uint64
	generation uint64 // the header's, for shareable segments
	noDump     bool
	altered    atomic.Bool // Protect, Lock or Advise changed the mapping: never pooled
	fd         int         // the backing descriptor this segment owns, or -1
	file       *os.File    // fd wrapped for hand-over, once asked for
	created    time.Time

	prev, next *Segment // the live list, under liveMu
}

// Bytes returns the segment's memory: Len bytes, or nil after Free.
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

// Tag returns the layout tag stored in a shared segment's header (0 for
// Map's segments).
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

// Free unmaps the segment and releases its backing: fpm_shm_free, with the
// size taken from the segment itself. A second Free returns an error
// matching ErrFreed and changes nothing.
func (s *Segment) Free() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base == nil {
		return s.fail("free", ErrFreed, "")
	}
	var err error
	if !s.recycleLocked() {
		if err := sys.MunmapQuick(s.base, s.maplen); err != nil {
			return s.fail("free", err, "munmap")
		}
		err = s.closeFD()
	}
	size := s.size
	s.base, s.data, s.fd = nil, nil, -1
	forget(s, size)
	logDebug("freed shared memory", s.name, size)
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
