package shmsync

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/order"
)

// Seqlock guards a record, stored beside it in shared memory, that many
// processes read and few write. Readers copy the record and retry when a
// write overlapped the copy; they never write to shared memory, so a
// reader that dies blocks no one and a writer never waits for readers.
// The zero value is ready to use. It is 24 bytes and must be 8-byte
// aligned:
//
//	seq     uint64  even: the record is stable; odd: a write is in progress
//	writer  uint64  identity of the process writing or that wrote last
//	lock    Mutex   serialises writers that use BeginWrite
//
// Record puts a Seqlock and its record together; use Seqlock directly for
// a layout of your own.
//
// There are two ways to write, and a given record must use one only:
//
//   - BeginWrite/EndWrite, for records any process may write: writers take
//     the lock. A writer that dies in the middle of a write is taken over
//     by the next one (BeginWrite returns ErrOwnerDead), which must then
//     rewrite the whole record.
//   - BeginWriteSingle/EndWriteSingle, for records that one process at a
//     time writes by arrangement (a scoreboard slot: its worker, or the
//     master once it has reaped that worker). No lock and no locked
//     instruction: two release stores.
//
// Memory ordering (the contract for readers and writers):
//
//   - BeginWrite*: the odd sequence is stored, then a release fence; no
//     store to the record made after BeginWrite* becomes visible before
//     the odd sequence does.
//   - EndWrite*: every store to the record made before it becomes visible
//     before the next even sequence does (a release store).
//   - Read: loads the sequence (acquire), copies, then an acquire fence and
//     a second load of the sequence. A copy is accepted only if both loads
//     saw the same even value; it then holds exactly the stores of the
//     writes that ended before that value was stored and of none after.
//
// A reader that finds a write in progress retries (spinning, then
// yielding, then sleeping up to 50µs between tries). If the same write
// stays in progress for a millisecond and its writer has died, the read
// fails with ErrWriterDead; it keeps failing until a writer or Repair
// fixes the record.
type Seqlock struct {
	seq    atomic.Uint64
	writer atomic.Uint64
	lock   Mutex
}

// BeginWrite starts a write: it takes the writers' lock and makes the
// sequence odd. It returns nil, or an error matching ErrOwnerDead when the
// previous writer died holding the lock: the record may be half-written
// and the caller must rewrite all of it. Either way the caller must end
// the write with EndWrite.
func (s *Seqlock) BeginWrite() error {
	err := s.lock.Lock()
	s.begin()
	return err
}

// EndWrite ends a write started with BeginWrite: the sequence becomes even
// again, publishing the record, and the lock is released. It returns
// ErrNotOwner if this process did not hold the lock.
func (s *Seqlock) EndWrite() error {
	s.end()
	return s.lock.Unlock()
}

// BeginWriteSingle starts a write by the record's only writer: the caller
// guarantees that no other process writes the record until EndWriteSingle.
// If the sequence is odd (the previous writer died in the middle of a
// write), it stays odd until EndWriteSingle: the caller should rewrite the
// whole record.
func (s *Seqlock) BeginWriteSingle() { s.begin() }

// EndWriteSingle ends a write started with BeginWriteSingle.
func (s *Seqlock) EndWriteSingle() { s.end() }

// begin records this process as the writer and makes the sequence odd.
func (s *Seqlock) begin() {
	if s.writer.Load() != self {
		order.StoreRelease64((*uint64)(unsafe.Pointer(&s.writer)), self) // visible no later than the odd sequence
	}
	if seq := s.seq.Load(); seq&1 == 0 {
		order.StoreRelease64(s.seqPtr(), seq+1)
	}
	order.ReleaseFence()
}

// end makes the sequence even, publishing what was written before it.
func (s *Seqlock) end() {
	order.StoreRelease64(s.seqPtr(), (s.seq.Load()|1)+1)
}

// abandon gives up a write whose code panicked: the sequence stays odd so
// no reader accepts the half-written record, the writer is marked dead so
// readers fail with ErrWriterDead instead of waiting, and a held lock is
// released as if this process had died, so that the next writer gets
// ErrOwnerDead and rewrites the record.
func (s *Seqlock) abandon(locked bool) {
	dead := uint64(pidOf(self)) << 32
	s.writer.Store(dead)
	if locked {
		s.lock.word.Store(dead)
		s.lock.releaseWake()
	}
}

// Read calls copy until it has run without a write overlapping it, and
// returns nil; copy must only copy the record (it may run several times
// and may see a half-written record, which Read then discards). It
// returns ErrWriterDead when the write in progress belongs to a dead
// process, and ctx.Err() when ctx is done first.
func (s *Seqlock) Read(ctx context.Context, copy func()) error {
	var w readWait
	for {
		seq := s.seq.Load()
		if seq&1 == 0 {
			copy()
			order.AcquireFence()
			if s.seq.Load() == seq {
				return nil
			}
		}
		if err := s.readWait(ctx, &w, seq); err != nil {
			return err
		}
	}
}

// Repair makes the record readable again after its writer died in the
// middle of a write: if the sequence is odd and the process that was
// writing is dead, it makes the sequence even and returns true. The record
// keeps whatever the dead writer left, possibly half-written: rewrite it
// (a write also ends the odd sequence, so a caller that rewrites does not
// need Repair). Repair does nothing while a live process holds the
// writers' lock, and must not run while a single writer is writing.
func (s *Seqlock) Repair() bool {
	if ok, _ := s.lock.TryLock(); !ok {
		return false
	}
	defer s.lock.Unlock()
	seq := s.seq.Load()
	if seq&1 == 0 || alive(s.writer.Load()) {
		return false
	}
	return s.seq.CompareAndSwap(seq, seq+1)
}

