package shmcache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
)

// Set stores value under key, replacing any entry the key has. With ttl
// above 0 the entry expires ttl from now; with 0 it never does.
//
// It fails with ErrTooLarge for a key longer than MaxKeyLen or an entry
// (key, value and 40 bytes) larger than the page size; with ErrFull
// when there is no room (see Policy); with ErrBusy when another process
// holds the key's stripe for longer than the lock timeout; with
// ErrCorrupt when it found the stripe damaged (and repaired it); with
// ErrReadOnly in a read-only cache. Errors are *Error.
func (c *Cache) Set(key, value []byte, ttl time.Duration) error {
	_, err := c.write("set", writeSet, key, value, nil, ttl)
	return err
}

// Add stores value under key only if the key has no entry (or only an
// expired one), and reports whether it did. Errors are Set's.
func (c *Cache) Add(key, value []byte, ttl time.Duration) (bool, error) {
	return c.write("add", writeAdd, key, value, nil, ttl)
}

// CompareAndSwap stores new under key only if the key's entry holds old
// (and has not expired), and reports whether it did. The new entry expires
// after ttl as with Set. Errors are Set's.
func (c *Cache) CompareAndSwap(key, old, new []byte, ttl time.Duration) (bool, error) {
	return c.write("compare-and-swap", writeCAS, key, new, old, ttl)
}

// Delete removes key's entry and reports whether there was one (an
// expired entry counts as none). Errors are Set's.
func (c *Cache) Delete(key []byte) (bool, error) {
	p, h, err := c.prepare("delete", key, 0, 0)
	if err != nil {
		return false, err
	}
	var t tx
	if err := c.begin(&t, "delete", p.s); err != nil {
		return false, err
	}
	defer t.end()
	var f hit
	if !t.find(&p, h, key, &f) {
		if t.damage != "" {
			return false, t.damaged("delete")
		}
		return false, nil
	}
	t.makeOdd()
	t.changing(f.slot / bucketWords)
	t.arm(intentSlot, f.slot, f.word, 0)
	crashPoint(cpArmed)
	t.storeSlot(f.slot, 0)
	t.changed(f.slot / bucketWords)
	crashPoint(cpPublished)
	if !t.forget(f.off, &f.h) {
		return false, t.damaged("delete")
	}
	t.disarm()
	t.ln.counters.deletes++
	t.sweep()
	return true, nil
}

type writeMode int

const (
	writeSet writeMode = iota
	writeAdd
	writeCAS
)

// write is Set, Add and CompareAndSwap.
func (c *Cache) write(op string, mode writeMode, key, value, old []byte, ttl time.Duration) (bool, error) {
	p, h, err := c.prepare(op, key, len(value), ttl)
	if err != nil {
		return false, err
	}
	cls, _ := c.g.classes.classFor(entryNeed(len(key), len(value)))
	var t tx
	if err := c.begin(&t, op, p.s); err != nil {
		return false, err
	}
	defer t.end()
	var f hit
	found := t.find(&p, h, key, &f)
	switch {
	case t.damage != "":
		return false, t.damaged(op)
	case mode == writeAdd && found:
		return false, nil
	case mode == writeCAS && (!found || !bytes.Equal(c.valueAt(f.off, &f.h), old)):
		return false, nil
	case mode == writeCAS && !c.intact(f.off, &f.h):
		t.broken("an entry's checksum does not match")
		return false, t.damaged(op)
	}
	if err := t.store(op, &p, h, key, value, ttl, cls, &f, found); err != nil {
		return false, err
	}
	t.ln.counters.sets++
	t.sweep()
	return true, nil
}

// prepare checks a write of key with a value of vlen bytes and returns
// where the key lives.
func (c *Cache) prepare(op string, key []byte, vlen int, ttl time.Duration) (place, uint64, error) {
	if err := c.writable(op); err != nil {
		return place{}, 0, err
	}
	switch {
	case len(key) > MaxKeyLen:
		return place{}, 0, c.fail(op, -1, ErrTooLarge, fmt.Sprintf("key of %d bytes; the longest is %d", len(key), MaxKeyLen))
	case ttl < 0:
		return place{}, 0, c.fail(op, -1, syscall.EINVAL, fmt.Sprintf("negative ttl %v", ttl))
	}
	if need := entryNeed(len(key), vlen); need > uint64(c.g.pageSize) {
		return place{}, 0, c.fail(op, -1, ErrTooLarge, fmt.Sprintf("entry of %d bytes (%d bytes of header and CAS generation, %d-byte key, %d-byte value); the largest is the page size, %d bytes",
			need, entryOverhead, len(key), vlen, c.g.pageSize))
	}
	h := hashKey(c.g.seed, key)
	return c.g.place(h), h, nil
}

