package shmcache

import (
	"sync/atomic"
	"unsafe"

	"github.com/fpmshm/fpmshm/shmsync"
)

// The segment, in this order, each region 64-byte aligned (see doc.go):
//
//	superblock     64 bytes: the parameters below and their checksum
//	process slots  procSlots × 64: hit and miss counters of each process
//	stripe headers stripes × stripeSize: lock, sequence, intent, counters, lanes
//	index          stripes × buckets × 64: a version and 7 slots of 8 bytes per bucket
//	descriptors    stripes × pages × descSize: class, use count, lane, links, chunk bitmap
//	pages          stripes × pages × pageSize: the entries
//
// Stripe s owns buckets [s·buckets, (s+1)·buckets) and pages
// [s·pages, (s+1)·pages): no page ever moves between stripes, so which
// lock guards a byte of the segment follows from its offset alone.

// Tag is the layout tag stored in a cache segment's shm header: "fpmcach"
// and the layout version.
const Tag uint64 = 0x66706d6361636800 | layoutVersion

const layoutVersion = 3

const (
	superSize      = 64
	procSlots      = 64 // slot 0 is shared by processes that find no free slot
	bucketWords    = 8  // word 0 is the bucket's version, words 1 to 7 its slots
	firstSlot      = 1
	slotsPerBucket = bucketWords - firstSlot
	bucketSize     = bucketWords * 8
	lanes          = 4 // allocation lanes per stripe; a process uses lane slot%lanes
	maxStripes     = 256
	maxBuckets     = 1 << 26 // per stripe
	maxPages       = 1 << 24 // per stripe
	minPageSize    = 4 << 10
	maxPageSize    = 1 << 20
	minChunk       = 64
	maxClasses     = 96
	maxRefBytes    = 1 << 44 // slot references are 40 bits of 16-byte units
)

// superMagic opens the superblock.
var superMagic = [8]byte{'f', 'p', 'm', 'c', 'a', 'c', 'h', 'e'}

// superblock is the cache's description at the start of the segment,
// written once by New and validated by Open, which copies it: no process
// reads it again.
type superblock struct {
	magic    [8]byte
	version  uint32
	pageSize uint32
	stripes  uint32
	buckets  uint32
	pages    uint32
	policy   uint32
	procs    uint32
	_        uint32
	seed     uint64
	created  int64
	_        uint32
	check    uint32 // checksum of the bytes before it
}

// procSlot holds one process's read counters: only that process writes
// them, so a Get counts without sharing a cache line with other
// processes. The lock is held by the process for as long as it has the
// cache open; a dead holder's slot is taken over, counts and all.
type procSlot struct {
	owner       shmsync.Mutex
	hits        atomic.Uint64
	misses      atomic.Uint64
	corruptions atomic.Uint64 // damaged entries its reads found
	_           [32]byte
}

// stripeHeader is the shared state of one stripe. Its first cache line
// holds everything that every write changes (the lock, the sequence, the
// intent record, the CAS generation and the entry counts), so that a
// write moves one cache line of the header between processors; what
// changes less often follows; then the lanes, each on cache lines of its
// own, with the allocator state and the counts of the processes that use
// it. Readers look at none of it: they check their bucket's version.
type stripeHeader struct {
	lock    shmsync.Mutex
	seq     atomic.Uint64 // odd while a write is under way
	intent  intentRecord
	casGen  uint64 // the last CAS generation given to an entry
	entries uint64
	bytes   uint64 // key and value bytes of the entries

	counter   counterRecord // a counter update under way
	expiring  uint64        // entries with an expiry time: the sweep runs while there are any
	sweep     uint32        // the next bucket the expiry sweep looks at
	pageHand  uint32        // the next page page-level eviction looks at
	freeHead  uint32        // first free page, local index + 1; 0: none
	freePages uint32
	_         [16]byte

	repairs     uint64
	resets      uint64
	corruptions uint64
	takeovers   uint64
	_           [32]byte

	lane [lanes]laneState
}

// laneState is the part of a stripe's allocator and counts that one lane's
// processes change: writes by processes of different lanes share no cache
// line of it, nor of the pages it holds.
type laneState struct {
	counters laneCounters
	class    [maxClasses]classState
}

// laneCounters are the counts of a lane's writes.
type laneCounters struct {
	sets        uint64
	incrs       uint64
	deletes     uint64
	evictions   uint64
	expirations uint64
	refused     uint64 // ErrFull
	_           [16]byte
}

// intentRecord is the write in progress, armed (op set last) before the
// first change a reader could see and cleared after the last, so that
// repair can roll it forward.
type intentRecord struct {
	op  uint64 // intentNone, intentSlot, intentIncr or intentMove; the slot in the high 32 bits
	old uint64 // the slot's word before
	new uint64 // the slot's word after
}

// counterRecord is what intentIncr writes into the counter: its value and
// CAS generation (little-endian bytes, as in the entry) and its vsum.
type counterRecord struct {
	value uint64
	cas   uint64
	vsum  uint32
	_     uint32
}

const (
	intentNone = iota
	intentSlot // a slot goes from old to new (set, add, compare-and-swap, delete)
	intentIncr // a counter's value, CAS generation and checksum are rewritten in place
	intentMove // the entry of slot (word old) moves to slot new
)

// classState is a lane's state for one size class of its stripe.
type classState struct {
	partial   uint32 // first page of the lane and class with a free chunk, local index + 1
	pages     uint32 // pages of the lane and class
	used      uint32 // chunks holding entries
	handPage  uint32 // CLOCK hand of the lane: page...
	handChunk uint32 // ...and chunk the eviction looks at next
	_         uint32
	bytes     uint64 // header, key and value bytes of the class's entries
	evictions uint64
}

