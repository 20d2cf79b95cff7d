package shm

import (
	"sync"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// Freed segments that never left this process are kept for reuse, so that
// Alloc+Free and Map+Free, the seed's pattern, cost less than fresh system
// calls. A pooled segment's memory is given back at Free: an anonymous
// mapping's pages are released with MADV_REMOVE, a memfd's by punching a
// hole in it (all but the first page, which holds the header and is
// cleared in place), so the segment reads as zeros when Alloc or Map hands
// it out again. Only plain segments qualify: Alloc's named DefaultName
// without NoDump, and Map's Shared|Anonymous read-write ones; never one
// handed to another process or whose protection, locking or advice was
// changed; at most poolMaxLen bytes, at most poolMax of them.
const (
	poolMax    = 16
	poolMaxLen = 1 << 20
)

// pooled is a freed segment's mapping and descriptor, kept for reuse.
type pooled struct {
	base       unsafe.Pointer
	maplen     uintptr
	backing    Backing
	fd         int
	generation uint64 // of the header it had; the next one is higher
}

var pool struct {
	sync.Mutex
	free []pooled
}

// takePooled returns a kept mapping of maplen bytes and backing b, if
// there is one.
func takePooled(maplen uintptr, b Backing) (pooled, bool) {
	pool.Lock()
	defer pool.Unlock()
	for i := len(pool.free) - 1; i >= 0; i-- {
		if p := pool.free[i]; p.maplen == maplen && p.backing == b {
			pool.free = append(pool.free[:i], pool.free[i+1:]...)
			return p, true
		}
	}
	return pooled{}, false
}

// recycleLocked zeroes a freed segment and keeps its mapping for reuse,
// reporting whether it did; if not, the caller unmaps it as usual. The
// caller holds s.mu.
func (s *Segment) recycleLocked() bool {
	if !s.poolableLocked() {
		return false
	}
	pool.Lock()
	full := len(pool.free) >= poolMax
	pool.Unlock()
	if full || s.zeroLocked() != nil {
		return false
	}
	pool.Lock()
	defer pool.Unlock()
	if len(pool.free) >= poolMax {
		return false
	}
	pool.free = append(pool.free, pooled{s.base, s.maplen, s.backing, s.fd, s.generation})
	return true
}

// poolableLocked reports whether the segment may be reused.
func (s *Segment) poolableLocked() bool {
	if s.altered.Load() || s.file != nil || s.maplen > poolMaxLen {
		return false
	}
	switch s.backing {
	case BackingMemfd:
		return s.name == DefaultName && !s.noDump
	case BackingAnonymous:
		return s.flags == Shared|Anonymous && s.prot == ProtRead|ProtWrite && sys.MadvRemove >= 0
	}
	return false
}

// zeroLocked gives the segment's pages back to the system so that it
// reads as zeros; a memfd's first page, which holds the header, is
// cleared in place instead, header included, so that attachers see the
// segment is gone.
func (s *Segment) zeroLocked() error {
	if s.backing == BackingAnonymous {
		return sys.Madvise(s.base, s.maplen, sys.MadvRemove)
	}
	page := uintptr(pageSize)
	if s.maplen > page {
		if err := sys.PunchHole(s.fd, int64(page), int64(s.maplen-page)); err != nil {
			return err
		}
	}
	clear(unsafe.Slice((*byte)(s.base), page))
	return nil
}

// Trim releases the freed segments kept for reuse: their mappings and
// descriptors. Free keeps at most a few, each holding one page of memory.
func Trim() {
	pool.Lock()
	free := pool.free
	pool.free = nil
	pool.Unlock()
	for _, p := range free {
		sys.Munmap(p.base, p.maplen)
		if p.fd >= 0 {
			sys.Close(p.fd)
		}
	}
}