// find looks key up under the lock. An expired entry is dropped on the
// way and reported as not found.
func (t *tx) find(p *place, h uint64, key []byte, f *hit) bool {
	found, damaged := t.c.lookup(p, h, key, f)
	switch {
	case damaged:
		return t.broken("a slot refers to something that is not an entry")
	case found && t.expired(&f.h):
		v := victim{off: f.off, h: f.h, slot: f.slot, word: f.word}
		t.drop(&v)
		return false
	}
	return found
}

// store publishes a new entry for key: in place of f when found, else in a
// free slot of the key's buckets. On failure the stripe is as it was,
// except for entries dropped to make room.
func (t *tx) store(op string, p *place, h uint64, key, value []byte, ttl time.Duration, cls int, f *hit, found bool) error {
	slot, old := f.slot, f.word
	if !found {
		var why string
		if slot, why = t.freeSlot(p); why != "" {
			return t.full(op, why)
		}
		old = 0
	}
	need := entryNeed(len(key), len(value))
	off := t.allocChunk(cls, need)
	if off == 0 && t.damage == "" && t.makeRoom(cls) {
		off = t.allocChunk(cls, need)
	}
	if off == 0 {
		return t.full(op, fmt.Sprintf("no free %d-byte chunk and no free page among the stripe's %d pages of %d bytes, and %s",
			t.c.g.classes.size[cls], t.c.g.pages, t.c.g.pageSize, t.c.g.policy.noRoom()))
	}
	if t.evicted && atomic.LoadUint64(t.c.slot(t.s, slot))&refMask != old&refMask {
		old = 0 // making room dropped the entry being replaced
	}
	var expire int64
	if ttl > 0 {
		expire = t.clock() + int64(ttl)
	}
	t.st.casGen++
	t.fill(off, cls, h, key, value, expire)
	crashPoint(cpFilled)
	w := slotWord(off, p.tag, expire)
	t.makeOdd()
	t.changing(slot / bucketWords)
	t.arm(intentSlot, slot, old, w)
	crashPoint(cpArmed)
	t.storeSlot(slot, w)
	t.changed(slot / bucketWords)
	crashPoint(cpPublished)
	if old != 0 && !t.forget(f.off, &f.h) {
		return t.damaged(op)
	}
	t.st.entries++
	t.st.bytes += uint64(len(key)) + uint64(len(value))
	if expire != 0 {
		t.st.expiring++
	}
	t.disarm()
	return nil
}

// full returns the error of a write that found no room, or the damage
// that stopped it.
func (t *tx) full(op, why string) error {
	if t.damage != "" {
		return t.damaged(op)
	}
	t.ln.counters.refused++
	return t.c.fail(op, int(t.s), ErrFull, why)
}

func (p Policy) noRoom() string {
	if p == Refuse {
		return "the policy is refuse: only expired entries make room"
	}
	return "eviction freed nothing"
}

// fill writes a new entry into the free chunk at off.
func (t *tx) fill(off uint64, cls int, h uint64, key, value []byte, expire int64) {
	hdr := entryHeader{
		magic:  entryMagic,
		class:  uint8(cls),
		hash:   h,
		expire: expire,
		vlen:   uint32(len(value)),
		klen:   uint16(len(key)),
	}
	e := t.c.entry(off)
	*e = hdr
	// Lengths from hdr, not read back from e: a load of what was just
	// stored in pieces stalls.
	copy(t.c.keyAt(off, &hdr), key)
	tail := t.c.tailAt(off, &hdr)
	copy(tail, value)
	binary.LittleEndian.PutUint64(tail[len(value):], t.st.casGen)
	e.psum, e.vsum = t.c.prefixSum(off, &hdr), tailSum(h, tail)
}

