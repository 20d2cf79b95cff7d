package shmsync

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
	"github.com/fpmshm/fpmshm/shm"
)

// guarded is a lock and the two counters it protects: a == b whenever
// the lock is free.
type guarded struct {
	lock Mutex
	a, b uint64
}

func newGuarded(t *testing.T) *guarded {
	t.Helper()
	seg, err := shm.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seg.Free() })
	return view[guarded](t, seg, 0)
}

// deadIdentity returns a lock word naming a process that cannot exist: a
// pid above the kernel's maximum (2^22).
func deadIdentity() uint64 { return identity(1<<22+12345, 777) }

func TestLayout(t *testing.T) {
	var m Mutex
	var s Seqlock
	var r Record[[3]uint64]
	for _, c := range []struct {
		what      string
		got, want uintptr
	}{
		{"Sizeof(Mutex)", unsafe.Sizeof(m), 8},
		{"Alignof(Mutex)", unsafe.Alignof(m), 8},
		{"Sizeof(Seqlock)", unsafe.Sizeof(s), 24},
		{"Offsetof(Seqlock.seq)", unsafe.Offsetof(s.seq), 0},
		{"Offsetof(Seqlock.writer)", unsafe.Offsetof(s.writer), 8},
		{"Offsetof(Seqlock.lock)", unsafe.Offsetof(s.lock), 16},
		{"Offsetof(Record.val)", unsafe.Offsetof(r.val), 24},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
	if pidOf(self) != os.Getpid() || self>>32 == 0 || self&waitBit != 0 {
		t.Errorf("self = %#x for pid %d", self, os.Getpid())
	}
}

func TestMutexExcludesGoroutines(t *testing.T) {
	g := newGuarded(t)
	const workers, rounds = 4, 20000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := g.lock.Lock(); err != nil {
					t.Error(err)
					return
				}
				if g.a != g.b {
					t.Errorf("a = %d, b = %d inside the lock", g.a, g.b)
				}
				g.a++
				g.b++
				if err := g.lock.Unlock(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if g.a != workers*rounds || g.b != g.a {
		t.Fatalf("a = %d, b = %d, want %d", g.a, g.b, workers*rounds)
	}
	if v := g.lock.word.Load(); v != 0 {
		t.Fatalf("lock word after the last Unlock = %#x, want 0", v)
	}
}

func TestTryLockAndUnlock(t *testing.T) {
	g := newGuarded(t)
	if ok, err := g.lock.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock of a free lock = %v, %v", ok, err)
	}
	if g.lock.Owner() != os.Getpid() {
		t.Fatalf("Owner = %d, want this process", g.lock.Owner())
	}
	if ok, err := g.lock.TryLock(); ok || err != nil {
		t.Fatalf("TryLock of a held lock = %v, %v; want false, nil", ok, err)
	}
	if err := g.lock.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := g.lock.Unlock(); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("Unlock of a free lock = %v, want ErrNotOwner", err)
	}
	// Held by another live process (pid 1, with its real start time).
	start, _, err := sys.ProcessStat(1)
	if err != nil {
		t.Skip(err)
	}
	other := identity(1, start)
	g.lock.word.Store(other)
	if ok, err := g.lock.TryLock(); ok || err != nil {
		t.Fatalf("TryLock of a lock held by live pid 1 = %v, %v; want false, nil", ok, err)
	}
	if err := g.lock.Unlock(); !errors.Is(err, ErrNotOwner) || g.lock.word.Load() != other {
		t.Fatalf("Unlock of another process's lock = %v, word %#x; want ErrNotOwner and no change", err, g.lock.word.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.lock.LockContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockContext of a lock held by live pid 1 = %v, want DeadlineExceeded", err)
	}
}

func TestLockContext(t *testing.T) {
	g := newGuarded(t)
	g.lock.Lock() // held by this process: another goroutine's LockContext waits
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := g.lock.LockContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockContext = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(begin); d < 30*time.Millisecond || d > 200*time.Millisecond {
		t.Errorf("LockContext with a 30ms timeout returned after %v", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	var cancelled time.Time
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancelled = time.Now()
		cancel()
	}()
	err := g.lock.LockContext(ctx)
	lag := time.Since(cancelled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("LockContext = %v, want Canceled", err)
	}
	t.Logf("cancellation noticed after %v", lag)
	if lag > 50*time.Millisecond {
		t.Errorf("cancellation noticed after %v", lag)
	}
	g.lock.Unlock()
}

// TestLockTimeout: LockTimeout takes a free lock without allocating, gives
// up on a lock a live process keeps, and takes over a dead holder's.
func TestLockTimeout(t *testing.T) {
	g := newGuarded(t)
	if allocs := testing.AllocsPerRun(100, func() {
		if err := g.lock.LockTimeout(time.Second); err != nil {
			t.Fatal(err)
		}
		g.lock.Unlock()
	}); allocs != 0 {
		t.Errorf("LockTimeout+Unlock of a free lock allocates %v times", allocs)
	}

	g.lock.Lock() // held by this process: LockTimeout waits, then gives up
	begin := time.Now()
	if err := g.lock.LockTimeout(30 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockTimeout of a held lock = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(begin); d < 30*time.Millisecond || d > 200*time.Millisecond {
		t.Errorf("LockTimeout(30ms) returned after %v", d)
	}
	g.lock.Unlock()

	g.lock.word.Store(deadIdentity())
	if err := g.lock.LockTimeout(time.Second); !errors.Is(err, ErrOwnerDead) {
		t.Fatalf("LockTimeout of a dead holder's lock = %v, want ErrOwnerDead", err)
	}
	if err := g.lock.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestLockSleepsAndIsWoken(t *testing.T) {
	g := newGuarded(t)
	g.lock.Lock()
	got := make(chan time.Time, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.lock.Lock()
		got <- time.Now()
		g.lock.Unlock()
	}()
	deadline := time.Now().Add(time.Second)
	for g.lock.word.Load()&waitBit == 0 { // the waiter announced it sleeps
		if time.Now().After(deadline) {
			t.Fatal("the waiter never set the wait bit")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(2 * time.Millisecond)
	unlocked := time.Now()
	if err := g.lock.Unlock(); err != nil {
		t.Fatal(err)
	}
	lag := (<-got).Sub(unlocked)
	<-done // the waiter has unlocked: the segment can be freed
	t.Logf("waiter woken %v after Unlock", lag)
	if lag >= PollInterval*4 {
		t.Errorf("waiter took %v to get the lock: the wake-up was lost", lag)
	}
}

func TestLockTakesOverDeadOwner(t *testing.T) {
	start, _, err := sys.ProcessStat(os.Getpid())
	if err != nil {
		t.Skip(err)
	}
	for _, c := range []struct {
		name  string
		owner uint64
	}{
		{"no such pid", deadIdentity()},
		{"pid reused by a later process", identity(os.Getpid(), start+1)},
		{"dead owner with sleepers", deadIdentity() | waitBit},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := newGuarded(t)
			g.lock.word.Store(c.owner)
			g.a = 1 // the dead owner was half-way through
			begin := time.Now()
			err := g.lock.Lock()
			took := time.Since(begin)
			var od *OwnerDeadError
			if !errors.As(err, &od) || !errors.Is(err, ErrOwnerDead) || od.PID != pidOf(c.owner) {
				t.Fatalf("Lock = %v, want *OwnerDeadError for pid %d", err, pidOf(c.owner))
			}
			if took > 100*time.Millisecond {
				t.Errorf("takeover took %v", took)
			}
			if g.lock.Owner() != os.Getpid() {
				t.Fatalf("after a takeover the owner is %d", g.lock.Owner())
			}
			g.b = g.a // repair
			if err := g.lock.Unlock(); err != nil {
				t.Fatal(err)
			}
			if err := g.lock.Lock(); err != nil {
				t.Fatalf("Lock after the repair = %v", err)
			}
			g.lock.Unlock()
		})
	}
	t.Run("TryLock", func(t *testing.T) {
		g := newGuarded(t)
		g.lock.word.Store(deadIdentity())
		ok, err := g.lock.TryLock()
		if !ok || !errors.Is(err, ErrOwnerDead) {
			t.Fatalf("TryLock of a dead owner's lock = %v, %v", ok, err)
		}
		g.lock.Unlock()
	})
	t.Run("LockContext", func(t *testing.T) {
		g := newGuarded(t)
		g.lock.word.Store(deadIdentity())
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := g.lock.LockContext(ctx); !errors.Is(err, ErrOwnerDead) {
			t.Fatalf("LockContext of a dead owner's lock = %v", err)
		}
		g.lock.Unlock()
	})
}

func TestReleaseOwner(t *testing.T) {
	dead := deadIdentity()
	pid := pidOf(dead)
	seg, err := shm.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Free()
	locks, err := shm.ViewSlice[Mutex](seg, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	locks[0].word.Store(dead)
	locks[1].word.Store(dead | waitBit)
	locks[3].word.Store(deadIdentity() + 1<<32) // same pid, other generation: also dead
	locks[4].Lock()
	if n := ReleaseOwner(pid, &locks[0], &locks[1], &locks[2], &locks[3], &locks[4]); n != 3 {
		t.Fatalf("ReleaseOwner released %d locks, want 3", n)
	}
	for i := range locks[:2] {
		if v := locks[i].word.Load(); v != uint64(pid)<<32 {
			t.Fatalf("lock %d after ReleaseOwner = %#x, want %#x", i, v, uint64(pid)<<32)
		}
		begin := time.Now()
		err := locks[i].Lock()
		if !errors.Is(err, ErrOwnerDead) || time.Since(begin) > 100*time.Millisecond {
			t.Fatalf("Lock of released lock %d = %v after %v, want ErrOwnerDead at once", i, err, time.Since(begin))
		}
		locks[i].Unlock()
	}
	if v := locks[2].word.Load(); v != 0 {
		t.Fatalf("free lock changed to %#x", v)
	}
	if ReleaseOwner(os.Getpid(), &locks[4]) != 0 || locks[4].Owner() != os.Getpid() {
		t.Fatal("ReleaseOwner released a lock held by a live process")
	}
	if ReleaseOwner(0, &locks[4]) != 0 || ReleaseOwner(-1) != 0 {
		t.Fatal("ReleaseOwner of a bad pid released something")
	}
}

// TestReleaseOwnerWakesSleeper has a goroutine asleep on a lock held by a
// dead process when ReleaseOwner frees it: the sleeper takes it at once,
// without waiting for its poll.
func TestReleaseOwnerWakesSleeper(t *testing.T) {
	g := newGuarded(t)
	g.lock.word.Store(self) // held by this process, so the waiter polls nothing
	done := make(chan error)
	go func() { done <- g.lock.Lock() }()
	for g.lock.word.Load()&waitBit == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	// Pretend this process's hold belonged to a dead one.
	g.lock.word.Store(deadIdentity() | waitBit)
	ReleaseOwner(pidOf(deadIdentity()), &g.lock)
	select {
	case err := <-done:
		if !errors.Is(err, ErrOwnerDead) {
			t.Fatalf("woken Lock = %v, want ErrOwnerDead", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the sleeper was not woken")
	}
}

// TestZombieOwnerIsDead: a holder that has exited but is not reaped yet is
// dead (kill(pid, 0) still succeeds on it).
func TestZombieOwnerIsDead(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	start, _, err := sys.ProcessStat(pid)
	if err != nil {
		t.Skip(err)
	}
	for i := 0; ; i++ {
		if _, state, _ := sys.ProcessStat(pid); state == 'Z' {
			break
		}
		if i > 1000 {
			t.Fatal("child never became a zombie")
		}
		time.Sleep(time.Millisecond)
	}
	if alive(identity(pid, start)) {
		t.Fatal("a zombie counts as alive")
	}
	if ok, _ := sys.ProcessExists(pid); !ok {
		t.Fatal("kill(pid, 0) fails on a zombie; the test proves nothing")
	}
}

func TestAlive(t *testing.T) {
	if !alive(self) || !alive(self|waitBit) {
		t.Fatal("this process is not alive")
	}
	if alive(0) || alive(deadIdentity()) || alive(uint64(os.Getpid())<<32) {
		t.Fatal("a dead identity is alive")
	}
	if !alive(identity(os.Getppid(), must(sys.ProcessStat(os.Getppid())))) {
		t.Fatal("the parent process is not alive")
	}
}

func must(start uint64, _ byte, err error) uint64 {
	if err != nil {
		panic(err)
	}
	return start
}
