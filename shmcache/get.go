package shmcache

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/fpmshm/fpmshm/internal/order"
)

// Get returns a copy of key's value, and whether the key has an entry
// that has not expired. A key whose entry is damaged, or whose stripe
// stays locked by another process past the lock timeout, reads as absent;
// Stats counts the damage.
func (c *Cache) Get(key []byte) ([]byte, bool) {
	return c.AppendGet(nil, key)
}

// AppendGet appends key's value to dst and returns the extended slice, and
// whether the key has an entry that has not expired (dst unchanged if
// not). With room in dst it allocates nothing.
//
// It takes no lock and writes nothing to the segment but a read mark on
// the entry (once, for the CLOCK) and this process's hit or miss count:
// it copies the value under the stripe's sequence and checks the value's
// checksum, and copies again when a write overlapped the copy. Only after
// many overlapped copies, or when a write stays unfinished (its writer
// may have died), does it take the stripe's lock, repairing the stripe if
// the writer did die.
func (c *Cache) AppendGet(dst, key []byte) ([]byte, bool) {
	if c.base == nil {
		return dst, false
	}
	h := hashKey(c.g.seed, key)
	p := c.g.place(h)
	st := c.stripe(p.s)
	var f hit
	for try := range readTries {
		seq := st.seq.Load()
		if seq&1 == 0 {
			out, r := c.read(&p, h, key, dst, &f)
			order.AcquireFence()
			if st.seq.Load() == seq {
				return c.counted(&p, &f, r, out, dst)
			}
		}
		if try >= readSpins {
			runtime.Gosched()
		}
	}
	return c.getLocked(&p, h, key, dst)
}

// A read copies up to readTries times, yielding the processor after the
// first readSpins, before it locks the stripe.
const (
	readTries = 64
	readSpins = 16
)

type readResult int

const (
	readMiss readResult = iota
	readHit
	readDamaged
)

// read looks key up and appends its value to dst. Its result is only
// meaningful if no write overlapped it.
func (c *Cache) read(p *place, h uint64, key, dst []byte, f *hit) ([]byte, readResult) {
	found, damaged := c.lookup(p, h, key, f)
	switch {
	case !found && damaged:
		return dst, readDamaged
	case !found, f.h.expire != 0 && nowNano() >= f.h.expire:
		return dst, readMiss
	}
	out := append(dst, c.valueAt(f.off, &f.h)...)
	if !c.intact(f.off, &f.h) {
		return dst, readDamaged
	}
	return out, readHit
}

// counted counts a read's result, marks a hit entry as read, and returns
// what AppendGet returns.
func (c *Cache) counted(p *place, f *hit, r readResult, out, dst []byte) ([]byte, bool) {
	if r == readHit {
		if f.word&accessBit == 0 && !c.readOnly {
			atomic.CompareAndSwapUint64(c.slot(p.s, f.slot), f.word, f.word|accessBit)
		}
		if c.counts != nil {
			c.counts.hits.Add(1)
		}
		return out, true
	}
	if c.counts != nil {
		if r == readDamaged {
			c.counts.corruptions.Add(1)
		}
		c.counts.misses.Add(1)
	}
	return dst, false
}

// getLocked reads under the stripe's lock, after the lockless reads kept
// overlapping writes. A read-only cache cannot lock: it keeps trying
// lockless reads, pausing between them, until the lock timeout.
func (c *Cache) getLocked(p *place, h uint64, key, dst []byte) ([]byte, bool) {
	var f hit
	if c.readOnly {
		st := c.stripe(p.s)
		for deadline := time.Now().Add(time.Duration(c.timeout.Load())); time.Now().Before(deadline); {
			time.Sleep(50 * time.Microsecond)
			if seq := st.seq.Load(); seq&1 == 0 {
				out, r := c.read(p, h, key, dst, &f)
				order.AcquireFence()
				if st.seq.Load() == seq {
					return c.counted(p, &f, r, out, dst)
				}
			}
		}
		return dst, false
	}
	var t tx
	if err := c.begin(&t, "get", p.s); err != nil {
		return c.counted(p, &f, readMiss, dst, dst)
	}
	defer t.end()
	out, r := c.read(p, h, key, dst, &f)
	if r == readDamaged { // counted by the repair at end
		t.broken("a slot refers to something that is not an entry, or an entry's checksum does not match")
		r = readMiss
	}
	return c.counted(p, &f, r, out, dst)
}
