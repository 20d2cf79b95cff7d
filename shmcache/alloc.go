package shmcache

import "math/bits"

// The allocator of a stripe. Its pages are carved into the chunks of one
// size class each; a page's descriptor, kept apart from the pages where an
// overrunning value cannot reach it, holds its class, how many chunks are
// used and a bitmap of which. Pages with free chunks are on their class's
// partial list, empty pages on the stripe's free list (both doubly linked
// through the descriptors): a page whose last entry goes returns to the
// free list, and any class can take it from there. Every link and count
// read from the segment is checked before use; one that fails is damage.

// page checks a list link (local page index + 1) and returns the index.
func (t *tx) page(link uint32) (uint64, bool) {
	if link == 0 || uint64(link) > uint64(t.c.g.pages) {
		return 0, t.broken("a page list link is out of range")
	}
	return uint64(link - 1), true
}

// chunkOff returns the offset of chunk k of stripe page p of class cls.
func (t *tx) chunkOff(p uint64, cls int, k uint64) uint64 {
	return t.c.stripeData(t.s) + p*uint64(t.c.g.pageSize) + k*uint64(t.c.g.classes.size[cls])
}

// allocChunk takes a free chunk of class cls and returns its offset, or 0
// when the class has none and no page is free (or on damage).
func (t *tx) allocChunk(cls int) uint64 {
	cs := &t.st.class[cls]
	if cs.partial == 0 && !t.newPage(cls) {
		return 0
	}
	p, ok := t.page(cs.partial)
	if !ok {
		return 0
	}
	d := t.c.desc(t.s, p)
	chunks := t.c.g.classes.chunks[cls]
	if int(d.class) != cls+1 || uint32(d.used) >= chunks {
		t.broken("a page on a class's partial list is of another class or full")
		return 0
	}
	bm := t.c.bitmap(d)
	k, ok := firstClear(bm, uint64(chunks))
	if !ok {
		t.broken("a page's use count and bitmap disagree")
		return 0
	}
	bm[k/64] |= 1 << (k % 64)
	d.used++
	cs.used++
	if uint32(d.used) == chunks && !t.unlink(&cs.partial, p) {
		return 0
	}
	return t.chunkOff(p, cls, k)
}

// newPage moves a page from the free list to class cls's partial list.
func (t *tx) newPage(cls int) bool {
	if t.st.freeHead == 0 {
		return false
	}
	p, ok := t.page(t.st.freeHead)
	if !ok {
		return false
	}
	d := t.c.desc(t.s, p)
	if d.class != 0 || d.used != 0 {
		return t.broken("a page on the free list is in use")
	}
	if !t.unlink(&t.st.freeHead, p) {
		return false
	}
	clear(t.c.bitmap(d))
	d.class = uint16(cls + 1)
	t.st.freePages--
	t.st.class[cls].pages++
	return t.push(&t.st.class[cls].partial, p)
}

// freeChunk frees the chunk of the entry at off, of class cls (from its
// header, checked against its page's descriptor).
func (t *tx) freeChunk(off uint64, cls int) bool {
	rel := off - t.c.stripeData(t.s)
	p, inPage := rel/uint64(t.c.g.pageSize), rel%uint64(t.c.g.pageSize)
	if p >= uint64(t.c.g.pages) {
		return t.broken("an entry lies outside its stripe")
	}
	d := t.c.desc(t.s, p)
	chunks := uint64(t.c.g.classes.chunks[cls])
	k, start := t.c.g.classes.chunkOf(cls, inPage)
	if int(d.class) != cls+1 || !start || k >= chunks {
		return t.broken("an entry is not a chunk of its page's class")
	}
	bm := t.c.bitmap(d)
	if bm[k/64]&(1<<(k%64)) == 0 || d.used == 0 {
		return t.broken("an entry's chunk is already free")
	}
	bm[k/64] &^= 1 << (k % 64)
	crashPoint(cpFreeing)
	cs := &t.st.class[cls]
	wasFull := uint64(d.used) == chunks
	d.used--
	cs.used--
	switch {
	case d.used == 0:
		if !wasFull && !t.unlink(&cs.partial, p) {
			return false
		}
		d.class = 0
		cs.pages--
		t.st.freePages++
		return t.push(&t.st.freeHead, p)
	case wasFull:
		return t.push(&cs.partial, p)
	}
	return true
}

// push puts page p at the head of the list *head.
func (t *tx) push(head *uint32, p uint64) bool {
	d := t.c.desc(t.s, p)
	d.prev, d.next = 0, *head
	if *head != 0 {
		n, ok := t.page(*head)
		if !ok {
			return false
		}
		t.c.desc(t.s, n).prev = uint32(p + 1)
	}
	*head = uint32(p + 1)
	return true
}

// unlink takes page p off the list *head.
func (t *tx) unlink(head *uint32, p uint64) bool {
	d := t.c.desc(t.s, p)
	link := uint32(p + 1)
	crashPoint(cpLinking)
	if d.prev != 0 {
		q, ok := t.page(d.prev)
		if !ok {
			return false
		}
		pd := t.c.desc(t.s, q)
		if pd.next != link {
			return t.broken("page list links disagree")
		}
		pd.next = d.next
	} else {
		if *head != link {
			return t.broken("a page list's head is not its first page")
		}
		*head = d.next
	}
	if d.next != 0 {
		n, ok := t.page(d.next)
		if !ok {
			return false
		}
		nd := t.c.desc(t.s, n)
		if nd.prev != link {
			return t.broken("page list links disagree")
		}
		nd.prev = d.prev
	}
	d.prev, d.next = 0, 0
	return true
}

// firstClear returns the first clear bit of bm below n.
func firstClear(bm []uint64, n uint64) (uint64, bool) {
	for i := uint64(0); i*64 < n; i++ {
		if w := ^bm[i]; w != 0 {
			if k := i*64 + uint64(bits.TrailingZeros64(w)); k < n {
				return k, true
			}
			return 0, false
		}
	}
	return 0, false
}

// nextSet returns the first set bit of bm from k on, below n.
func nextSet(bm []uint64, k, n uint64) (uint64, bool) {
	for k < n {
		w := bm[k/64] >> (k % 64)
		if w != 0 {
			k += uint64(bits.TrailingZeros64(w))
			return k, k < n
		}
		k = (k/64 + 1) * 64
	}
	return 0, false
}
