package shmsync

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/shm"
)

func init() {
	testproc.Register("shmsync-contend", contendHelper)
}

// BenchmarkMutexLockUnlock is an uncontended Lock+Unlock of a Mutex in an
// Alloc'd segment; bench/run pairs it with FPM's C spinlock.
func BenchmarkMutexLockUnlock(b *testing.B) {
	seg, err := shm.Alloc(4096)
	if err != nil {
		b.Fatal(err)
	}
	defer seg.Free()
	m := view[Mutex](b, seg, 0)
	b.ResetTimer()
	for range b.N { // not b.Loop: its per-iteration bookkeeping is a memory round trip the C loop lacks
		m.Lock()
		m.Unlock()
	}
}

// BenchmarkAtomicAdd is atomic.Uint64.Add on a word in a segment; bench/run
// pairs it with C's __sync_fetch_and_add.
func BenchmarkAtomicAdd(b *testing.B) {
	seg, err := shm.Alloc(4096)
	if err != nil {
		b.Fatal(err)
	}
	defer seg.Free()
	c := view[atomic.Uint64](b, seg, 0)
	var sum uint64
	b.ResetTimer()
	for range b.N {
		sum += c.Add(1)
	}
	if sum == 0 {
		b.Fatal("no adds")
	}
}

// BenchmarkSeqlockRead256 is one consistent read (Record.Read) of a
// 256-byte record into a local buffer, no writer running.
func BenchmarkSeqlockRead256(b *testing.B) {
	seg, err := shm.Alloc(4096)
	if err != nil {
		b.Fatal(err)
	}
	defer seg.Free()
	r := view[Record[[256]byte]](b, seg, 0)
	var src [256]byte
	for i := range src {
		src[i] = byte(i)
	}
	r.StoreSingle(src)
	var buf [256]byte
	var sink byte
	b.ResetTimer()
	for range b.N {
		if err := r.Read(&buf); err != nil {
			b.Fatal(err)
		}
		sink += buf[255]
	}
	if sink == 0 && buf[1] != 1 {
		b.Fatal("wrong record")
	}
}

// contended is the state BenchmarkMutexContended2Proc shares with its
// helper: the lock and the counter it guards on one cache line, the start
// flags on another.
type contended struct {
	lock    Mutex
	counter uint64
	_       [48]byte
	ready   atomic.Uint32
	start   atomic.Uint32
}

// BenchmarkMutexContended2Proc has two processes (this one and a helper)
// take the lock, increment a shared counter and release it, b.N times in
// all; ns/op is per lock+increment+unlock over both.
func BenchmarkMutexContended2Proc(b *testing.B) {
	seg := sharedSegment(b, 4096)
	c := view[contended](b, seg, 0)
	b.StopTimer()
	child := b.N / 2
	cmd := testproc.Command(b, "shmsync-contend", strconv.Itoa(child))
	shareWith(b, seg, cmd)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	for c.ready.Load() == 0 {
	}
	b.StartTimer()
	c.start.Store(1)
	lockIncUnlock(c, b.N-child)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("helper: %v", err)
	}
	b.StopTimer()
	if c.counter != uint64(b.N) {
		b.Fatalf("counter = %d, want %d: the lock failed", c.counter, b.N)
	}
}

func lockIncUnlock(c *contended, n int) {
	for range n {
		c.lock.Lock()
		c.counter++
		c.lock.Unlock()
	}
}

// contendHelper is the other process of BenchmarkMutexContended2Proc.
func contendHelper(args []string) int {
	c, err := childView[contended](4096, 0)
	if err != nil {
		return fail(err)
	}
	c.ready.Store(1)
	for c.start.Load() == 0 {
	}
	lockIncUnlock(c, intArgs(args)[0])
	return 0
}
