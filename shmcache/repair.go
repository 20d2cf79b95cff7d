package shmcache

import (
	"bytes"
	"fmt"
	"sync/atomic"
)

// Repair of a stripe, under its lock, when its previous holder died
// (ErrOwnerDead) or an operation found it damaged:
//
//  1. The sequence and the version of every bucket go odd: readers wait
//     (and then queue on the lock) until the repair ends.
//  2. An armed intent is rolled forward: a slot change is completed if
//     its new entry is intact (else the old entry, if intact, is put
//     back); a counter update is rewritten from the values recorded.
//  3. Every slot is checked: its reference lies in the stripe, on a chunk
//     boundary, at an entry whose magic, class, lengths and checksum hold,
//     whose key hashes to this slot's bucket and tag, whose chunk no other
//     slot claims, and whose key no other slot holds. Slots that fail are
//     cleared (counted as corruptions).
//  4. The allocator is rebuilt from the slots that pass: every page's
//     class, use count and bitmap, the free and partial lists, the per-
//     lane, per-class and per-stripe counts; a page keeps its lane (lane 0
//     if its descriptor names none). Chunks a dead writer had taken but not
//     published are free again.
//  5. The result is checked once more; if it does not hold (another
//     process is writing over the stripe), the stripe is reset: emptied.
//
// Every step is bounded by the stripe's slots and pages, from the private
// geometry. A repair killed half-way is simply done again by the next
// process: it only rebuilds what the slots say.

// repair rebuilds the stripe; t holds its lock.
func (t *tx) repair() {
	t.freeze()
	t.rollForward()
	crashPoint(cpRepairRolled)
	sc := t.scan()
	for i, slot := range sc.bad {
		atomic.CompareAndSwapUint64(t.c.slot(t.s, slot), sc.badWord[i], 0)
	}
	t.install(sc)
	crashPoint(cpRepairInstalled)
	t.st.corruptions += uint64(len(sc.bad))
	t.st.repairs++
	if len(t.compare(t.scan())) > 0 {
		t.reset()
	}
	t.damage = ""
}

// rollForward completes the write the intent record describes, if any.
// It is cleared only once done, so that a repair killed on the way
// repeats it.
func (t *tx) rollForward() {
	in, ctr := t.st.intent, t.st.counter // one copy
	defer t.disarm()
	op, slot := in.armed()
	if !isSlot(slot, t.c.g.slots) {
		return
	}
	switch op {
	case intentSlot:
		switch {
		case in.new == 0 || t.slotProblem(slot, in.new, nil) == "":
			t.setSlot(slot, in.new)
		case in.old != 0 && t.slotProblem(slot, in.old, nil) == "":
			t.setSlot(slot, in.old)
		default:
			t.setSlot(slot, 0)
		}
	case intentMove:
		if isSlot(in.new, t.c.g.slots) && t.slotProblem(in.new, in.old, nil) == "" {
			t.setSlot(in.new, in.old)
			t.setSlot(slot, 0)
		}
	case intentIncr:
		w := atomic.LoadUint64(t.c.slot(t.s, slot))
		var h entryHeader
		off, ok := t.c.entryAt(t.s, in.new&refMask, &h)
		if ok && w&refMask == in.new&refMask && t.c.aligned(t.s, off, &h) && h.vlen == 8 {
			t.c.setCounter(off, &h, &ctr)
		}
	}
}

// isSlot reports whether i is a slot of an index of n words, not a
// bucket's version.
func isSlot(i, n uint64) bool { return i < n && i%bucketWords != 0 }

// pageLane returns the lane a page's descriptor names, or 0 if it names
// none.
func pageLane(d *pageDesc) uint64 {
	if d.lane >= lanes {
		return 0
	}
	return uint64(d.lane)
}

// slotProblem says what is wrong with slot i of the stripe holding w, or
// "" if nothing; h, if not nil, receives the entry's header.
func (t *tx) slotProblem(i, w uint64, h *entryHeader) string {
	if w&refMask == 0 {
		return "marks without a reference"
	}
	var eh entryHeader
	off, ok := t.c.entryAt(t.s, w&refMask, &eh)
	switch {
	case !ok:
		return "refers to something that is not an entry"
	case !t.c.aligned(t.s, off, &eh):
		return "refers to the middle of a chunk"
	case !t.c.intact(off, &eh) || t.c.prefixSum(off, &eh) != eh.psum:
		return "the entry's checksum does not match"
	}
	p := t.c.g.place(eh.hash)
	switch {
	case p.s != t.s || (i/bucketWords != p.b1 && i/bucketWords != p.b2) || w&tagMask != p.tag:
		return "is not in its key's buckets"
	case (w&ttlBit != 0) != (eh.expire != 0):
		return "its expiry mark disagrees with the entry"
	}
	if h != nil {
		*h = eh
	}
	return ""
}

