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

// beyondCapacity says why a segment of size bytes, which will be filled
// (Alloc, Create, Map with Populate or Locked), cannot be held by this
// process, or "". Like the kernel's own overcommit heuristic, which
// refuses an anonymous mapping larger than RAM and swap but does not look
// at memfd or tmpfs sizes, it judges each allocation alone: segments that
// are never filled may add up to more.
func beyondCapacity(size int) string {
	c := capacity()
	if c.bytes == 0 || uint64(size) <= c.bytes {
		return ""
	}
	if c.cgroup != "" {
		return fmt.Sprintf("cgroup %s allows %d bytes of memory and swap", c.cgroup, c.bytes)
	}
	return fmt.Sprintf("the machine has %d bytes of memory and swap", c.bytes)
}
