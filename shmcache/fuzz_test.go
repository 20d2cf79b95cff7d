package shmcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"runtime/debug"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// guarded returns size bytes (a multiple of the page size) of zeroed
// memory between two inaccessible pages: a read or write outside it
// faults, and with debug.SetPanicOnFault the fault is a panic that fails
// the test instead of reading some other memory unnoticed.
func guarded(tb testing.TB, size int) []byte {
	tb.Helper()
	page := os.Getpagesize()
	all, err := unix.Mmap(-1, 0, size+2*page, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Munmap(all) })
	mem := all[page : page+size]
	if err := unix.Mprotect(mem, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		tb.Fatal(err)
	}
	return mem
}

// fuzzCache lays a cache over guarded memory and fills it: 300 entries of
// varied sizes, some with an expiry time, and a counter.
func fuzzCache(tb testing.TB) (*Cache, []byte) {
	mem := guarded(tb, 128<<10)
	p, why := choose(Options{Size: len(mem), Stripes: 2, PageSize: 4096, Entries: 400})
	if why != "" {
		tb.Fatal(why)
	}
	c, err := format(mem, p, "fuzz")
	if err != nil {
		tb.Fatal(err)
	}
	c.claimSlot()
	for i := range 300 {
		ttl := time.Duration(0)
		if i%3 == 0 {
			ttl = time.Hour
		}
		if err := c.Set(key(i), value(i, 0, i%200), ttl); err != nil {
			tb.Fatal(err)
		}
	}
	c.Incr([]byte("counter"), 5, 0)
	return c, mem
}

// Regions a patch of the fuzz input is aimed at, by the first byte of a
// patch: 0 the whole memory, then each part of the layout.
func fuzzRegions(c *Cache) [][2]uint64 {
	g := &c.g
	return [][2]uint64{
		{0, g.size},
		{0, superSize},
		{superSize, g.stripeOff},
		{g.stripeOff, g.indexOff},
		{g.indexOff, g.descOff},
		{g.descOff, g.dataOff},
		{g.dataOff, g.size},
	}
}

// patch applies fuzz input to mem: records of a region byte, a 2-byte
// offset into the region, a length byte and that many bytes.
func patch(c *Cache, mem []byte, in []byte) {
	regions := fuzzRegions(c)
	for len(in) >= 4 {
		r := regions[int(in[0])%len(regions)]
		off := r[0] + uint64(binary.LittleEndian.Uint16(in[1:]))%(r[1]-r[0])
		n := min(int(in[3]), len(in)-4)
		copy(mem[off:min(off+uint64(n), uint64(len(mem)))], in[4:4+n])
		in = in[4+n:]
	}
}

// FuzzSegment writes arbitrary bytes over a cache's memory, as a hostile
// process could, and runs every operation over it: none may panic, fault
// (the memory is fenced by inaccessible pages), hang, or return a value
// it could not have stored; errors are typed; after Repair, or a Reset of
// each damaged stripe, the cache is exactly consistent and works again.
func FuzzSegment(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 8, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'})              // the superblock's magic
	f.Add([]byte{2, 0, 0, 8, 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0})                  // a process slot's lock word
	f.Add([]byte{3, 8, 0, 8, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})                  // stripe 0's lock word
	f.Add([]byte{3, 0, 0, 1, 1})                                                   // stripe 0's sequence made odd
	f.Add([]byte{3, 64, 0, 1, 2, 3, 72, 0, 1, 5})                                  // stripe 0's intent armed
	f.Add([]byte{3, 128, 0, 16, 1, 0, 0, 0, 9, 0, 0, 0, 200, 0, 0, 0, 1, 0, 0, 0}) // stripe 0's hands and free list
	f.Add(append([]byte{4, 0, 0, 64}, bytes.Repeat([]byte{0xee}, 64)...))          // a bucket of the index
	f.Add([]byte{5, 0, 0, 16, 3, 0, 200, 0, 0, 0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0})   // a descriptor's class, count and links
	f.Add([]byte{5, 16, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0})                             // a descriptor's bitmap
	f.Add([]byte{6, 24, 0, 4, 0xff, 0xff, 0xff, 0x7f})                             // the first entry's value length
	f.Add([]byte{6, 28, 0, 2, 0xff, 0xff, 6, 30, 0, 1, 200})                       // the first entry's key length and class
	f.Add([]byte{6, 60, 0, 1, 0xff})                                               // a byte of the first entry's value
	f.Fuzz(func(t *testing.T, in []byte) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		c, mem := fuzzCache(t)
		patch(c, mem, in)
		c.SetLockTimeout(10 * time.Millisecond)
		exercise(t, c)
		if o, why := open(mem, "fuzz", false); why == "" { // a second process opening the damaged memory
			exercise(t, o)
		}
		err := c.Repair()
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Repair: %v", err)
		}
		if err := c.Check(); err != nil {
			// Repair could not mend it (a lock word or an intent is
			// still wrong): resetting the damaged stripes must.
			var dmg *DamageError
			if !errors.As(err, &dmg) {
				t.Fatalf("Check: %v", err)
			}
			for _, s := range dmg.Stripes {
				if err := c.Reset(s); err != nil {
					t.Fatalf("Reset(%d): %v", s, err)
				}
			}
			mustCheck(t, c)
		}
		for i := range 100 {
			if err := c.Set(key(i), value(i, 1, 50), 0); err != nil {
				t.Fatalf("Set after repair: %v", err)
			}
			if v, ok := c.Get(key(i)); !ok || !bytes.Equal(v, value(i, 1, 50)) {
				t.Fatalf("Get after repair: %v %q", ok, v)
			}
		}
		mustCheck(t, c)
	})
}

// exercise runs every operation on a cache whose memory may be damaged:
// nothing may panic; a value read must be one that was stored, or be
// well-formed for its key; errors must be typed.
func exercise(t *testing.T, c *Cache) {
	typed := func(op string, err error) {
		if err == nil {
			return
		}
		for _, s := range []error{ErrCorrupt, ErrFull, ErrBusy, ErrNotCounter} {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("%s: untyped error %v", op, err)
	}
	for i := range 300 {
		if v, ok := c.Get(key(i)); ok && len(v) > int(c.g.pageSize) {
			t.Fatalf("Get returned %d bytes", len(v))
		}
	}
	for i := range 50 {
		typed("set", c.Set(key(i), value(i, 2, i*3), time.Duration(i%2)*time.Hour))
		_, err := c.Delete(key(i + 100))
		typed("delete", err)
		_, err = c.Incr([]byte("counter"), 1, 0)
		typed("incr", err)
		_, err = c.Add(key(1000+i), value(i, 3, 10), 0)
		typed("add", err)
	}
	typed("range", c.Range(func(k, v []byte) bool { return true }))
	c.Stats()
	c.Len()
	if err := c.Check(); err != nil && !errors.Is(err, ErrCorrupt) {
		typed("check", err)
	}
}