// readWait is the state of a read that had to retry.
type readWait struct {
	tries     int
	odd       uint64    // the odd sequence being waited out
	oddSince  time.Time // when it was first seen
	lastCheck time.Time // of the writer's liveness
}

// deadWriterAfter is how long a write must stay in progress before a
// reader checks whether its writer is alive.
const deadWriterAfter = time.Millisecond

// readWait paces a read that saw seq (odd, or changed under the copy): it
// spins, then yields, then sleeps, and fails when the writer has died or
// ctx is done.
func (s *Seqlock) readWait(ctx context.Context, w *readWait, seq uint64) error {
	w.tries++
	if w.tries < 64 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if seq&1 == 1 {
		now := time.Now()
		switch {
		case seq != w.odd:
			w.odd, w.oddSince = seq, now
		case now.Sub(w.oddSince) >= deadWriterAfter && now.Sub(w.lastCheck) >= deadWriterAfter:
			w.lastCheck = now
			if pid, dead := s.writerDead(); dead && s.seq.Load() == seq {
				return fmt.Errorf("%w (pid %d)", ErrWriterDead, pid)
			}
		}
	}
	if w.tries < 256 {
		runtime.Gosched()
	} else {
		time.Sleep(50 * time.Microsecond)
	}
	return nil
}

// writerDead reports whether the process writing the record is dead, with
// its pid: neither the recorded writer nor the lock's holder (a writer
// that has just taken over) is alive.
func (s *Seqlock) writerDead() (int, bool) {
	w := s.writer.Load()
	if alive(w) {
		return 0, false
	}
	if v := s.lock.word.Load(); uint32(v) != 0 && alive(v) {
		return 0, false
	}
	if pid := pidOf(w); pid != 0 {
		return pid, true
	}
	return int(w >> 32), true // abandoned: the pid is in the high half
}

func (s *Seqlock) seqPtr() *uint64 { return (*uint64)(unsafe.Pointer(&s.seq)) }

// Record is a value of type T guarded by a Seqlock, for shared memory:
// place it with shm.View[shmsync.Record[T]], which refuses a T that cannot
// live there. T should be a plain fixed-size struct; its zero value is the
// record's initial value. Each record is written either with Store/Write
// (any number of writer processes) or with StoreSingle/WriteSingle (one
// writer at a time by arrangement), never both; see Seqlock.
type Record[T any] struct {
	lock Seqlock
	val  T
}

// Load returns a consistent copy of the record: the value as the last
// completed write left it. It waits out a write in progress; it returns
// an error matching ErrWriterDead, and the zero T, when that write's
// writer has died (until the record is rewritten or repaired).
func (r *Record[T]) Load() (T, error) {
	var v T
	if err := r.Read(&v); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// Read is Load into *dst, which spares a large record a copy. On error
// *dst holds no meaningful value.
func (r *Record[T]) Read(dst *T) error {
	seq := r.lock.seq.Load()
	if seq&1 == 0 {
		*dst = r.val
		order.AcquireFence()
		if r.lock.seq.Load() == seq {
			return nil
		}
	}
	return r.ReadContext(context.Background(), dst)
}

// ReadContext is Read that gives up when ctx is done, returning ctx.Err().
func (r *Record[T]) ReadContext(ctx context.Context, dst *T) error {
	return r.lock.Read(ctx, func() { *dst = r.val })
}

// Store replaces the record with v, taking the writers' lock. It returns
// an error matching ErrOwnerDead when it took the lock over from a writer
// that died: v has then repaired the record, and the error is only news.
func (r *Record[T]) Store(v T) error {
	return r.Write(func(p *T) { *p = v })
}

// Write updates the record in place: fn gets a pointer into shared memory
// and must only change the record through it, without keeping it. It
// returns an error matching ErrOwnerDead when the previous writer died in
// the middle of a write: fn's update is done, but it was applied to a
// record that may have been half-written, which the caller should check
// (or rewrite with Store). If fn panics, the write is abandoned: readers
// fail with ErrWriterDead and the next writer gets ErrOwnerDead.
func (r *Record[T]) Write(fn func(v *T)) error {
	err := r.lock.BeginWrite()
	done := false
	defer func() {
		if !done {
			r.lock.abandon(true)
		}
	}()
	fn(&r.val)
	done = true
	if uerr := r.lock.EndWrite(); uerr != nil {
		return uerr
	}
	return err
}

// StoreSingle replaces the record with v, by its only writer (see
// BeginWriteSingle).
func (r *Record[T]) StoreSingle(v T) {
	r.lock.begin()
	r.val = v
	r.lock.end()
}

// WriteSingle updates the record in place, by its only writer (see
// BeginWriteSingle and Write). If fn panics, the write is abandoned:
// readers fail with ErrWriterDead until the next write.
func (r *Record[T]) WriteSingle(fn func(v *T)) {
	r.lock.begin()
	done := false
	defer func() {
		if !done {
			r.lock.abandon(false)
		}
	}()
	fn(&r.val)
	done = true
	r.lock.end()
}

// Repair is Seqlock.Repair for the record's lock.
func (r *Record[T]) Repair() bool { return r.lock.Repair() }
