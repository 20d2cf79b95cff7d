package shmcache

import (
	"encoding/binary"
	"fmt"
	"time"
	"unsafe"
)

// Incr adds delta to the counter under key and returns its new value. A
// counter is an 8-byte value, a little-endian two's-complement integer
// (binary.LittleEndian.PutUint64 of it, as Set may store it too); sums
// wrap around as Go's int64 arithmetic does. A key without an entry (or
// with an expired one) gets a counter of delta, which expires after ttl
// if ttl is above 0; an existing counter keeps its expiry time.
//
// The update is done in place, under the stripe's lock, and is atomic for
// every process. A value that is not 8 bytes long fails with
// ErrNotCounter; other errors are Set's.
func (c *Cache) Incr(key []byte, delta int64, ttl time.Duration) (int64, error) {
	p, h, err := c.prepare("incr", key, 8, ttl)
	if err != nil {
		return 0, err
	}
	var t tx
	if err := c.begin(&t, "incr", p.s); err != nil {
		return 0, err
	}
	defer t.end()
	var f hit
	found := t.find(&p, h, key, &f)
	switch {
	case t.damage != "":
		return 0, t.damaged("incr")
	case !found:
		var v [8]byte
		binary.LittleEndian.PutUint64(v[:], uint64(delta))
		cls, _ := c.g.classes.classFor(entryNeed(len(key), 8))
		if err := t.store("incr", &p, h, key, v[:], ttl, cls, &f, false); err != nil {
			return 0, err
		}
		t.ln.counters.incrs++
		t.sweep()
		return delta, nil
	case f.h.vlen != 8:
		return 0, c.fail("incr", int(p.s), ErrNotCounter, fmt.Sprintf("the value is %d bytes long", f.h.vlen))
	case !c.intact(f.off, &f.h):
		t.broken("an entry's checksum does not match")
		return 0, t.damaged("incr")
	}
	n := int64(binary.LittleEndian.Uint64(c.valueAt(f.off, &f.h))) + delta
	t.st.casGen++
	in := &t.st.counter
	binary.LittleEndian.PutUint64(wordBytes(&in.value), uint64(n))
	binary.LittleEndian.PutUint64(wordBytes(&in.cas), t.st.casGen)
	in.vsum = tailSum(f.h.hash, counterTail(in))
	t.makeOdd()
	t.changing(f.slot / bucketWords)
	t.arm(intentIncr, f.slot, f.word, f.word)
	crashPoint(cpCounterArmed)
	c.setCounter(f.off, &f.h, in)
	t.changed(f.slot / bucketWords)
	crashPoint(cpCounterWritten)
	t.disarm()
	t.ln.counters.incrs++
	t.sweep()
	return n, nil
}

// Decr subtracts delta from the counter under key: Incr of -delta.
func (c *Cache) Decr(key []byte, delta int64, ttl time.Duration) (int64, error) {
	return c.Incr(key, -delta, ttl)
}

// counterTail returns the new value and CAS generation an intent holds,
// as they follow the key in a counter entry (little-endian bytes): the
// last 16 bytes, all that vsum covers.
func counterTail(in *counterRecord) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&in.value)), 16)
}

// setCounter writes the intent's value, CAS generation and checksum into
// the counter at off, whose checked header is h.
func (c *Cache) setCounter(off uint64, h *entryHeader, in *counterRecord) {
	copy(c.tailAt(off, h), counterTail(in))
	crashPoint(cpCounterTorn)
	c.entry(off).vsum = in.vsum
}

// wordBytes returns the 8 bytes of *p.
func wordBytes(p *uint64) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(p)), 8) }
