package shmcache

import (
	"fmt"
	"os/exec"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/shmsync"
)

// Cache is a cache in a shared segment, as mapped in this process: made by
// New, or taken up by Open (Inherited, Attach) in another process. Its
// methods are safe for concurrent use by the goroutines of a process, and
// every process that maps the segment sees the same entries.
type Cache struct {
	name     string
	seg      *shm.Segment // nil for a cache laid over plain memory (tests)
	base     unsafe.Pointer
	g        geometry
	readOnly bool
	counts   *procSlot // this process's read counters; nil when read-only
	claimed  bool      // counts is this process's own slot, locked by it
	lane     uint64    // the allocation lane of its writes: its slot % lanes
	timeout  atomic.Int64
}

// New makes a cache: it allocates a segment of o.Size bytes named
// SegmentName(o.Name), sealed against resizing, and lays the cache out in
// it. Hand it to workers with ShareWith; they take it up with Inherited.
//
// Options that cannot be laid out fail with ErrLayout, saying why; a
// failed allocation with the shm error (matching its errno, such as
// ENOMEM). Errors are *Error with Op "new".
func New(o Options) (*Cache, error) {
	fail := func(err error, detail string) (*Cache, error) {
		return nil, &Error{Op: "new", Cache: SegmentName(o.Name), Stripe: -1, Detail: detail, Err: err}
	}
	p, why := choose(o)
	if why != "" {
		return fail(ErrLayout, why)
	}
	seg, err := shm.AllocWith(o.Size, shm.AllocOptions{Name: SegmentName(o.Name), Tag: Tag, NoDump: o.NoDump})
	if err != nil {
		return fail(err, "")
	}
	c, err := format(seg.Bytes(), p, seg.Name())
	if err != nil {
		seg.Free()
		return nil, err
	}
	c.seg = seg
	c.claimSlot()
	return c, nil
}

// Open takes up the cache in seg, a segment made by New in this or another
// process and handed over (shm.Inherited) or attached (shm.Attach). It
// validates the cache's description once and keeps its own copy: nothing
// the segment says about its layout is read again. A segment mapped
// read-only gives a read-only cache: reads work (without counting hits or
// marking entries as read), writes fail with ErrReadOnly.
//
// The cache owns seg from then on: Close frees it. A segment that holds no
// cache of this layout fails with ErrLayout, saying which check failed;
// errors are *Error with Op "open".
func Open(seg *shm.Segment) (*Cache, error) {
	fail := func(detail string) (*Cache, error) {
		return nil, &Error{Op: "open", Cache: seg.Name(), Stripe: -1, Detail: detail, Err: ErrLayout}
	}
	if seg.Tag() != Tag {
		return fail(fmt.Sprintf("segment tag %#x, want %#x", seg.Tag(), Tag))
	}
	mem := seg.Bytes()
	c, why := open(mem, seg.Name(), seg.Info().Prot&shm.ProtWrite == 0)
	if why != "" {
		return fail(why)
	}
	c.seg = seg
	c.claimSlot()
	return c, nil
}

// Inherited takes up the cache called name that the parent process handed
// to this one with ShareWith: shm.Inherited(SegmentName(name)), then Open.
func Inherited(name string) (*Cache, error) {
	seg, err := shm.Inherited(SegmentName(name))
	if err != nil {
		return nil, &Error{Op: "inherit", Cache: SegmentName(name), Stripe: -1, Err: err}
	}
	c, err := Open(seg)
	if err != nil {
		seg.Free()
	}
	return c, err
}

// Attach maps, read-only, the cache called name that process pid has open,
// for tools that inspect a running program: shm.Attach, then Open.
func Attach(pid int, name string) (*Cache, error) {
	seg, err := shm.Attach(pid, SegmentName(name), false)
	if err != nil {
		return nil, &Error{Op: "attach", Cache: SegmentName(name), Stripe: -1, Err: err}
	}
	c, err := Open(seg)
	if err != nil {
		seg.Free()
	}
	return c, err
}

// ShareWith hands the cache's segment to the child cmd will start, which
// takes the cache up with Inherited: shm's Segment.ShareWith.
func (c *Cache) ShareWith(cmd *exec.Cmd) error {
	if c.seg == nil {
		return c.fail("share", -1, ErrClosed, "")
	}
	return c.seg.ShareWith(cmd)
}

// Segment returns the segment the cache lives in.
func (c *Cache) Segment() *shm.Segment { return c.seg }

// Stripes returns the number of stripes, the range of Reset's argument.
func (c *Cache) Stripes() int { return int(c.g.stripes) }

// Policy returns the policy the cache was made with.
func (c *Cache) Policy() Policy { return c.g.policy }

// SetLockTimeout sets how long this process's operations wait for a stripe
// that another live process holds before failing with ErrBusy (reads
// report a miss instead). A process that dies holding a stripe is noticed
// within shmsync.PollInterval whatever the timeout.
func (c *Cache) SetLockTimeout(d time.Duration) { c.timeout.Store(int64(d)) }

