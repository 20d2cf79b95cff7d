package shmsync

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/order"
	"github.com/fpmshm/fpmshm/internal/sys"
)

// Mutex is a mutual-exclusion lock shared by processes: it lives in shared
// memory (place it with shm.View) and its zero value is an unlocked lock.
// It is 8 bytes, one word, and must be 8-byte aligned:
//
//	bits  0-30  pid of the holder; 0 when unlocked
//	bit   31    set when a process may be asleep waiting for the lock
//	bits 32-63  generation of the holder (its start time, low 32 bits)
//
// A word whose low half is 0 but whose high half is not is a lock that
// ReleaseOwner freed after its holder died; the high half is that pid, and
// the next locker gets ErrOwnerDead.
//
// The lock belongs to a process, not a goroutine: goroutines of one process
// exclude each other too, and any of them may unlock what another locked.
//
// When the holder dies, the next Lock (or TryLock, LockContext) notices,
// takes the lock over, and returns an error matching ErrOwnerDead: it then
// holds the lock, and must make the protected data consistent before
// Unlock, exactly as with POSIX robust mutexes. A locker waiting for a dead
// holder notices within PollInterval plus the time to read
// /proc/<pid>/stat.
//
// Memory ordering: Lock, TryLock and LockContext acquire (a successful
// compare-and-swap); Unlock releases (a release store). Everything a
// process wrote before Unlock is visible to the process whose Lock takes
// the lock next. A takeover acquires too, but what the dead holder wrote is
// only as complete as it got.
//
// Unlock without waiters is a load and a plain store, as cheap as FPM's
// spinlock. A locker that announces itself (sets the wait bit) between
// that load and that store and falls asleep in the same instant is not
// woken by that Unlock; it wakes at its next poll, at most PollInterval
// later. This is a rare delay, never a deadlock.
//
// The word is only as trustworthy as the processes that map it: one that
// scribbles on it can wedge or break the lock. Callers that must not stall
// on a misbehaving process use LockContext.
type Mutex struct {
	word atomic.Uint64
}

// PollInterval is how long a waiting locker sleeps at most before checking
// that the holder is alive (and that a wake-up was not missed).
const PollInterval = 5 * time.Millisecond

// A locker that finds the word held looks at it again, without sleeping,
// up to spinLimit times and for up to spinTime, before it sleeps on the
// futex: a critical section between processes is often over in a few
// hundred nanoseconds to a few microseconds, less than a sleep and a
// wake-up cost. The count bounds the spin where the clock is slow to read.
const (
	spinLimit = 20000
	spinTime  = 20 * time.Microsecond
)

// futexWaits counts this process's sleeps on a lock's futex: the tests
// check with it that a short wait spins rather than sleeps.
var futexWaits atomic.Uint64

// Lock locks m, waiting as long as it takes. It spins briefly, then sleeps
// on a futex on the lock word. It returns nil, or, when it took the lock
// over from a process that died holding it, an *OwnerDeadError matching
// ErrOwnerDead; either way m is then held by this process.
func (m *Mutex) Lock() error {
	if m.word.CompareAndSwap(0, self) {
		return nil
	}
	return m.lockSlow(nil, time.Time{})
}

// LockContext is Lock that gives up when ctx is done, returning ctx.Err()
// without the lock. Cancellation is noticed at once on Linux; a deadline
// is honoured to within about a millisecond.
func (m *Mutex) LockContext(ctx context.Context) error {
	if m.word.CompareAndSwap(0, self) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline, _ := ctx.Deadline()
	return m.lockSlow(ctx, deadline)
}

// LockTimeout is Lock that gives up after d, returning an error matching
// context.DeadlineExceeded without the lock: LockContext with a timeout,
// without the context's allocations, for callers that lock often and must
// never wait long for a process that holds a lock and does not let go.
func (m *Mutex) LockTimeout(d time.Duration) error {
	if m.word.CompareAndSwap(0, self) {
		return nil
	}
	return m.lockSlow(nil, time.Now().Add(max(d, 0)))
}

// TryLock locks m if that needs no waiting, as FPM's try_once: it reports
// whether m is now held by this process. If m is held by a process that
// has died, TryLock takes it over and returns true with an *OwnerDeadError;
// finding that out costs a read of /proc/<pid>/stat, so a TryLock that
// fails because another process holds m takes a few microseconds.
func (m *Mutex) TryLock() (bool, error) {
	if m.word.CompareAndSwap(0, self) {
		return true, nil
	}
	return m.tryLockSlow()
}

// Unlock unlocks m. It returns ErrNotOwner, changing nothing, when m is not
// held by this process. With no process waiting it is one release store;
// otherwise it also wakes one waiter.
func (m *Mutex) Unlock() error {
	if m.word.Load() == self {
		order.StoreRelease64((*uint64)(unsafe.Pointer(m)), 0) // word is m's only field
		return nil
	}
	return m.unlockSlow()
}

// Owner returns the pid of the process holding m, or 0 when m is free.
func (m *Mutex) Owner() int { return pidOf(m.word.Load()) }

