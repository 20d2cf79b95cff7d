package shmcache

import (
	"context"
	"errors"
	"fmt"
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
//     commit: from then on a repair completes the write, and no reader can
//     have seen the stripe without it, since the sequence was already odd.
//  4. end makes the sequence even (readers accept their copies again) and
//     unlocks; if a check failed on the way, the stripe is repaired first.
//
// The sequence is odd from the first change to a slot or the first freed
// chunk to the end, so a reader that may have followed a slot to a chunk
// being freed or refilled always retries. Writing into a chunk freed by an
// earlier operation needs no odd sequence: no slot leads to it, and that
// operation's own sequence change already sent away every reader that
// followed one.
type tx struct {
	c       *Cache
	s       uint64
	st      *stripeHeader
	odd     bool   // the sequence is odd
	now     int64  // unix ns, read once when first needed
	evicted bool   // entries were dropped to make room
	damage  string // the first check that failed; end repairs the stripe
}

// init sets t up for stripe s of c, without locking.
func (t *tx) init(c *Cache, s uint64) {
	*t = tx{c: c, s: s, st: c.stripe(s)}
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
			t.st.counters.corruptions++
			t.repair()
		}
		return nil
	case errors.Is(err, shmsync.ErrOwnerDead):
		t.st.counters.takeovers++
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
		t.st.counters.corruptions++
		t.repair()
	}
	if t.odd {
		order.StoreRelease64(t.seqPtr(), t.st.seq.Load()+1)
	}
	t.st.lock.Unlock() // fails only if another process scribbled on the lock word
}

// makeOdd makes the stripe's sequence odd, once per operation: readers
// that copied anything from the stripe before this will retry.
func (t *tx) makeOdd() {
	if t.odd {
		return
	}
	t.odd = true
	order.StoreRelease64(t.seqPtr(), t.st.seq.Load()|1)
	order.ReleaseFence()
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

// setSlot stores w in slot i, with release semantics: the entry it refers
// to is complete for anyone who sees it.
func (t *tx) setSlot(i, w uint64) {
	order.StoreRelease64(t.c.slot(t.s, i), w)
}

// arm records the intent to take slot i from old to new (for intentMove:
// to move the entry of slot i, whose word is old, to slot new).
func (t *tx) arm(op, i, old, new uint64) {
	in := &t.st.intent
	in.slot, in.old, in.new = i, old, new
	order.StoreRelease64(&in.op, op) // last
}

// disarm clears the intent record.
func (t *tx) disarm() {
	order.StoreRelease64(&t.st.intent.op, intentNone)
}
