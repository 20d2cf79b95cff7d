package shmcache

import "math/bits"

// The allocator of a stripe. Its pages are carved into the chunks of one
// size class each; a page's descriptor, kept apart from the pages where an
// overrunning value cannot reach it, holds its class, its lane, how many
// chunks are used and a bitmap of which. Pages with free chunks are on
// their lane's partial list of their class, empty pages on the stripe's
// free list (both doubly linked through the descriptors): a page whose
// last entry goes returns to the free list, and any class and lane can
// take it from there. A process allocates in its own lane's pages while
// there are any, so that the chunks, bitmaps and counts that processes of
// different lanes write are on different cache lines. Every link and count
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

// allocChunk takes a free chunk of class cls for an entry of need bytes
// and returns its offset, or 0 when the class has none and no page is
// free (or on damage). It takes it from a page of this process's lane;
// failing that, while more than a quarter of the stripe's pages are free,
// from a free page it gives the lane; else from another lane's page of
// the class, and only if none has room from a free page: when memory is
// short the lanes share their pages, so that no class runs out of room
// while another lane has some.
func (t *tx) allocChunk(cls int, need uint64) uint64 {
	l := t.c.lane
	if t.ln.class[cls].partial == 0 && !(t.st.freePages > t.c.g.pages/4 && t.newPage(cls)) {
		if t.damage != "" {
			return 0
		}
		if l = t.laneWithRoom(cls); l == lanes {
			if !t.newPage(cls) {
				return 0
			}
			l = t.c.lane
		}
	}
	cs := &t.st.lane[l].class[cls]
	p, ok := t.page(cs.partial)
	if !ok {
		return 0
	}
	d := t.c.desc(t.s, p)
	chunks := t.c.g.classes.chunks[cls]
	if int(d.class) != cls+1 || uint64(d.lane) != l || uint32(d.used) >= chunks {
		t.broken("a page on a partial list is of another class or lane, or full")
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
	cs.bytes += need
	if uint32(d.used) == chunks && !t.unlink(&cs.partial, p) {
		return 0
	}
	return t.chunkOff(p, cls, k)
}

// laneWithRoom returns a lane with a page of class cls that has a free
// chunk, or lanes if there is none.
func (t *tx) laneWithRoom(cls int) uint64 {
	for l := range uint64(lanes) {
		if t.st.lane[l].class[cls].partial != 0 {
			return l
		}
	}
	return lanes
}

// newPage moves a page from the free list to class cls's partial list in
// this process's lane.
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
	d.class, d.lane = uint16(cls+1), uint32(t.c.lane)
	t.st.freePages--
	t.ln.class[cls].pages++
	return t.push(&t.ln.class[cls].partial, p)
}

// freeChunk frees the chunk of the entry at off, of class cls (from its
// header, checked against its page's descriptor), whose entry needed
// need bytes.
func (t *tx) freeChunk(off uint64, cls int, need uint64) bool {
	rel := off - t.c.stripeData(t.s)
	p, inPage := rel/uint64(t.c.g.pageSize), rel%uint64(t.c.g.pageSize)
	if p >= uint64(t.c.g.pages) {
		return t.broken("an entry lies outside its stripe")
	}
	d := t.c.desc(t.s, p)
	chunks := uint64(t.c.g.classes.chunks[cls])
	k, start := t.c.g.classes.chunkOf(cls, inPage)
	if int(d.class) != cls+1 || !start || k >= chunks || d.lane >= lanes {
		return t.broken("an entry is not a chunk of its page's class, or its page's lane is out of range")
	}
	bm := t.c.bitmap(d)
	if bm[k/64]&(1<<(k%64)) == 0 || d.used == 0 {
		return t.broken("an entry's chunk is already free")
	}
	bm[k/64] &^= 1 << (k % 64)
	crashPoint(cpFreeing)
	cs := &t.st.lane[d.lane].class[cls]
	wasFull := uint64(d.used) == chunks
	d.used--
	cs.used--
	cs.bytes -= need
	switch {
	case d.used == 0:
		if !wasFull && !t.unlink(&cs.partial, p) {
			return false
		}
		d.class, d.lane = 0, 0
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
