package shmcache

// Size classes: an entry (its 40-byte header, key and value) goes into a
// chunk of the smallest class that holds it. Classes start at 64 bytes and
// grow by 16 bytes up to 256, then by about an eighth (a multiple of 16),
// so no entry wastes more than about 12% of its chunk; the last class is
// a whole page. Every chunk size is a multiple of 16, the unit of a slot's
// reference. The table follows from the page size alone and is worked out
// privately by every process.
type classTable struct {
	n      int
	size   [maxClasses]uint32 // chunk bytes
	chunks [maxClasses]uint32 // chunks per page
	recip  [maxClasses]uint64 // 2^40/size, rounded up: see chunkOf
	of     []uint8            // the class of an entry of n bytes is of[(n-1)/16]
}

// newClassTable returns the classes of pages of pageSize bytes.
func newClassTable(pageSize uint32) classTable {
	var t classTable
	add := func(s uint32) {
		t.size[t.n] = s
		t.chunks[t.n] = pageSize / s
		t.recip[t.n] = 1<<40/uint64(s) + 1
		t.n++
	}
	for s := uint32(minChunk); s <= pageSize/2; s += max(16, s/8&^15) {
		add(s)
	}
	add(pageSize)
	t.of = make([]uint8, pageSize/16)
	c := 0
	for i := range t.of {
		for uint32(i+1)*16 > t.size[c] {
			c++
		}
		t.of[i] = uint8(c)
	}
	return t
}

// chunkOf returns the chunk of class c that byte inPage of a page falls
// in, and whether the byte starts it, with a multiplication instead of a
// division: (inPage·recip) >> 40 is exactly inPage/size for every inPage
// and size below 2^20 (the rounding error stays below 1/size).
func (t *classTable) chunkOf(c int, inPage uint64) (k uint64, start bool) {
	k = inPage * t.recip[c] >> 40
	return k, k*uint64(t.size[c]) == inPage
}

// classFor returns the class of an entry of need bytes, false when need is
// more than a page.
func (t *classTable) classFor(need uint64) (int, bool) {
	i := (need - 1) / 16
	if need == 0 || i >= uint64(len(t.of)) {
		return 0, false
	}
	return int(t.of[i]), true
}
