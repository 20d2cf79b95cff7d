package shmcache

import "sync/atomic"

// Making room, and reclaiming expired entries.
//
// A write that finds no free chunk of its class and no free page makes
// room within its own stripe (it holds no other lock):
//
//   - in its class, a CLOCK hand walks the class's chunks page by page:
//     an expired entry is taken at once; an entry read since the hand last
//     passed (its slot's access bit set) has the bit cleared and is
//     skipped; the first one not read is evicted. After evictExamine
//     skipped entries the next one is evicted regardless, so a write
//     looks at a bounded number of entries.
//   - a class with no entries in the stripe, and under Evict every
//     pageSteal-th eviction of a class, takes a whole page instead: a page
//     hand walks the stripe's pages and empties the first page of another
//     class whose entries were not read since it last passed.
//
// Under Refuse only expired entries are taken. Nothing ever empties more
// than one page at a time.
const (
	evictExamine = 64
	pageSteal    = 16
)

// victim is an entry being considered for eviction.
type victim struct {
	off  uint64
	h    entryHeader
	slot uint64
	word uint64
}

// owner finds the entry at off (a used chunk of class cls) and its slot.
func (t *tx) owner(off uint64, cls int, v *victim) bool {
	var h entryHeader
	_, ok := t.c.entryAt(t.s, off/16, &h)
	if !ok || int(h.class) != cls {
		return t.broken("a used chunk holds no valid entry")
	}
	p := t.c.g.place(h.hash)
	if p.s != t.s {
		return t.broken("an entry's key belongs to another stripe")
	}
	for i, b := range [2]uint64{p.b1, p.b2} {
		if i == 1 && b == p.b1 {
			break
		}
		for j := uint64(firstSlot); j < bucketWords; j++ {
			idx := b*bucketWords + j
			if w := atomic.LoadUint64(t.c.slot(t.s, idx)); w&refMask == off/16 {
				*v = victim{off: off, h: h, slot: idx, word: w}
				return true
			}
		}
	}
	return t.broken("a used chunk has no slot")
}

// drop removes entry v from the index and frees its chunk, counting it as
// an expiration or an eviction.
func (t *tx) drop(v *victim) bool {
	t.makeOdd()
	t.setSlot(v.slot, 0)
	crashPoint(cpEvicting)
	if !t.forget(v.off, &v.h) {
		return false
	}
	t.evicted = true
	if t.expired(&v.h) {
		t.ln.counters.expirations++
	} else {
		t.ln.counters.evictions++
		t.ln.class[v.h.class].evictions++
	}
	return true
}

// forget frees the chunk of an entry no slot refers to any more and takes
// it out of the counts.
func (t *tx) forget(off uint64, h *entryHeader) bool {
	if !t.freeChunk(off, int(h.class), h.need()) {
		return false
	}
	t.st.entries--
	t.st.bytes -= uint64(h.klen) + uint64(h.vlen)
	if h.expire != 0 {
		t.st.expiring--
	}
	return true
}

// makeRoom frees a chunk of class cls, or a page, under the cache's
// policy. It returns false when nothing could be freed (or on damage).
func (t *tx) makeRoom(cls int) bool {
	cs := &t.ln.class[cls]
	evict := t.c.g.policy == Evict
	used := t.classUsed(cls)
	if evict && used && cs.evictions%pageSteal == pageSteal-1 && t.stealPage(cls, false) {
		return true
	}
	if t.damage != "" {
		return false
	}
	if used && t.evictInClass(cls) {
		return true
	}
	return evict && t.damage == "" && t.stealPage(cls, true)
}

// classUsed reports whether the stripe has entries of class cls, in any
// lane.
func (t *tx) classUsed(cls int) bool {
	for l := range t.st.lane {
		if t.st.lane[l].class[cls].used > 0 {
			return true
		}
	}
	return false
}

