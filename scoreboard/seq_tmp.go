package scoreboard

import (
	"sync/atomic"

	"github.com/fpmshm/fpmshm/internal/order"
)

// seqCount is a single-writer sequence counter (to be replaced by shmsync's).
type seqCount struct{ v uint64 }

func (c *seqCount) BeginWrite() {
	order.StoreRelease64(&c.v, atomic.LoadUint64(&c.v)+1)
	order.ReleaseFence()
}
func (c *seqCount) EndWrite() { order.StoreRelease64(&c.v, atomic.LoadUint64(&c.v)+1) }
func (c *seqCount) Repair() {
	if v := atomic.LoadUint64(&c.v); v&1 == 1 {
		atomic.StoreUint64(&c.v, v+1)
	}
}
func (c *seqCount) ReadBegin() (uint64, bool) {
	v := atomic.LoadUint64(&c.v)
	return v, v&1 == 0
}
func (c *seqCount) ReadRetry(v uint64) bool {
	order.AcquireFence()
	return atomic.LoadUint64(&c.v) != v
}
