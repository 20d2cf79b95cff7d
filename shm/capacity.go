package shm

import (
	"fmt"
	"sync"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// memoryCapacity is the memory plus swap this process can be given, and
// the cgroup that limits it ("" for the machine's own): read once, at the
// first allocation that needs it. 0 bytes when unknown.
type memoryCapacity struct {
	bytes  uint64
	cgroup string
}

var capacity = sync.OnceValue(func() memoryCapacity {
	n, cgroup, err := sys.MemoryCapacity()
	if err != nil {
		return memoryCapacity{}
	}
	return memoryCapacity{n, cgroup}
})

// beyondCapacity says why n more bytes, on top of the cur in use, cannot
// be given to this process, or "".
func beyondCapacity(cur, n int64) string {
	c := capacity()
	if c.bytes == 0 || uint64(cur)+uint64(n) <= c.bytes {
		return ""
	}
	where := "the machine has"
	if c.cgroup != "" {
		where = "cgroup " + c.cgroup + " allows"
	}
	return fmt.Sprintf("%s %d bytes of memory and swap, and %d are in use", where, c.bytes, cur)
}
