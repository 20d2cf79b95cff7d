package scoreboard

import (
	"fmt"
)

// slotTable is the master's private record of the slots: which are used
// and by which pid. Nothing read from the segment changes it.
type slotTable struct {
	pids []int // 0: free; -1: allocated, pid not known yet
	next int   // where the search for a free slot starts (FPM's free_proc)

	// counters are the master's own: it alone writes them, so it never
	// reads them back from the segment.
	counters struct {
		listenQueue, maxListenQueue, listenQueueLen uint64
		maxChildrenReached, slowRequests            uint64
	}
}

func newSlotTable(n int) *slotTable { return &slotTable{pids: make([]int, n)} }

// AllocSlot reserves a free slot for a worker about to be spawned, in the
// master's own table only: nothing is published in the segment until
// Started knows the worker's pid, so no reader ever sees a used slot
// without one. It returns ErrFull when every slot is used. Master only;
// not safe for concurrent use with the other master methods.
func (b *Board) AllocSlot() (int, error) {
	t := b.master
	if t == nil {
		return 0, fmt.Errorf("scoreboard: allocate slot: only the master that made the board can")
	}
	for i := range t.pids {
		slot := (t.next + i) % len(t.pids)
		if t.pids[slot] != 0 {
			continue
		}
		t.pids[slot] = -1
		t.next = (slot + 1) % len(t.pids)
		return slot, nil
	}
	return 0, ErrFull
}

// Started records the pid of the worker spawned for slot, in the master's
// own table (the master reports and kills by this pid, never by the one in
// the slot), and publishes the slot: used, Idle, started now, with that
// pid. The worker waits for this before it writes its slot (see Slot), so
// the slot still has a single writer at a time.
func (b *Board) Started(slot, pid int) error {
	if b.master == nil || slot < 0 || slot >= len(b.master.pids) || b.master.pids[slot] == 0 {
		return fmt.Errorf("%w: %d is not an allocated slot of this master", ErrSlot, slot)
	}
	if pid <= 0 || pid > maxPID {
		return fmt.Errorf("%w: pid %d for slot %d is not a process id", ErrSlot, pid, slot)
	}
	b.master.pids[slot] = pid
	now := nowNano()
	r := &b.procs[slot]
	r.seq.BeginWriteSingle()
	r.reset()
	r.used, r.stage, r.pid = 1, uint32(Idle), int64(pid)
	r.startTime, r.lastActivity = now, now
	r.seq.EndWriteSingle()
	return nil
}

// SlotPID returns the pid the master recorded for slot, 0 if it is free.
func (b *Board) SlotPID(slot int) int {
	if b.master == nil || slot < 0 || slot >= len(b.master.pids) {
		return 0
	}
	return max(b.master.pids[slot], 0)
}

// FreeSlot releases the slot of a worker the master has reaped: the slot
// is rewritten as zeroes (which also ends a write the worker died in the
// middle of), and if the worker died serving a request the pool's active
// count is given back.
func (b *Board) FreeSlot(slot int) error {
	t := b.master
	if t == nil || slot < 0 || slot >= len(t.pids) || t.pids[slot] == 0 {
		return fmt.Errorf("%w: %d is not an allocated slot of this master", ErrSlot, slot)
	}
	r := &b.procs[slot]
	if s := Stage(r.stage); s.Valid() && s != Idle && r.used == 1 {
		addClamped(&b.pool.active, -1)
	}
	r.seq.BeginWriteSingle()
	r.reset()
	r.seq.EndWriteSingle()
	t.pids[slot] = 0
	return nil
}

// SetListenQueue records, once a second, the connections waiting in the
// listen queue now and the queue's size; the maximum seen is kept.
func (b *Board) SetListenQueue(waiting, size uint64) {
	m := &b.master.counters
	m.listenQueue, m.listenQueueLen = waiting, size
	m.maxListenQueue = max(m.maxListenQueue, waiting)
	b.pool.listenQueue.Store(waiting)
	b.pool.listenQueueLen.Store(size)
	b.pool.maxListenQueue.Store(m.maxListenQueue)
}

// AddMaxChildrenReached counts one time the pool wanted to spawn a worker
// but pm.max_children were already running.
func (b *Board) AddMaxChildrenReached() {
	b.master.counters.maxChildrenReached++
	b.pool.maxChildrenReached.Store(b.master.counters.maxChildrenReached)
}

// AddSlowRequest counts one request that passed request_slowlog_timeout.
func (b *Board) AddSlowRequest() {
	b.master.counters.slowRequests++
	b.pool.slowRequests.Store(b.master.counters.slowRequests)
}
