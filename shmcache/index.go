package shmcache

import (
	"bytes"
	"sync/atomic"
)

// The index of a stripe is buckets of 8 words: the bucket's version, odd
// while a writer changes the bucket and bumped by each change, then 7
// slots, each one word:
//
//	bits  0-39  reference: the entry's offset in the segment / 16; 0: empty
//	bits 40-61  tag: 22 bits of the key's hash, to skip most other keys
//	bit  62     the entry has an expiry time (the sweep looks only at these)
//	bit  63     the entry was read since the CLOCK hand last passed it
//
// A key has two buckets, chosen by its hash; a new key goes into the one
// with more free slots, so buckets rarely overflow. A slot is written
// whole, with one store: a reader sees the old entry or the new one.
const (
	refBits   = 40
	refMask   = 1<<refBits - 1
	tagShift  = refBits
	tagMask   = (1<<22 - 1) << tagShift
	ttlBit    = 1 << 62
	accessBit = 1 << 63
)

// place is where a key's hash puts it.
type place struct {
	s      uint64 // stripe
	b1, b2 uint64 // its two buckets in the stripe
	tag    uint64 // as in a slot
}

// place returns where a key of hash h goes. Its two buckets differ
// whenever the stripe has two (the second is one of the others): a
// key with one bucket could find it full with no other to go to, long
// before the index is.
func (g *geometry) place(h uint64) place {
	h2 := (h ^ h>>29) * 0xbf58476d1ce4e5b9
	h2 ^= h2 >> 32
	n := uint64(g.buckets)
	b1 := uint64(uint32(h)) * n >> 32
	b2 := b1 + 1 + (h2>>32)*(n-1)>>32 // 1 to n-1 buckets on, round
	if b2 >= n {
		b2 -= n
	}
	return place{
		s:   h >> (64 - g.stripeBits) & (uint64(g.stripes) - 1), // a shift by 64 is 0
		b1:  b1,
		b2:  b2,
		tag: h2 << tagShift & tagMask,
	}
}

// slotWord returns the slot word of an entry at off.
func slotWord(off uint64, tag uint64, expire int64) uint64 {
	w := off/16 | tag
	if expire != 0 {
		w |= ttlBit
	}
	return w
}

// hit is an entry found for a key: its slot, the slot's word, and the
// entry's offset and header as read.
type hit struct {
	slot uint64 // stripe-local slot index
	word uint64
	off  uint64
	h    entryHeader
}

// lookup looks for key, of hash h, in its buckets, under the stripe's
// lock. damaged is true when a slot with the key's tag held what cannot be
// an entry: without a writer in the stripe, that is damage.
func (c *Cache) lookup(p *place, h uint64, key []byte, f *hit) (found, damaged bool) {
	found, damaged = c.search(p, p.b1, h, key, f)
	if !found && p.b2 != p.b1 {
		var d bool
		found, d = c.search(p, p.b2, h, key, f)
		damaged = damaged || d
	}
	return found, damaged
}

// search looks for key, of hash h, in bucket b of its stripe.
func (c *Cache) search(p *place, b, h uint64, key []byte, f *hit) (found, damaged bool) {
	for j := uint64(firstSlot); j < bucketWords; j++ {
		idx := b*bucketWords + j
		w := atomic.LoadUint64(c.slot(p.s, idx))
		if w&tagMask != p.tag || w&refMask == 0 {
			continue
		}
		off, ok := c.entryAt(p.s, w&refMask, &f.h)
		if !ok {
			damaged = true
			continue
		}
		if f.h.hash != h || int(f.h.klen) != len(key) || !bytes.Equal(c.keyAt(off, &f.h), key) {
			continue
		}
		f.slot, f.word, f.off = idx, w, off
		return true, damaged
	}
	return false, damaged
}
