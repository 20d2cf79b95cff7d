package shmcache

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/fpmshm/fpmshm/shm"
)

// TestLayoutPinned pins the sizes of the records other processes read and
// the offsets of their 8-byte words, none of which depends on the
// platform's word size.
func TestLayoutPinned(t *testing.T) {
	var st stripeHeader
	var in intentRecord
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"superblock", unsafe.Sizeof(superblock{}), superSize},
		{"process slot", unsafe.Sizeof(procSlot{}), procSlotSize},
		{"page descriptor", unsafe.Sizeof(pageDesc{}), descFixed},
		{"entry header", unsafe.Sizeof(entryHeader{}), 32},
		{"intent record", unsafe.Sizeof(in), 24},
		{"counter record", unsafe.Sizeof(counterRecord{}), 24},
		{"class state", unsafe.Sizeof(classState{}), 40},
		{"lane", unsafe.Sizeof(laneState{}), 61 * 64},
		{"stripe header", unsafe.Sizeof(st), 192 + lanes*61*64},
		{"stripe lock", unsafe.Offsetof(st.lock), 0},
		{"stripe intent", unsafe.Offsetof(st.intent), 16},
		{"stripe bytes", unsafe.Offsetof(st.bytes), 56},
		{"stripe counter record", unsafe.Offsetof(st.counter), 64},
		{"stripe repairs", unsafe.Offsetof(st.repairs), 128},
		{"stripe lanes", unsafe.Offsetof(st.lane), 192},
		{"lane classes", unsafe.Offsetof(laneState{}.class), 64},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	if stripeSize%64 != 0 || stripeSize < uint64(unsafe.Sizeof(st)) {
		t.Errorf("stripe size %d", stripeSize)
	}
}

func TestClassTable(t *testing.T) {
	for page := uint32(minPageSize); page <= maxPageSize; page *= 2 {
		ct := newClassTable(page)
		if ct.n > maxClasses || ct.size[0] != minChunk || ct.size[ct.n-1] != page {
			t.Fatalf("page %d: %d classes from %d to %d", page, ct.n, ct.size[0], ct.size[ct.n-1])
		}
		for c := 1; c < ct.n; c++ {
			prev, s := ct.size[c-1], ct.size[c]
			if s%16 != 0 || s <= prev || (s > 256 && c < ct.n-1 && s-prev > prev/8) {
				t.Fatalf("page %d: class %d of %d bytes after %d", page, c, s, prev)
			}
		}
		for c := range ct.n {
			if raceEnabled && page > 64<<10 {
				break // every byte of every page size takes long under -race
			}
			for in := uint64(0); in < uint64(page); in++ {
				if k, start := ct.chunkOf(c, in); k != in/uint64(ct.size[c]) || start != (in%uint64(ct.size[c]) == 0) {
					t.Fatalf("page %d, class %d: byte %d is in chunk %d (%v)", page, c, in, k, start)
				}
			}
		}
		for need := uint64(1); need <= uint64(page); need++ {
			c, ok := ct.classFor(need)
			if !ok || uint64(ct.size[c]) < need || c > 0 && uint64(ct.size[c-1]) >= need {
				t.Fatalf("page %d: entry of %d bytes goes to class %d (%d bytes)", page, need, c, ct.size[c])
			}
		}
		if _, ok := ct.classFor(uint64(page) + 1); ok {
			t.Fatalf("page %d: an entry larger than a page has a class", page)
		}
	}
}

// TestChoose: every size from MinSize up gets a layout that fits it, with
// at least two pages per stripe; sizes too small for what was asked fail.
func TestChoose(t *testing.T) {
	for size := MinSize; size < 1<<30; size = size*9/8 + 4097 {
		for _, o := range []Options{{}, {Stripes: 256}, {PageSize: 1 << 20}, {Entries: 1 << 20}, {Stripes: 1, PageSize: 4096}} {
			o.Size = size
			p, why := choose(o)
			if why != "" {
				if o == (Options{Size: size}) {
					t.Fatalf("size %d with defaults: %s", size, why)
				}
				continue
			}
			g, why := layout(p)
			if why != "" || g.size > uint64(size) || p.pages < 2 {
				t.Fatalf("options %+v: layout %+v (%s)", o, g, why)
			}
		}
	}
	if _, why := choose(Options{Size: MinSize - 1}); why == "" {
		t.Fatal("a cache below MinSize was laid out")
	}
	if _, err := New(Options{Size: MinSize, Stripes: 256, PageSize: 1 << 20}); !errors.Is(err, ErrLayout) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("New of an impossible layout = %v", err)
	}
}

// TestSuperblock: Open takes a valid superblock and refuses every kind of
// bad one, saying why.
func TestSuperblock(t *testing.T) {
	c := newTest(t, Options{Size: 1 << 20})
	mem := c.seg.Bytes()
	sb := (*superblock)(c.base)
	good := *sb
	if o, why := open(mem, "x", false); why != "" || o.g.params != c.g.params || o.g.size != c.g.size {
		t.Fatalf("open of a valid cache: %s", why)
	}
	for name, spoil := range map[string]func(*superblock){
		"magic":    func(s *superblock) { s.magic[0] = 'x' },
		"version":  func(s *superblock) { s.version++; s.check = superCheck(s) },
		"checksum": func(s *superblock) { s.seed++ },
		"stripes":  func(s *superblock) { s.stripes = 3; s.check = superCheck(s) },
		"page":     func(s *superblock) { s.pageSize = 1000; s.check = superCheck(s) },
		"pages":    func(s *superblock) { s.pages *= 4; s.check = superCheck(s) },
		"buckets":  func(s *superblock) { s.buckets = 0; s.check = superCheck(s) },
		"policy":   func(s *superblock) { s.policy = 9; s.check = superCheck(s) },
	} {
		spoil(sb)
		if _, why := open(mem, "x", false); why == "" {
			t.Errorf("a superblock with a bad %s was accepted", name)
		}
		*sb = good
	}
	seg, err := shm.AllocWith(4096, shm.AllocOptions{Name: "not-a-cache"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(seg); !errors.Is(err, ErrLayout) {
		t.Fatalf("Open of a segment of another tag = %v", err)
	}
	seg.Free()
	// A cache of the layout before this one, or after it: refused by its
	// tag, whatever its superblock says.
	for _, tag := range []uint64{Tag - 1, Tag + 1} {
		seg, err := shm.AllocWith(1<<20, shm.AllocOptions{Name: "other-layout", Tag: tag})
		if err != nil {
			t.Fatal(err)
		}
		copy(seg.Bytes(), mem[:superSize])
		if c, err := Open(seg); !errors.Is(err, ErrLayout) || !strings.Contains(err.Error(), fmt.Sprintf("%#x", tag)) {
			t.Errorf("Open of a cache of tag %#x = %v; want ErrLayout naming the tag", tag, err)
			if c != nil {
				c.Close()
			}
		}
		seg.Free()
	}
}