// evictInClass moves the lane's CLOCK hand of class cls to a victim, of
// any lane, and drops it.
func (t *tx) evictInClass(cls int) bool {
	cs := &t.ln.class[cls]
	pages, chunks := uint64(t.c.g.pages), uint64(t.c.g.classes.chunks[cls])
	p, k := uint64(cs.handPage), uint64(cs.handChunk)
	examined := 0
	var v victim
	// Each turn moves to the next page or looks at one entry: bounded by
	// two passes over the pages and the entries examined.
	for range 2*pages + evictExamine + 2 {
		if p >= pages {
			p, k = 0, 0
		}
		d := t.c.desc(t.s, p)
		next, ok := uint64(0), false
		if int(d.class) == cls+1 {
			next, ok = nextSet(t.c.bitmap(d), k, chunks)
		}
		if !ok {
			p, k = p+1, 0
			continue
		}
		k = next
		if !t.owner(t.chunkOff(p, cls, k), cls, &v) {
			return false
		}
		k++
		switch {
		case t.expired(&v.h):
		case t.c.g.policy == Refuse:
			if examined++; examined > evictExamine {
				cs.handPage, cs.handChunk = uint32(p), uint32(k)
				return false
			}
			continue
		case v.word&accessBit != 0 && examined < evictExamine:
			examined++
			t.setSlot(v.slot, v.word&^accessBit)
			continue
		}
		cs.handPage, cs.handChunk = uint32(p), uint32(k)
		return t.drop(&v)
	}
	return false
}

// stealPage empties one page for class cls: the first page at the page
// hand of another class (any class when anyClass) whose entries were not
// read since the hand last passed, clearing the marks of those that were.
// It looks at no more than every page once.
func (t *tx) stealPage(cls int, anyClass bool) bool {
	pages := uint64(t.c.g.pages)
	for range pages {
		p := uint64(t.st.pageHand) % pages
		t.st.pageHand = uint32((p + 1) % pages)
		d := t.c.desc(t.s, p)
		if d.class == 0 || int(d.class) == cls+1 || int(d.class) > t.c.g.classes.n {
			continue
		}
		if !anyClass && t.pageRead(p, int(d.class)-1) {
			if t.damage != "" {
				return false
			}
			return false // the one page looked at was in use: evict in the class
		}
		return t.emptyPage(p, int(d.class)-1)
	}
	return false
}

// pageRead reports whether any entry of page p (of class cls) was read
// since the page hand last passed, clearing the marks.
func (t *tx) pageRead(p uint64, cls int) bool {
	d := t.c.desc(t.s, p)
	bm, chunks := t.c.bitmap(d), uint64(t.c.g.classes.chunks[cls])
	read := false
	var v victim
	for k, ok := nextSet(bm, 0, chunks); ok; k, ok = nextSet(bm, k+1, chunks) {
		if !t.owner(t.chunkOff(p, cls, k), cls, &v) {
			return true
		}
		if v.word&accessBit != 0 {
			read = true
			t.setSlot(v.slot, v.word&^accessBit)
		}
	}
	return read
}

// emptyPage drops every entry of page p, of class cls; the page goes back
// to the free list with its last chunk.
func (t *tx) emptyPage(p uint64, cls int) bool {
	d := t.c.desc(t.s, p)
	bm, chunks := t.c.bitmap(d), uint64(t.c.g.classes.chunks[cls])
	var v victim
	for k, ok := nextSet(bm, 0, chunks); ok; k, ok = nextSet(bm, k+1, chunks) {
		if !t.owner(t.chunkOff(p, cls, k), cls, &v) || !t.drop(&v) {
			return false
		}
	}
	return true
}

// sweep looks at the next bucket of the stripe and drops its expired
// entries; only slots marked as having an expiry time are looked at, and
// only while the stripe has such entries.
func (t *tx) sweep() {
	if t.st.expiring == 0 {
		return
	}
	b := uint64(t.st.sweep)
	if b >= uint64(t.c.g.buckets) {
		b = 0
	}
	t.st.sweep = uint32((b + 1) % uint64(t.c.g.buckets))
	for j := uint64(firstSlot); j < bucketWords; j++ {
		idx := b*bucketWords + j
		w := atomic.LoadUint64(t.c.slot(t.s, idx))
		if w&ttlBit == 0 || w&refMask == 0 {
			continue
		}
		var h entryHeader
		off, ok := t.c.entryAt(t.s, w&refMask, &h)
		if !ok || !t.c.aligned(t.s, off, &h) {
			t.broken("a slot refers to something that is not an entry")
			return
		}
		if t.expired(&h) {
			v := victim{off: off, h: h, slot: idx, word: w}
			if !t.drop(&v) {
				return
			}
		}
	}
}