// pageDesc is the descriptor of one page; its chunk bitmap (bitmapWords
// uint64s, bit i set when chunk i holds an entry) follows it, and the
// whole is padded to cache lines, so that pages of different lanes share
// no line of descriptor.
type pageDesc struct {
	class uint16 // class + 1; 0: the page is free
	used  uint16 // chunks in use
	lane  uint32 // the lane whose partial list the page is on
	prev  uint32 // list links, local page index + 1; 0: none
	next  uint32
}

// Sizes of the records, pinned by TestLayoutPinned.
const (
	procSlotSize = 64
	descFixed    = 16
	stripeSize   = (uint64(unsafe.Sizeof(stripeHeader{})) + 63) &^ 63
)

// params are the numbers a cache is made from: chosen by New, stored in
// the superblock, and all that Open needs to lay the segment out again.
type params struct {
	pageSize uint32
	stripes  uint32
	buckets  uint32 // per stripe
	pages    uint32 // per stripe
	policy   Policy
	seed     uint64
	created  int64
}

// geometry is a cache's layout, worked out once from its params and kept
// in process memory: no offset or size is ever read back from the segment.
type geometry struct {
	params
	size        uint64 // bytes the layout covers
	stripeBits  uint   // log2(stripes)
	bitmapWords uint64 // per descriptor
	descSize    uint64
	stripeBytes uint64 // pages × pageSize
	slots       uint64 // index words per stripe: buckets × 8, one in 8 a version
	stripeOff   uint64
	indexOff    uint64
	descOff     uint64
	dataOff     uint64
	classes     classTable
}

// layout works out the geometry of p, or says why it cannot.
func layout(p params) (geometry, string) {
	switch {
	case p.pageSize < minPageSize || p.pageSize > maxPageSize || p.pageSize&(p.pageSize-1) != 0:
		return geometry{}, "page size must be a power of two from 4 KiB to 1 MiB"
	case p.stripes < 1 || p.stripes > maxStripes || p.stripes&(p.stripes-1) != 0:
		return geometry{}, "stripes must be a power of two from 1 to 256"
	case p.buckets < 1 || p.buckets > maxBuckets:
		return geometry{}, "index buckets per stripe out of range"
	case p.pages < 1 || p.pages > maxPages:
		return geometry{}, "pages per stripe out of range"
	case p.policy != Evict && p.policy != Refuse:
		return geometry{}, "unknown policy"
	}
	g := geometry{params: p}
	for 1<<g.stripeBits < p.stripes {
		g.stripeBits++
	}
	g.classes = newClassTable(p.pageSize)
	g.bitmapWords = (uint64(p.pageSize)/minChunk + 63) / 64
	g.descSize = descSizeOf(uint64(p.pageSize))
	g.stripeBytes = uint64(p.pages) * uint64(p.pageSize)
	g.slots = uint64(p.buckets) * bucketWords
	n := uint64(p.stripes)
	g.stripeOff = superSize + procSlots*procSlotSize
	g.indexOff = g.stripeOff + n*stripeSize
	g.descOff = g.indexOff + n*uint64(p.buckets)*bucketSize
	g.dataOff = (g.descOff + n*uint64(p.pages)*g.descSize + 63) &^ 63
	g.size = g.dataOff + n*g.stripeBytes
	if g.size > maxRefBytes {
		return geometry{}, "larger than the 16 TiB a slot can address"
	}
	return g, ""
}

// descSizeOf returns the size of a page descriptor for pages of page
// bytes: its fixed part and its bitmap, padded to 64 bytes.
func descSizeOf(page uint64) uint64 {
	return (descFixed + 8*((page/minChunk+63)/64) + 63) &^ 63
}

// fixedBytes is what a layout of p needs besides its descriptors and
// pages.
func fixedBytes(stripes, buckets uint64) uint64 {
	return superSize + procSlots*procSlotSize + stripes*stripeSize + stripes*buckets*bucketSize + 64
}

// encodeSuper returns the superblock of p.
func encodeSuper(p params) superblock {
	sb := superblock{
		magic:    superMagic,
		version:  layoutVersion,
		pageSize: p.pageSize,
		stripes:  p.stripes,
		buckets:  p.buckets,
		pages:    p.pages,
		policy:   uint32(p.policy),
		procs:    procSlots,
		seed:     p.seed,
		created:  p.created,
	}
	sb.check = superCheck(&sb)
	return sb
}

// superCheck is the checksum of a superblock's bytes before its check.
func superCheck(sb *superblock) uint32 {
	b := unsafe.Slice((*byte)(unsafe.Pointer(sb)), unsafe.Offsetof(sb.check))
	return checksum(0, b)
}

// decodeSuper validates a copy of a superblock and returns its params, or
// says what is wrong with it.
func decodeSuper(sb superblock) (params, string) {
	switch {
	case sb.magic != superMagic:
		return params{}, "no cache superblock at the start of the segment"
	case sb.version != layoutVersion:
		return params{}, "layout version differs from this package's"
	case sb.check != superCheck(&sb):
		return params{}, "superblock checksum mismatch"
	case sb.procs != procSlots:
		return params{}, "process slot count differs from this package's"
	}
	return params{
		pageSize: sb.pageSize,
		stripes:  sb.stripes,
		buckets:  sb.buckets,
		pages:    sb.pages,
		policy:   Policy(sb.policy),
		seed:     sb.seed,
		created:  sb.created,
	}, ""
}