// scanResult is what a stripe's slots say its allocator holds.
type scanResult struct {
	class    []uint16 // per page: class + 1, or 0 for a free page
	used     []uint16
	lane     []uint8  // per page, as its descriptor says (pageLane)
	bits     []uint64 // per page, bitmapWords words
	bad      []uint64 // slots to clear...
	badWord  []uint64 // ...and what they held
	why      []string
	entries  uint64
	bytes    uint64
	expiring uint64
	cls      [lanes][maxClasses]struct {
		pages, used uint32
		bytes       uint64
	}
}

// scan checks every slot of the stripe and works out the allocator state
// the intact ones imply.
func (t *tx) scan() *scanResult {
	g := &t.c.g
	pages := uint64(g.pages)
	sc := newScan(g)
	for p := range pages {
		sc.lane[p] = uint8(pageLane(t.c.desc(t.s, p)))
	}
	accepted := make([]bool, g.slots)
	var h entryHeader
	for i := range g.slots {
		w := atomic.LoadUint64(t.c.slot(t.s, i))
		if w == 0 || i%bucketWords == 0 {
			continue
		}
		why := t.slotProblem(i, w, &h)
		var pg, k uint64
		if why == "" {
			rel := w&refMask*16 - t.c.stripeData(t.s)
			pg = rel / uint64(g.pageSize)
			k, _ = g.classes.chunkOf(int(h.class), rel%uint64(g.pageSize))
			switch {
			case sc.class[pg] != 0 && sc.class[pg] != uint16(h.class)+1:
				why = "its page holds entries of two classes"
			case sc.bits[pg*g.bitmapWords+k/64]&(1<<(k%64)) != 0:
				why = "its chunk is claimed by another slot"
			case t.duplicate(i, w&refMask*16, &h, accepted):
				why = "its key is held by another slot"
			}
		}
		if why != "" {
			sc.bad, sc.badWord = append(sc.bad, i), append(sc.badWord, w)
			sc.why = append(sc.why, fmt.Sprintf("slot %d %s", i, why))
			continue
		}
		accepted[i] = true
		sc.class[pg] = uint16(h.class) + 1
		sc.bits[pg*g.bitmapWords+k/64] |= 1 << (k % 64)
		sc.used[pg]++
		sc.entries++
		sc.bytes += uint64(h.klen) + uint64(h.vlen)
		if h.expire != 0 {
			sc.expiring++
		}
		sc.cls[sc.lane[pg]][h.class].used++
		sc.cls[sc.lane[pg]][h.class].bytes += h.need()
	}
	for p, cls := range sc.class {
		if cls != 0 {
			sc.cls[sc.lane[p]][cls-1].pages++
		} else {
			sc.lane[p] = 0
		}
	}
	return sc
}

// newScan returns an empty scan result: every page free.
func newScan(g *geometry) *scanResult {
	pages := uint64(g.pages)
	return &scanResult{
		class: make([]uint16, pages),
		used:  make([]uint16, pages),
		lane:  make([]uint8, pages),
		bits:  make([]uint64, pages*g.bitmapWords),
	}
}

// duplicate reports whether an accepted slot of the key's buckets already
// holds the key of the entry at off, of header h, found in slot i.
func (t *tx) duplicate(i, off uint64, h *entryHeader, accepted []bool) bool {
	p := t.c.g.place(h.hash)
	key := t.c.keyAt(off, h)
	for _, b := range [2]uint64{p.b1, p.b2} {
		for j := uint64(firstSlot); j < bucketWords; j++ {
			idx := b*bucketWords + j
			if idx == i || !accepted[idx] {
				continue
			}
			w := atomic.LoadUint64(t.c.slot(t.s, idx))
			var oh entryHeader
			o, ok := t.c.entryAt(t.s, w&refMask, &oh)
			if ok && oh.hash == h.hash && oh.klen == h.klen && bytes.Equal(t.c.keyAt(o, &oh), key) {
				return true
			}
		}
	}
	return false
}

// install writes the allocator state sc into the stripe.
func (t *tx) install(sc *scanResult) {
	g := &t.c.g
	st := t.st
	st.freeHead, st.freePages = 0, 0
	for l := range st.lane {
		for cls := range st.lane[l].class {
			cs := &st.lane[l].class[cls]
			cs.partial, cs.pages, cs.used, cs.bytes = 0, 0, 0, 0
			if cls < g.classes.n {
				cs.pages, cs.used, cs.bytes = sc.cls[l][cls].pages, sc.cls[l][cls].used, sc.cls[l][cls].bytes
			}
			if cs.handPage >= g.pages || (cls < g.classes.n && cs.handChunk >= g.classes.chunks[cls]) {
				cs.handPage, cs.handChunk = 0, 0
			}
		}
	}
	for p := uint64(g.pages); p > 0; {
		p--
		d := t.c.desc(t.s, p)
		copy(t.c.bitmap(d), sc.bits[p*g.bitmapWords:(p+1)*g.bitmapWords])
		d.class, d.used, d.lane = sc.class[p], sc.used[p], uint32(sc.lane[p])
		switch cls := int(d.class) - 1; {
		case d.used == 0:
			d.class, d.lane = 0, 0
			st.freePages++
			t.push(&st.freeHead, p)
		case uint32(d.used) < g.classes.chunks[cls]:
			t.push(&st.lane[d.lane].class[cls].partial, p)
		default:
			d.prev, d.next = 0, 0
		}
	}
	st.entries, st.bytes, st.expiring = sc.entries, sc.bytes, sc.expiring
	st.sweep %= g.buckets
	st.pageHand %= g.pages
}