// Close releases this process's hold on the cache and frees its segment
// (unmapping it; other processes keep theirs). The cache must not be used
// afterwards, nor concurrently with Close.
func (c *Cache) Close() error {
	if c.base == nil {
		return c.fail("close", -1, ErrClosed, "")
	}
	if c.claimed {
		c.counts.owner.Unlock()
	}
	c.base, c.counts = nil, nil
	if c.seg == nil {
		return nil
	}
	return c.seg.Free()
}

// ReleaseOwner frees the stripe locks that process pid died holding, so
// that the next operation on each repairs it at once instead of after
// shmsync.PollInterval: a master calls it after reaping a worker. It
// returns how many locks it released.
func (c *Cache) ReleaseOwner(pid int) int {
	if c.base == nil || c.readOnly {
		return 0
	}
	locks := make([]*shmsync.Mutex, c.g.stripes)
	for s := range locks {
		locks[s] = &c.stripe(uint64(s)).lock
	}
	return shmsync.ReleaseOwner(pid, locks...)
}

// format lays a new cache of params p over mem, which is zero.
func format(mem []byte, p params, name string) (*Cache, error) {
	g, why := layout(p)
	if why == "" && g.size > uint64(len(mem)) {
		why = fmt.Sprintf("the layout needs %d bytes, the segment has %d", g.size, len(mem))
	}
	if why != "" {
		return nil, &Error{Op: "new", Cache: name, Stripe: -1, Detail: why, Err: ErrLayout}
	}
	c := newCache(mem, g, name, false)
	for s := range uint64(g.stripes) {
		var t tx
		t.init(c, s)
		t.reset()
		t.st.resets = 0
	}
	*(*superblock)(c.base) = encodeSuper(p)
	return c, nil
}

// open validates the superblock at the start of mem and returns the cache
// it describes, or why there is none.
func open(mem []byte, name string, readOnly bool) (*Cache, string) {
	if len(mem) < superSize {
		return nil, fmt.Sprintf("%d bytes are too few for a cache", len(mem))
	}
	sb := *(*superblock)(unsafe.Pointer(unsafe.SliceData(mem))) // one copy, validated
	p, why := decodeSuper(sb)
	if why != "" {
		return nil, why
	}
	g, why := layout(p)
	if why == "" && g.size > uint64(len(mem)) {
		why = fmt.Sprintf("the layout needs %d bytes, the segment has %d", g.size, len(mem))
	}
	if why != "" {
		return nil, "superblock: " + why
	}
	return newCache(mem, g, name, readOnly), ""
}

func newCache(mem []byte, g geometry, name string, readOnly bool) *Cache {
	c := &Cache{name: name, base: unsafe.Pointer(unsafe.SliceData(mem)), g: g, readOnly: readOnly}
	c.timeout.Store(int64(DefaultLockTimeout))
	return c
}

// claimSlot gives a writable cache the process slot its read counters go
// to: a free one, or one whose process died (its counts carry on), or else
// the shared slot 0.
func (c *Cache) claimSlot() {
	if c.readOnly {
		return
	}
	c.counts = c.procSlot(0)
	for i := uint64(1); i < procSlots; i++ {
		ps := c.procSlot(i)
		if ok, _ := ps.owner.TryLock(); ok { // a dead holder's counts carry on
			c.counts, c.claimed, c.lane = ps, true, i%lanes
			return
		}
	}
}

// Memory of the segment, by offset. Every offset here comes from the
// private geometry or has been checked against it.

func (c *Cache) procSlot(i uint64) *procSlot {
	return (*procSlot)(unsafe.Add(c.base, superSize+i*procSlotSize))
}

func (c *Cache) stripe(s uint64) *stripeHeader {
	return (*stripeHeader)(unsafe.Add(c.base, c.g.stripeOff+s*stripeSize))
}

// slot returns word i of stripe s's index: slot i%8 of bucket i/8 (word 0
// of a bucket, i%8 == 0, is its version).
func (c *Cache) slot(s, i uint64) *uint64 {
	return (*uint64)(unsafe.Add(c.base, c.g.indexOff+(s*c.g.slots+i)*8))
}

// version returns the version of stripe s's bucket b.
func (c *Cache) version(s, b uint64) *uint64 { return c.slot(s, b*bucketWords) }

func (c *Cache) desc(s, p uint64) *pageDesc {
	return (*pageDesc)(unsafe.Add(c.base, c.g.descOff+(s*uint64(c.g.pages)+p)*c.g.descSize))
}

func (c *Cache) bitmap(d *pageDesc) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Add(unsafe.Pointer(d), descFixed)), c.g.bitmapWords)
}

// stripeData returns the offset of stripe s's first page.
func (c *Cache) stripeData(s uint64) uint64 { return c.g.dataOff + s*c.g.stripeBytes }

func (c *Cache) entry(off uint64) *entryHeader {
	return (*entryHeader)(unsafe.Add(c.base, off))
}

// bytesAt returns n bytes of the segment at off.
func (c *Cache) bytesAt(off, n uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(c.base, off)), n)
}
