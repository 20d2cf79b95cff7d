package shmcache

import (
	"sync/atomic"
	"time"

	"github.com/fpmshm/fpmshm/internal/order"
)

// Range calls fn for each entry that has not expired, stripe by stripe,
// until fn returns false. Each stripe is copied as one consistent whole:
// without its lock while no write overlaps the copy, else (after a few
// tries) under it, so writers are held up for no longer than one stripe's
// copy and never while fn runs. Entries written in a stripe after its
// copy are not seen; the stripes are not copied at one instant. key and
// value are valid only until fn returns.
//
// An entry that fails its checks is skipped. A stripe that cannot be
// copied (ErrBusy; a read-only cache cannot lock) is skipped too, and the
// first such error is returned once the others are done.
func (c *Cache) Range(fn func(key, value []byte) bool) error {
	if c.base == nil {
		return c.fail("range", -1, ErrClosed, "")
	}
	var buf walkBuffer
	var first error
	for s := range uint64(c.g.stripes) {
		if err := c.copyStripe(s, &buf); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		for i := 0; i+2 < len(buf.ends); i += 2 {
			k := buf.data[buf.ends[i]:buf.ends[i+1]]
			v := buf.data[buf.ends[i+1]:buf.ends[i+2]]
			if !fn(k, v) {
				return nil
			}
		}
	}
	return first
}

// walkBuffer holds the keys and values of one stripe: the i-th entry's key
// is data[ends[2i]:ends[2i+1]], its value data[ends[2i+1]:ends[2i+2]].
type walkBuffer struct {
	data []byte
	ends []int
}

// copyAttempts is how many lockless copies of a stripe Range tries.
const copyAttempts = 3

// copyStripe copies the live entries of stripe s into buf.
func (c *Cache) copyStripe(s uint64, buf *walkBuffer) error {
	st := c.stripe(s)
	for range copyAttempts {
		if seq := st.seq.Load(); seq&1 == 0 {
			c.copyEntries(s, buf)
			order.AcquireFence()
			if st.seq.Load() == seq {
				return nil
			}
		}
	}
	if c.readOnly {
		for deadline := time.Now().Add(time.Duration(c.timeout.Load())); time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
			if seq := st.seq.Load(); seq&1 == 0 {
				c.copyEntries(s, buf)
				order.AcquireFence()
				if st.seq.Load() == seq {
					return nil
				}
			}
		}
		return c.fail("range", int(s), ErrBusy, "writes kept overlapping the copy of the stripe")
	}
	var t tx
	if err := c.begin(&t, "range", s); err != nil {
		return err
	}
	defer t.end()
	c.copyEntries(s, buf)
	return nil
}

// copyEntries appends the intact, unexpired entries of stripe s to buf,
// emptied first.
func (c *Cache) copyEntries(s uint64, buf *walkBuffer) {
	buf.data, buf.ends = buf.data[:0], append(buf.ends[:0], 0)
	now := nowNano()
	for i := range c.g.slots {
		w := atomic.LoadUint64(c.slot(s, i))
		if w&refMask == 0 || i%bucketWords == 0 {
			continue
		}
		var h entryHeader
		off, ok := c.entryAt(s, w&refMask, &h)
		if !ok || h.expire != 0 && now >= h.expire {
			continue
		}
		n := len(buf.data)
		buf.data = append(buf.data, c.keyAt(off, &h)...)
		buf.data = append(buf.data, c.valueAt(off, &h)...)
		if !c.intact(off, &h) {
			buf.data = buf.data[:n]
			continue
		}
		buf.ends = append(buf.ends, n+int(h.klen), len(buf.data))
	}
}
