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
// it copies the value under the version of the key's bucket and checks
// the value's checksum, and copies again when a write overlapped the copy.
// Only after many overlapped copies, or when a write stays unfinished (its
// writer may have died), does it take the stripe's lock, repairing the
// stripe if the writer did die.
func (c *Cache) AppendGet(dst, key []byte) ([]byte, bool) {
	if c.base == nil {
		return dst, false
	}
	h := hashKey(c.g.seed, key)
	p := c.g.place(h)
	var f hit
	for try := range readTries {
		if out, r, ok := c.readOnce(&p, h, key, dst, &f); ok {
			return c.counted(&p, &f, r, out, dst)
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

// readOnce is one lockless read of key: the versions of its buckets, the
// search, the copy, and the versions again. ok is false when a write
// overlapped it (a version was odd or changed): the read must be tried
// again. A hit in the first bucket needs only its version; a miss there
// needs both, read before their buckets and checked after both, so that
// an entry moved from one to the other while the read went on is seen.
func (c *Cache) readOnce(p *place, h uint64, key, dst []byte, f *hit) (out []byte, r readResult, ok bool) {
	v1p := c.version(p.s, p.b1)
	v1 := atomic.LoadUint64(v1p)
	if v1&1 != 0 {
		return dst, readMiss, false
	}
	found, damaged := c.search(p, p.b1, h, key, f)
	v2p, v2 := v1p, v1
	if !found && p.b2 != p.b1 {
		v2p = c.version(p.s, p.b2)
		if v2 = atomic.LoadUint64(v2p); v2&1 != 0 {
			return dst, readMiss, false
		}
		var d bool
		found, d = c.search(p, p.b2, h, key, f)
		damaged = damaged || d
	}
	out, r = c.read(found, damaged, f, dst)
	order.AcquireFence()
	if atomic.LoadUint64(v1p) != v1 || atomic.LoadUint64(v2p) != v2 {
		return dst, readMiss, false
	}
	return out, r, true
}

// read appends the value of the entry f, found or not, to dst. Its result
// is only meaningful if no write overlapped it.
func (c *Cache) read(found, damaged bool, f *hit, dst []byte) ([]byte, readResult) {
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
// lockless reads, pausing between them, until the lock timeout. A bucket
// version found odd under the lock was left so by no writer of this
// package: that is damage, which the repair mends.
func (c *Cache) getLocked(p *place, h uint64, key, dst []byte) ([]byte, bool) {
	var f hit
	if c.readOnly {
		for deadline := time.Now().Add(time.Duration(c.timeout.Load())); time.Now().Before(deadline); {
			time.Sleep(50 * time.Microsecond)
			if out, r, ok := c.readOnce(p, h, key, dst, &f); ok {
				return c.counted(p, &f, r, out, dst)
			}
		}
		return dst, false
	}
	var t tx
	if err := c.begin(&t, "get", p.s); err != nil {
		return c.counted(p, &f, readMiss, dst, dst)
	}
	defer t.end()
	if !t.frozen && (atomic.LoadUint64(c.version(p.s, p.b1))|atomic.LoadUint64(c.version(p.s, p.b2)))&1 != 0 {
		t.broken("a bucket's version is odd outside a write")
	}
	found, damaged := c.lookup(p, h, key, &f)
	out, r := c.read(found, damaged, &f, dst)
	if r == readDamaged { // counted by the repair at end
		t.broken("a slot refers to something that is not an entry, or an entry's checksum does not match")
		r = readMiss
	}
	return c.counted(p, &f, r, out, dst)
}
