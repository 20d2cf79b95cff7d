package shmcache

import "sync/atomic"

// Stats are a cache's figures, summed over its stripes and the processes
// that read it. Each stripe's counts are read without its lock, so while
// writes go on the figures of different stripes are from slightly
// different moments; Check verifies the exact ones. Counts of what a
// process did in a write it was killed in may be one off.
type Stats struct {
	Size     int    // bytes of the segment
	Capacity int64  // bytes of its pages, where entries live
	PageSize int    // the page size, and the largest entry
	Stripes  int    // the number of stripes
	Policy   Policy // what a write does when memory is short

	Entries int64 // entries stored, including expired ones not yet reclaimed
	Bytes   int64 // key and value bytes of the entries
	Used    int64 // bytes of the chunks that hold entries
	Free    int64 // bytes of free chunks and free pages

	Hits        uint64 // reads that found their key
	Misses      uint64 // reads that did not
	Sets        uint64 // entries stored by Set, Add and CompareAndSwap
	Incrs       uint64 // counter updates and creations by Incr and Decr
	Deletes     uint64 // entries removed by Delete
	Evictions   uint64 // entries dropped to make room
	Expirations uint64 // expired entries reclaimed
	Refused     uint64 // writes that failed with ErrFull

	Repairs     uint64 // stripe repairs, after a holder died or damage was found
	Resets      uint64 // stripes emptied by Reset or a failed repair
	Corruptions uint64 // damaged slots and structures found
	Takeovers   uint64 // stripe locks taken over from a dead process

	Classes []ClassStats // the size classes that have pages
}

// ClassStats are the figures of one size class.
type ClassStats struct {
	Size       int    // bytes of a chunk
	Pages      int    // pages carved into its chunks
	Used       int64  // chunks holding entries
	Free       int64  // free chunks on its pages
	EntryBytes int64  // bytes the entries need: header, key and value
	Lost       int64  // bytes of its pages that hold no entry data and cannot: the unused end of each used chunk and of each page
	Evictions  uint64 // entries of the class evicted
}

// Stats returns the cache's figures. A read-only cache (a tool's) has
// them all; only the reads of read-only processes are not counted.
func (c *Cache) Stats() Stats {
	g := &c.g
	s := Stats{
		Capacity: int64(g.stripes) * int64(g.stripeBytes),
		PageSize: int(g.pageSize),
		Stripes:  int(g.stripes),
		Policy:   g.policy,
	}
	if c.seg != nil {
		s.Size = c.seg.Len()
	}
	if c.base == nil {
		return s
	}
	classes := make([]ClassStats, g.classes.n)
	freePages := int64(0)
	for i := range uint64(g.stripes) {
		st := c.stripe(i)
		s.Entries += int64(load(&st.entries))
		s.Bytes += int64(load(&st.bytes))
		s.Repairs += load(&st.repairs)
		s.Resets += load(&st.resets)
		s.Corruptions += load(&st.corruptions)
		s.Takeovers += load(&st.takeovers)
		freePages += int64(min(atomic.LoadUint32(&st.freePages), g.pages))
		for l := range st.lane {
			n := &st.lane[l].counters
			s.Sets += load(&n.sets)
			s.Incrs += load(&n.incrs)
			s.Deletes += load(&n.deletes)
			s.Evictions += load(&n.evictions)
			s.Expirations += load(&n.expirations)
			s.Refused += load(&n.refused)
			for cls := range classes {
				cs := &st.lane[l].class[cls]
				pages := int64(min(atomic.LoadUint32(&cs.pages), g.pages))
				used := int64(min(atomic.LoadUint32(&cs.used), uint32(pages)*g.classes.chunks[cls]))
				cl := &classes[cls]
				cl.Pages += int(pages)
				cl.Used += used
				cl.Free += pages*int64(g.classes.chunks[cls]) - used
				cl.EntryBytes += int64(load(&cs.bytes))
				cl.Evictions += load(&cs.evictions)
			}
		}
	}
	for cls := range classes {
		cl := &classes[cls]
		size := int64(g.classes.size[cls])
		tail := int64(g.pageSize) - size*int64(g.classes.chunks[cls])
		cl.Size = int(size)
		cl.Lost = cl.Used*size - cl.EntryBytes + int64(cl.Pages)*tail
		s.Used += cl.Used * size
		s.Free += cl.Free * size
		if cl.Pages > 0 {
			s.Classes = append(s.Classes, *cl)
		}
	}
	s.Free += freePages * int64(g.pageSize)
	for i := range uint64(procSlots) {
		ps := c.procSlot(i)
		s.Hits += ps.hits.Load()
		s.Misses += ps.misses.Load()
		s.Corruptions += ps.corruptions.Load()
	}
	return s
}

// Len returns the number of entries stored, including expired ones not yet
// reclaimed.
func (c *Cache) Len() int {
	if c.base == nil {
		return 0
	}
	n := uint64(0)
	for i := range uint64(c.g.stripes) {
		n += load(&c.stripe(i).entries)
	}
	return int(min(n, uint64(c.g.slots)*uint64(c.g.stripes)))
}

// load reads a counter that writers update under the stripe's lock.
func load(p *uint64) uint64 { return atomic.LoadUint64(p) }
