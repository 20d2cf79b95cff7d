package shmcache

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/order"
	"github.com/fpmshm/fpmshm/shmsync"
)

// tx is an operation holding one stripe's lock. Every write, and a read
// that had to lock, runs as one:
//
//  1. begin takes the lock. If its holder died (ErrOwnerDead), or the
//     stripe was left with a write unfinished, the stripe is repaired
//     first (repair.go).
//  2. The operation prepares what readers cannot see: it finds the key,
//     takes a free chunk and fills in the new entry and its checksum.
//  3. It makes the stripe's sequence odd, arms the intent record, changes
//     the slot (publishing the entry), frees what it replaced, clears the
//     intent, and sweeps one bucket for expired entries. Arming is the
//     commit: from then on a repair completes the write.
//  4. end makes the sequence even and unlocks; if a check failed on the
//     way, the stripe is repaired first.
//
// Readers do not look at the stripe's sequence (Range does): each change
// to a bucket, a slot or an entry in place, makes the bucket's version odd
// before and even after it, so a reader sees a different or odd version
// when it checks again after its copy, whichever change overlapped it.
// Freeing a chunk needs no odd version: the change of the slot that led to
// it came first, and that already sent away every reader that followed
// it; no later reader can reach the chunk. A repair or reset makes every
// version of the stripe odd (freeze) until it ends.
type tx struct {
	c       *Cache
	s       uint64
	st      *stripeHeader
	ln      *laneState // the lane of this process's allocations and counts
	odd     bool       // the sequence is odd
	frozen  bool       // every bucket's version is odd, until end
	now     int64      // unix ns, read once when first needed
	evicted bool       // entries were dropped to make room
	damage  string     // the first check that failed; end repairs the stripe
}

// init sets t up for stripe s of c, without locking.
func (t *tx) init(c *Cache, s uint64) {
	st := c.stripe(s)
	*t = tx{c: c, s: s, st: st, ln: &st.lane[c.lane]}
}

// begin locks stripe s for op, repairing it if needed. It fails with
// ErrBusy when a live process holds the lock for longer than the lock
// timeout.
func (c *Cache) begin(t *tx, op string, s uint64) error {
	t.init(c, s)
	err := t.st.lock.LockTimeout(time.Duration(c.timeout.Load()))
	crashPoint(cpLocked)
	switch {
	case err == nil:
		if t.st.seq.Load()&1 != 0 || t.st.intent.op != intentNone {
			// Unlocked in the middle of a write: not by this package.
			t.st.corruptions++
			t.repair()
		}
		return nil
	case errors.Is(err, shmsync.ErrOwnerDead):
		t.st.takeovers++
		t.repair()
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return c.fail(op, int(s), ErrBusy, fmt.Sprintf("locked by pid %d for more than %v", t.st.lock.Owner(), time.Duration(c.timeout.Load())))
	}
	return c.fail(op, int(s), err, "")
}

// end finishes t: repairs the stripe if a check failed, publishes and
// unlocks.
func (t *tx) end() {
	if t.damage != "" {
		t.st.corruptions++
		t.repair()
	}
	if t.frozen {
		for b := range uint64(t.c.g.buckets) {
			order.StoreRelease64(t.c.version(t.s, b), (atomic.LoadUint64(t.c.version(t.s, b))|1)+1)
		}
	}
	if t.odd {
		order.StoreRelease64(t.seqPtr(), (t.st.seq.Load()|1)+1)
	}
	t.st.lock.Unlock() // fails only if another process scribbled on the lock word
}

// makeOdd makes the stripe's sequence odd, once per operation: a Range
// that copied anything from the stripe before this will copy again, and
// the next locker sees a write left unfinished.
func (t *tx) makeOdd() {
	if t.odd {
		return
	}
	t.odd = true
	order.StoreRelease64(t.seqPtr(), t.st.seq.Load()|1)
	order.ReleaseFence()
}

// freeze makes the version of every bucket of the stripe odd until end,
// for a repair or a reset: every reader of the stripe waits.
func (t *tx) freeze() {
	t.makeOdd()
	if t.frozen {
		return
	}
	t.frozen = true
	for b := range uint64(t.c.g.buckets) {
		order.StoreRelease64(t.c.version(t.s, b), atomic.LoadUint64(t.c.version(t.s, b))|1)
	}
	order.ReleaseFence()
}

// changing makes the version of bucket b odd before a change to it, and
// changed makes it even after: a reader that overlapped the change sees.
func (t *tx) changing(b uint64) {
	if !t.frozen {
		v := t.c.version(t.s, b)
		order.StoreRelease64(v, atomic.LoadUint64(v)|1)
		order.ReleaseFence()
	}
}

func (t *tx) changed(b uint64) {
	if !t.frozen {
		v := t.c.version(t.s, b)
		order.StoreRelease64(v, (atomic.LoadUint64(v)|1)+1)
	}
}

func (t *tx) seqPtr() *uint64 { return (*uint64)(unsafe.Pointer(&t.st.seq)) }

// broken records that a check failed, for end to repair; it returns false
// so that callers can return it.
func (t *tx) broken(why string) bool {
	if t.damage == "" {
		t.damage = why
	}
	return false
}

// damaged returns the error of an operation that found damage.
func (t *tx) damaged(op string) error {
	return t.c.fail(op, int(t.s), ErrCorrupt, t.damage+"; the stripe was repaired")
}

// clock returns the current time, read once per operation.
func (t *tx) clock() int64 {
	if t.now == 0 {
		t.now = nowNano()
	}
	return t.now
}

// expired reports whether the entry of header h has expired.
func (t *tx) expired(h *entryHeader) bool { return h.expire != 0 && t.clock() >= h.expire }

// setSlot stores w in slot i, between changing and changed of its
// bucket.
func (t *tx) setSlot(i, w uint64) {
	t.changing(i / bucketWords)
	t.storeSlot(i, w)
	t.changed(i / bucketWords)
}

// storeSlot stores w in slot i, with release semantics: the entry it
// refers to is complete for anyone who sees it. The caller has called
// changing for its bucket, before arming the intent of the change: from
// arming to changed no reader accepts what it read of the bucket.
func (t *tx) storeSlot(i, w uint64) {
	order.StoreRelease64(t.c.slot(t.s, i), w)
}

// arm records the intent to take slot i from old to new (for intentMove:
// to move the entry of slot i, whose word is old, to slot new).
func (t *tx) arm(op, i, old, new uint64) {
	in := &t.st.intent
	in.old, in.new = old, new
	order.StoreRelease64(&in.op, op|i<<32) // last
}

// armed returns the intent record's operation and slot.
func (in *intentRecord) armed() (op, slot uint64) { return in.op & (1<<32 - 1), in.op >> 32 }

// disarm clears the intent record.
func (t *tx) disarm() {
	order.StoreRelease64(&t.st.intent.op, intentNone)
}
