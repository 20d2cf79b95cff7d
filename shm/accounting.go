package shm

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Info describes a live segment.
type Info struct {
	Name    string
	Size    int // bytes, as allocated
	Prot    Prot
	Flags   Flag
	Backing Backing
	Created time.Time
}

var (
	allocated atomic.Int64 // bytes held by live segments; never negative
	limit     atomic.Int64 // SetLimit's cap; 0 for none
	liveMu    sync.Mutex
	liveHead  *Segment // newest first
)

// Allocated returns the bytes held by the live segments this package
// mapped in this process: fpm_shm_get_size_allocated. It is exact under any
// number of goroutines allocating and freeing at once, and never negative.
func Allocated() int64 { return allocated.Load() }

// Segments returns the live segments, oldest first.
func Segments() []Info {
	liveMu.Lock()
	var list []*Segment
	for s := liveHead; s != nil; s = s.next {
		list = append(list, s)
	}
	liveMu.Unlock()
	infos := make([]Info, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		if info := list[i].Info(); info.Size > 0 {
			infos = append(infos, info)
		}
	}
	return infos
}

// SetLimit caps the bytes that live segments may hold in this process;
// an allocation past it fails with ErrLimit (matching syscall.ENOMEM).
// 0 removes the cap. It returns the previous cap.
func SetLimit(n int64) int64 { return limit.Swap(max(n, 0)) }

// reserve counts size (positive) bytes as allocated, unless the count
// would pass SetLimit's cap; then it says why not. The sum is checked
// before it is made: the count never wraps.
func reserve(size int) (string, error) {
	n := int64(size)
	for {
		cur, lim := allocated.Load(), limit.Load()
		switch {
		case n > math.MaxInt64-cur:
			return fmt.Sprintf("%d bytes are in use, and %d more do not fit the count", cur, n), ErrLimit
		case lim > 0 && cur+n > lim:
			return fmt.Sprintf("SetLimit allows %d bytes and %d are in use", lim, cur), ErrLimit
		}
		if allocated.CompareAndSwap(cur, cur+n) {
			return "", nil
		}
	}
}

// unreserve takes back what reserve counted for an allocation that failed.
func unreserve(size int) { allocated.Add(-int64(size)) }

// link puts a new segment, whose size reserve has counted, on the live list.
func link(s *Segment) {
	liveMu.Lock()
	s.next = liveHead
	if liveHead != nil {
		liveHead.prev = s
	}
	liveHead = s
	liveMu.Unlock()
}

// forget takes a freed segment of size bytes off the count and the list.
func forget(s *Segment, size int) {
	liveMu.Lock()
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		liveHead = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	}
	s.prev, s.next = nil, nil
	liveMu.Unlock()
	unreserve(size)
}
