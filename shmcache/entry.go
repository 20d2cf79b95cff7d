package shmcache

import (
	"encoding/binary"
	"unsafe"
)

// An entry is a chunk holding a 32-byte header, the key, the value and
// the entry's CAS generation (8 bytes, little-endian):
//
//	0   vsum    checksum of the value and the generation, seeded with hash
//	4   psum    checksum of bytes 8 to 32 and the key
//	8   hash    the key's hash
//	16  expire  unix nanoseconds after which the entry is gone; 0: never
//	24  vlen    value length
//	28  klen    key length
//	30  class   size class of the chunk
//	31  magic
//
// The two checksums are independent, so that a write computes them at
// once; vsum's seed binds the value to its key. The generation comes last
// so that a counter's update (value and generation) is checked and
// re-summed over its last 16 bytes alone.
type entryHeader struct {
	vsum   uint32
	psum   uint32
	hash   uint64
	expire int64
	vlen   uint32
	klen   uint16
	class  uint8
	magic  uint8
}

const (
	headerLen     = int(unsafe.Sizeof(entryHeader{}))
	entryOverhead = headerLen + 8 // the header and the CAS generation
	entryMagic    = 0xC5
	sumFrom       = 8 // psum covers the header from this byte
)

// entryNeed returns the bytes an entry with a key and value of these
// lengths takes of its chunk.
func entryNeed(klen, vlen int) uint64 { return uint64(entryOverhead) + uint64(klen) + uint64(vlen) }

// need returns the bytes the entry takes of its chunk.
func (h *entryHeader) need() uint64 { return entryNeed(int(h.klen), int(h.vlen)) }

// entryAt checks that a slot's reference ref may point at an entry of
// stripe s and returns the entry's offset, copying its header into h
// (read once). It checks only what makes reading the entry safe and
// meaningful: the header lies in the stripe's pages, its magic, class and
// lengths fit one chunk of one page. ok is false otherwise.
func (c *Cache) entryAt(s, ref uint64, h *entryHeader) (off uint64, ok bool) {
	off = ref * 16
	rel := off - c.stripeData(s) // wraps to a huge value below the stripe
	inPage := rel & uint64(c.g.pageSize-1)
	if rel >= c.g.stripeBytes || inPage > uint64(c.g.pageSize)-uint64(headerLen) {
		return 0, false
	}
	*h = *c.entry(off)
	if h.magic != entryMagic || int(h.class) >= c.g.classes.n ||
		inPage+uint64(c.g.classes.size[h.class]) > uint64(c.g.pageSize) || h.need() > uint64(c.g.classes.size[h.class]) {
		return 0, false
	}
	return off, true
}

// aligned reports whether the entry at off, of class h.class, starts on a
// chunk boundary of its page: what a writer checks before freeing it.
func (c *Cache) aligned(s, off uint64, h *entryHeader) bool {
	_, start := c.g.classes.chunkOf(int(h.class), (off-c.stripeData(s))&uint64(c.g.pageSize-1))
	return start
}

// intact reports whether the value and CAS generation of the entry at
// off (header copy h) match vsum: what every read checks. The header's
// fields and the key are checked by reading them (bounds, magic, class,
// hash, an exact comparison with the key asked for); Check and repairs
// verify psum as well.
func (c *Cache) intact(off uint64, h *entryHeader) bool {
	return tailSum(h.hash, c.tailAt(off, h)) == h.vsum
}

// tailSum returns the vsum of an entry of key hash h whose value and CAS
// generation are tail.
func tailSum(h uint64, tail []byte) uint32 { return checksum(h, tail) }

// prefixSum returns what the entry's psum must be: the checksum of its
// header's fields and key.
func (c *Cache) prefixSum(off uint64, h *entryHeader) uint32 {
	return checksum(0, c.bytesAt(off+sumFrom, uint64(headerLen-sumFrom)+uint64(h.klen)))
}

// keyAt, valueAt and tailAt return the key, the value and the value with
// the CAS generation after it, of the entry at off.
func (c *Cache) keyAt(off uint64, h *entryHeader) []byte {
	return c.bytesAt(off+uint64(headerLen), uint64(h.klen))
}

func (c *Cache) valueAt(off uint64, h *entryHeader) []byte {
	return c.bytesAt(off+uint64(headerLen)+uint64(h.klen), uint64(h.vlen))
}

func (c *Cache) tailAt(off uint64, h *entryHeader) []byte {
	return c.bytesAt(off+uint64(headerLen)+uint64(h.klen), uint64(h.vlen)+8)
}

// casOf returns the entry's CAS generation.
func (c *Cache) casOf(off uint64, h *entryHeader) uint64 {
	return binary.LittleEndian.Uint64(c.tailAt(off, h)[h.vlen:])
}