// ReleaseOwner unlocks every lock among locks that process pid holds, if
// that process is no longer alive, so that the next Lock of each returns
// ErrOwnerDead at once instead of after PollInterval: the master calls it
// right after reaping a worker, as nginx does. It returns how many locks
// it released. A lock whose holder has pid but is alive (a new process that
// reused the pid) is left alone.
func ReleaseOwner(pid int, locks ...*Mutex) int {
	if pid <= 0 || pid > pidMask {
		return 0
	}
	n := 0
	for _, m := range locks {
		if m.releaseDead(pid) {
			n++
		}
	}
	return n
}

// releaseDead frees m if a dead process pid holds it.
func (m *Mutex) releaseDead(pid int) bool {
	for {
		v := m.word.Load()
		if uint32(v) == 0 || pidOf(v) != pid || alive(v) {
			return false
		}
		if m.word.CompareAndSwap(v, uint64(pid)<<32) {
			m.releaseWake()
			return true
		}
	}
}

// releaseWake wakes every process asleep on m: it was released for a
// takeover, and any of them may take it.
func (m *Mutex) releaseWake() { sys.FutexWake(m.futex(), math.MaxInt32) }

// lockSlow waits for m: spin (see spinLimit), then sleep on the futex,
// checking the holder's liveness every PollInterval, until deadline
// unless it is zero. A deadline, or a cancellation, that comes during the
// spin is noticed after it, at most spinTime late.
// ctx may be nil.
func (m *Mutex) lockSlow(ctx context.Context, deadline time.Time) error {
	var (
		slept     bool                    // once asleep, take the lock with waitBit set
		spinStart time.Time               // read after the first 64 looks
		lastCheck time.Time               // of the holder's liveness
		backoff   = 50 * time.Microsecond // without futexes
	)
	if ctx != nil {
		if ctx.Done() != nil {
			// Wake every sleeper on cancellation; the others go back to sleep.
			stop := context.AfterFunc(ctx, func() { sys.FutexWake(m.futex(), math.MaxInt32) })
			defer stop()
		}
	}
	for spin := 0; ; spin++ {
		v := m.word.Load()
		if uint32(v) == 0 { // free, or released after its holder died
			want := self
			if slept {
				want |= waitBit // there may be other sleepers to wake
			}
			if m.word.CompareAndSwap(v, want) {
				return ownerDead(v)
			}
			continue
		}
		if spin < spinLimit && !slept {
			if spin%64 != 63 {
				continue
			}
			if spinStart.IsZero() {
				spinStart = time.Now()
				continue
			}
			if time.Since(spinStart) < spinTime {
				continue
			}
			spin = spinLimit // spun for long enough
		}
		if ctx != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			return context.DeadlineExceeded
		}
		if lastCheck.IsZero() {
			lastCheck = now
		} else if now.Sub(lastCheck) >= PollInterval {
			lastCheck = now
			if !alive(v) && m.word.CompareAndSwap(v, self|waitBit) {
				return &OwnerDeadError{PID: pidOf(v)}
			}
			continue
		}
		if v&waitBit == 0 && !m.word.CompareAndSwap(v, v|waitBit) {
			continue
		}
		wait := PollInterval
		if !deadline.IsZero() {
			wait = max(min(wait, time.Until(deadline)), time.Microsecond)
		}
		if sys.HaveFutex {
			futexWaits.Add(1)
			sys.FutexWait(m.futex(), uint32(v|waitBit), wait)
		} else {
			time.Sleep(min(wait, backoff))
			backoff = min(2*backoff, time.Millisecond)
		}
		slept = true
	}
}

// tryLockSlow is TryLock when m is not simply free.
func (m *Mutex) tryLockSlow() (bool, error) {
	for {
		v := m.word.Load()
		if uint32(v) == 0 {
			if m.word.CompareAndSwap(v, self) {
				return true, ownerDead(v)
			}
			continue
		}
		if v&^waitBit == self || alive(v) {
			return false, nil
		}
		if m.word.CompareAndSwap(v, self|v&waitBit) {
			return true, &OwnerDeadError{PID: pidOf(v)}
		}
	}
}

// unlockSlow is Unlock when waiters may sleep, or m is not ours.
func (m *Mutex) unlockSlow() error {
	v := m.word.Load()
	if v != self|waitBit {
		if pid := pidOf(v); pid != 0 {
			return fmt.Errorf("%w (held by pid %d)", ErrNotOwner, pid)
		}
		return fmt.Errorf("%w (not locked)", ErrNotOwner)
	}
	m.word.Store(0)
	sys.FutexWake(m.futex(), 1)
	return nil
}

// ownerDead returns the error for taking over a free word v: nil for an
// unlocked word, an *OwnerDeadError for one ReleaseOwner freed.
func ownerDead(v uint64) error {
	if v == 0 {
		return nil
	}
	return &OwnerDeadError{PID: int(uint32(v >> 32))}
}

// ptr returns the word as a *uint64.
func (m *Mutex) ptr() *uint64 { return (*uint64)(unsafe.Pointer(&m.word)) }

// futex returns the low 32 bits of the word, which waiters sleep on.
func (m *Mutex) futex() *uint32 {
	return (*uint32)(unsafe.Add(unsafe.Pointer(&m.word), futexOffset))
}