// reset empties the stripe: no entries, every page free. t holds the lock
// and has frozen the stripe (or the stripe is new). The buckets keep
// their versions, which only ever grow.
func (t *tx) reset() {
	g := &t.c.g
	for i := range g.slots {
		if i%bucketWords != 0 {
			*t.c.slot(t.s, i) = 0
		}
	}
	t.install(newScan(g))
	for l := range t.st.lane {
		for cls := range t.st.lane[l].class {
			t.st.lane[l].class[cls].handPage, t.st.lane[l].class[cls].handChunk = 0, 0
		}
	}
	t.st.sweep, t.st.pageHand = 0, 0
	t.st.intent = intentRecord{}
	t.st.resets++
}

// compare lists how the stripe differs from what sc says it must hold:
// damaged slots, page descriptors, the free and partial lists, the counts.
func (t *tx) compare(sc *scanResult) []string {
	g := &t.c.g
	st := t.st
	probs := append([]string(nil), sc.why...)
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if st.intent.op != intentNone {
		add("an intent record is armed outside a write")
	}
	if !t.frozen {
		for b := range uint64(g.buckets) {
			if atomic.LoadUint64(t.c.version(t.s, b))&1 != 0 {
				add("bucket %d's version is odd outside a write", b)
				break
			}
		}
	}
	free := uint32(0)
	for p := range uint64(g.pages) {
		d := t.c.desc(t.s, p)
		if sc.used[p] == 0 {
			free++
		}
		if d.class != sc.class[p] || d.used != sc.used[p] || uint64(d.lane) != uint64(sc.lane[p]) || !equalWords(t.c.bitmap(d), sc.bits[p*g.bitmapWords:(p+1)*g.bitmapWords]) {
			add("page %d: descriptor says class %d, lane %d, %d used; the slots say class %d, lane %d, %d used", p, d.class, d.lane, d.used, sc.class[p], sc.lane[p], sc.used[p])
		}
	}
	if st.freePages != free {
		add("%d free pages counted, %d free", st.freePages, free)
	}
	t.walk("free list", st.freeHead, func(p uint64) bool { return sc.used[p] == 0 }, &probs)
	for l := range uint64(lanes) {
		for cls := range g.classes.n {
			cs := &st.lane[l].class[cls]
			want := &sc.cls[l][cls]
			if cs.pages != want.pages || cs.used != want.used || cs.bytes != want.bytes {
				add("lane %d, class %d: %d pages, %d chunks, %d bytes counted; the slots say %d, %d, %d", l, cls, cs.pages, cs.used, cs.bytes, want.pages, want.used, want.bytes)
			}
			t.walk(fmt.Sprintf("lane %d, class %d's partial list", l, cls), cs.partial, func(p uint64) bool {
				return int(sc.class[p]) == cls+1 && uint64(sc.lane[p]) == l && uint32(sc.used[p]) < g.classes.chunks[cls]
			}, &probs)
		}
	}
	if st.entries != sc.entries || st.bytes != sc.bytes || st.expiring != sc.expiring {
		add("%d entries of %d bytes, %d expiring, counted; the slots hold %d of %d, %d expiring",
			st.entries, st.bytes, st.expiring, sc.entries, sc.bytes, sc.expiring)
	}
	return probs
}

// walk follows the list from head and checks that it holds exactly the
// pages for which member is true, with consistent back links.
func (t *tx) walk(name string, head uint32, member func(p uint64) bool, probs *[]string) {
	g := &t.c.g
	seen := make([]bool, g.pages)
	prev, n := uint32(0), 0
	for link := head; link != 0; n++ {
		if uint64(link) > uint64(g.pages) || n >= int(g.pages) {
			*probs = append(*probs, name+": a link is out of range or the list loops")
			return
		}
		p := uint64(link - 1)
		d := t.c.desc(t.s, p)
		if seen[p] || !member(p) || d.prev != prev {
			*probs = append(*probs, fmt.Sprintf("%s: page %d does not belong there or its links disagree", name, p))
			return
		}
		seen[p] = true
		prev, link = link, d.next
	}
	for p := range uint64(g.pages) {
		if member(p) && !seen[p] {
			*probs = append(*probs, fmt.Sprintf("%s: page %d is missing", name, p))
			return
		}
	}
}

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