// freeSlot returns an empty slot of the key's buckets, from the one with
// more empty slots. When both are full it moves one of their entries to
// its other bucket, if that has room (relocate); failing that it takes an
// expired entry's slot,
// or under Evict the first one not read since the buckets were last
// full (clearing the marks of those that were), or the first one. Under
// Refuse with no expired entry it says why there is no slot.
func (t *tx) freeSlot(p *place) (uint64, string) {
	best, bestFree := uint64(0), 0
	buckets := [2]uint64{p.b1, p.b2}
	n := 2
	if p.b2 == p.b1 {
		n = 1
	}
	for _, b := range buckets[:n] {
		free, first := 0, uint64(0)
		for j := uint64(firstSlot); j < bucketWords; j++ {
			if atomic.LoadUint64(t.c.slot(t.s, b*bucketWords+j))&refMask == 0 {
				if free == 0 {
					first = b*bucketWords + j
				}
				free++
			}
		}
		if free > bestFree {
			best, bestFree = first, free
		}
	}
	if bestFree > 0 {
		return best, ""
	}
	if n == 2 {
		if slot, ok := t.relocate(buckets); ok || t.damage != "" {
			return slot, t.damage
		}
	}
	var v victim
	for pass := range 2 {
		for _, b := range buckets[:n] {
			for j := uint64(firstSlot); j < bucketWords; j++ {
				idx := b*bucketWords + j
				w := atomic.LoadUint64(t.c.slot(t.s, idx))
				var h entryHeader
				off, ok := t.c.entryAt(t.s, w&refMask, &h)
				if !ok || !t.c.aligned(t.s, off, &h) {
					t.broken("a slot refers to something that is not an entry")
					return 0, "damage"
				}
				v = victim{off: off, h: h, slot: idx, word: w}
				switch {
				case t.expired(&h), t.c.g.policy == Evict && (pass == 1 || w&accessBit == 0):
					if !t.drop(&v) {
						return 0, "damage"
					}
					return idx, ""
				case t.c.g.policy == Evict:
					t.setSlot(idx, w&^accessBit)
				}
			}
		}
	}
	return 0, fmt.Sprintf("both index buckets of the key are full (%d entries) and the policy is refuse: raise Options.Entries", n*slotsPerBucket)
}

// relocate makes room in a full pair of buckets by moving entries to
// their other buckets: it searches, breadth first over at most
// relocateBuckets buckets, for a chain of entries each of which can move
// to the bucket of the next, the last to a bucket with an empty slot;
// then moves them from the last to the first, and returns the slot of the
// key's buckets the first one emptied. Each move is an intent of its own:
// a repair completes it, so that an entry is never lost nor held by two
// slots, whatever move a crash stops.
func (t *tx) relocate(buckets [2]uint64) (uint64, bool) {
	type node struct {
		bucket uint64
		parent int    // the node whose entry moves into this bucket; -1 for the key's buckets
		from   uint64 // the slot of that entry
	}
	var queue [relocateBuckets]node
	n := copy(queue[:], []node{{buckets[0], -1, 0}, {buckets[1], -1, 0}})
	var h entryHeader
	for i := 0; i < n; i++ {
		b := queue[i].bucket
		for j := uint64(firstSlot); j < bucketWords; j++ {
			from := b*bucketWords + j
			w := atomic.LoadUint64(t.c.slot(t.s, from))
			if _, ok := t.c.entryAt(t.s, w&refMask, &h); !ok {
				return 0, t.broken("a slot refers to something that is not an entry")
			}
			p := t.c.g.place(h.hash)
			alt := p.b1
			if alt == b {
				alt = p.b2
			}
			if p.s != t.s || alt == b {
				continue
			}
			if to, ok := t.emptySlot(alt); ok {
				// Move this entry to the empty slot, then each entry of the
				// chain into the slot the one after it left.
				for k := i; ; k = queue[k].parent {
					if !t.move(from, to) {
						return 0, false
					}
					if queue[k].parent < 0 {
						return from, true
					}
					from, to = queue[k].from, from
				}
			}
			if n < len(queue) {
				queue[n] = node{alt, i, from}
				n++
			}
		}
	}
	return 0, false
}

// relocateBuckets bounds the buckets relocate looks at.
const relocateBuckets = 64

// emptySlot returns an empty slot of bucket b.
func (t *tx) emptySlot(b uint64) (uint64, bool) {
	for j := uint64(firstSlot); j < bucketWords; j++ {
		if atomic.LoadUint64(t.c.slot(t.s, b*bucketWords+j))&refMask == 0 {
			return b*bucketWords + j, true
		}
	}
	return 0, false
}

// move moves the entry of slot from to the empty slot to, if they still
// hold what relocate found (a chain may pass a bucket twice).
func (t *tx) move(from, to uint64) bool {
	w := atomic.LoadUint64(t.c.slot(t.s, from))
	if w&refMask == 0 || atomic.LoadUint64(t.c.slot(t.s, to))&refMask != 0 {
		return false
	}
	bf, bt := from/bucketWords, to/bucketWords
	t.makeOdd()
	t.changing(bf)
	t.changing(bt)
	t.arm(intentMove, from, w, to)
	t.storeSlot(to, w)
	crashPoint(cpMoving)
	t.storeSlot(from, 0)
	t.changed(bt)
	t.changed(bf)
	t.disarm()
	return true
}
