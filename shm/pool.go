package shm

import (
	"sync"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// Freed segments that never left this process are kept for reuse, so that
// Alloc+Free, the seed's pattern, costs less than fresh system calls: a
// pooled segment is zeroed at Free (its first page cleared in place, the
// rest released to the system by punching a hole in its memfd, so it holds
// one page of memory) and handed out again by Alloc with a new header.
// Only default segments qualify: named as DefaultName, without NoDump,
// never handed to another process, at most poolMaxLen bytes; at most
// poolMax are kept.
const (
	poolMax    = 16
	poolMaxLen = 1 << 20
)

// pooled is a freed segment's mapping and descriptor, kept for reuse.
type pooled struct {
	base       unsafe.Pointer
	maplen     uintptr
	fd         int
	generation uint64 // of the header it had; the next one is higher
}

var pool struct {
	sync.Mutex
	free []pooled
}

// takePooled returns a kept mapping of maplen bytes, if there is one.
func takePooled(maplen uintptr) (pooled, bool) {
	pool.Lock()
	defer pool.Unlock()
	for i := len(pool.free) - 1; i >= 0; i-- {
		if p := pool.free[i]; p.maplen == maplen {
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
	if s.backing != BackingMemfd || s.name != DefaultName || s.noDump || s.altered.Load() || s.file != nil || s.maplen > poolMaxLen {
		return false
	}
	pool.Lock()
	full := len(pool.free) >= poolMax
	pool.Unlock()
	if full {
		return false
	}
	page := uintptr(pageSize)
	if s.maplen > page {
		if err := sys.PunchHole(s.fd, int64(page), int64(s.maplen-page)); err != nil {
			return false
		}
	}
	clear(unsafe.Slice((*byte)(s.base), page)) // the header too: attachers see it is gone
	pool.Lock()
	defer pool.Unlock()
	if len(pool.free) >= poolMax {
		return false
	}
	pool.free = append(pool.free, pooled{s.base, s.maplen, s.fd, s.generation})
	return true
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
		sys.Close(p.fd)
	}
}
