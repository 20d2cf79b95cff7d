package shmcache

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Policy says what a write does when the memory its entry needs is used
// up. It is chosen when the cache is made and holds for every process.
type Policy uint32

const (
	// Evict makes room by evicting entries: within the entry's size class
	// and stripe, a CLOCK hand passes over the entries, skipping (and
	// clearing the mark of) those read since it last passed, and evicts
	// the first unmarked or expired one; after 64 marked entries it evicts
	// the next regardless. A class that keeps evicting takes a cold page
	// from another class now and then. Evictions are bounded per write and
	// never empty the cache.
	Evict Policy = iota
	// Refuse fails a write that finds no room with ErrFull: only expired
	// entries are reclaimed to make room.
	Refuse
)

func (p Policy) String() string {
	switch p {
	case Evict:
		return "evict"
	case Refuse:
		return "refuse"
	}
	return fmt.Sprintf("Policy(%d)", uint32(p))
}

// Options describe a cache for New.
type Options struct {
	// Name names the cache; its segment is named SegmentName(Name), the
	// name workers and tools find it by. Letters, digits, '.', '_' and '-'.
	Name string
	// Size is the size of the segment in bytes: the cache's index, its
	// bookkeeping and its pages all live in it. At least MinSize.
	Size int
	// Policy is what a write does when memory is short: Evict (the zero
	// value) or Refuse.
	Policy Policy
	// Entries is how many entries the index is sized for; 0 means Size/160
	// (an entry of about 100 bytes of key and value takes a 160-byte
	// chunk). Each costs about 13 bytes of index: 8-byte slots, 7 to a
	// 64-byte bucket, at most 70% of them used. Under Evict, a key whose index buckets are full
	// evicts one of their entries; under Refuse the write fails with
	// ErrFull.
	Entries int
	// Stripes is the number of stripes, a power of two up to 256, each
	// with its own lock, index and pages; 0 chooses up to 64 from Size.
	Stripes int
	// PageSize is the size of the pages entries are carved from, a power
	// of two from 4 KiB to 1 MiB, and the largest entry (header, key and
	// value) the cache holds; 0 means 64 KiB, or less for a small Size.
	PageSize int
	// NoDump keeps the segment out of core dumps.
	NoDump bool
}

// MinSize is the smallest cache New makes.
const MinSize = 64 << 10

// MaxKeyLen is the longest key.
const MaxKeyLen = 1<<16 - 1

// DefaultLockTimeout is how long an operation waits for a stripe that
// another live process holds before failing with ErrBusy; see
// SetLockTimeout.
const DefaultLockTimeout = time.Second

// SegmentName returns the segment name of the cache called name: "cache."
// and the name, with characters a segment name cannot hold replaced by '_'.
func SegmentName(name string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, name)
	if len(clean) > 64 {
		clean = clean[:64]
	}
	return "cache." + clean
}

// choosePages returns the page size and stripe count for a cache of size
// bytes, keeping what the caller chose (non-zero). Each stripe should
// have at least minStripePages pages, so that the size classes in use do
// not strand its memory: pages shrink to 16 KiB first, then stripes to 8,
// then pages to 4 KiB, then stripes to 1.
func choosePages(size, page, stripes uint64) (uint64, uint64) {
	fixedPage, fixedStripes := page != 0, stripes != 0
	if !fixedPage {
		page = 64 << 10
	}
	if !fixedStripes {
		stripes = 64
	}
	shrink := func(v *uint64, fixed bool, floor uint64) {
		for !fixed && *v > floor && size/(page*stripes) < minStripePages {
			*v /= 2
		}
	}
	shrink(&page, fixedPage, 16<<10)
	shrink(&stripes, fixedStripes, 8)
	shrink(&page, fixedPage, minPageSize)
	shrink(&stripes, fixedStripes, 1)
	return page, stripes
}

// minStripePages is how many pages New wants each stripe to have.
const minStripePages = 64

// choose works out the params of a cache of o.Size bytes, or says why
// there are none.
func choose(o Options) (params, string) {
	size := uint64(o.Size)
	if o.Size < MinSize {
		return params{}, fmt.Sprintf("size %d is below the minimum of %d bytes", o.Size, MinSize)
	}
	page, stripes := choosePages(size, uint64(o.PageSize), uint64(o.Stripes))
	if o.Stripes < 0 || o.PageSize < 0 || o.Entries < 0 || stripes > maxStripes || page > maxPageSize {
		return params{}, "negative or too large Stripes, PageSize or Entries"
	}
	entries := uint64(o.Entries)
	if entries == 0 {
		entries = size / 160
	}
	// 70% of the slots: a key has two buckets, and a pair of them
	// overflows (ErrFull under Refuse) only past that.
	buckets := max(1, (entries*10/7+stripes*slotsPerBucket-1)/(stripes*slotsPerBucket))
	fixed := fixedBytes(stripes, buckets)
	g := geometry{}
	if fixed < size && buckets <= maxBuckets {
		descSize := descSizeOf(page)
		pages := (size - fixed) / (stripes * (page + descSize))
		p := params{
			pageSize: uint32(page),
			stripes:  uint32(stripes),
			buckets:  uint32(buckets),
			pages:    uint32(min(pages, maxPages)),
			policy:   o.Policy,
			seed:     rand.Uint64(),
			created:  time.Now().UnixNano(),
		}
		if pages >= 2 {
			var why string
			if g, why = layout(p); why != "" {
				return params{}, why
			}
			if g.size <= size {
				return p, ""
			}
		}
	}
	return params{}, fmt.Sprintf("%d bytes leave no room for two %d-byte pages per stripe after the index of %d entries in %d stripes: raise Size, or lower Entries, Stripes or PageSize",
		size, page, entries, stripes)
}
