package shmcache

import (
	"bytes"
	"encoding/binary"
	"os"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// deadOwner is a lock word naming a process that cannot exist (a pid above
// the kernel's maximum): what a lock looks like once its holder died.
const deadOwner = 777<<32 | (1<<22 + 12345)

// crashAt runs op in a goroutine that freezes for good at crash point
// point, as if its process had been killed there, and then makes every
// stripe lock it holds look held by a dead process. It fails the test if
// op ends without reaching the point.
func crashAt(t *testing.T, c *Cache, point int, op func()) {
	t.Helper()
	frozen := make(chan struct{})
	done := make(chan struct{})
	crashHook = func(p int) {
		if p == point {
			crashHook = nil
			close(frozen)
			select {} // the "killed" writer never runs again
		}
	}
	go func() { op(); close(done) }()
	select {
	case <-frozen:
	case <-done:
		crashHook = nil
		t.Fatalf("crash point %s was not reached", crashNames[point])
	case <-time.After(10 * time.Second):
		t.Fatalf("crash point %s was not reached in 10s", crashNames[point])
	}
	for s := range uint64(c.g.stripes) {
		st := c.stripe(s)
		if st.lock.Owner() == os.Getpid() {
			atomic.StoreUint64((*uint64)(unsafe.Pointer(&st.lock)), deadOwner)
		}
	}
}

// TestRepairCompletesInterruptedWrites stops a writer for good at each
// crash point, as a SIGKILL would, and checks that the next process to
// use the stripe repairs it: the key reads as before or after the write,
// never torn or lost, the allocator is exact, and nothing is taken for
// damage. The kill matrix does the same with real processes, at random.
func TestRepairCompletesInterruptedWrites(t *testing.T) {
	k := []byte("the-key")
	old, new := bytes.Repeat([]byte{'o'}, 100), bytes.Repeat([]byte{'n'}, 300)
	for _, tc := range []struct {
		name   string
		point  int
		opts   Options
		setup  func(c *Cache)
		op     func(c *Cache)
		accept [][]byte // what the key may read as afterwards; nil: absent
	}{
		{name: "set, armed", point: cpArmed, setup: setOld, op: func(c *Cache) { c.Set(k, new, 0) }, accept: [][]byte{new}},
		{name: "set, published", point: cpPublished, setup: setOld, op: func(c *Cache) { c.Set(k, new, 0) }, accept: [][]byte{new}},
		{name: "set, filled", point: cpFilled, setup: setOld, op: func(c *Cache) { c.Set(k, new, 0) }, accept: [][]byte{old}},
		{name: "set, freeing", point: cpFreeing, setup: setOld, op: func(c *Cache) { c.Set(k, new, 0) }, accept: [][]byte{new}},
		{name: "delete, armed", point: cpArmed, setup: setOld, op: func(c *Cache) { c.Delete(k) }, accept: [][]byte{nil}},
		{name: "counter, armed", point: cpCounterArmed, setup: setCounter, op: func(c *Cache) { c.Incr(k, 5, 0) }, accept: [][]byte{counter(15)}},
		{name: "counter, torn", point: cpCounterTorn, setup: setCounter, op: func(c *Cache) { c.Incr(k, 5, 0) }, accept: [][]byte{counter(15)}},
		{name: "counter, written", point: cpCounterWritten, setup: setCounter, op: func(c *Cache) { c.Incr(k, 5, 0) }, accept: [][]byte{counter(15)}},
		{name: "evicting", point: cpEvicting, opts: Options{Size: MinSize, Stripes: 1, PageSize: 4096},
			setup: setOld, op: fillPast, accept: [][]byte{old, nil}},
		{name: "moving", point: cpMoving, opts: Options{Size: 1 << 20, Stripes: 1, Policy: Refuse, Entries: 64},
			setup: setOld, op: fillPast, accept: [][]byte{old}},
		{name: "repair, rolled", point: cpRepairRolled, setup: setCounter, op: func(c *Cache) {
			c.Incr(k, 5, 0) // its own crash point is not set: the lock is made dead below
		}, accept: [][]byte{counter(15)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o.Size == 0 {
				o = Options{Size: 1 << 20, Stripes: 1}
			}
			c := newTest(t, o)
			tc.setup(c)
			if tc.point == cpRepairRolled {
				// A writer killed at "counter, torn", then the repairer
				// killed in its repair: the third process repairs again.
				crashAt(t, c, cpCounterTorn, func() { tc.op(c) })
				crashAt(t, c, cpRepairRolled, func() { c.Get(k) })
			} else {
				crashAt(t, c, tc.point, func() { tc.op(c) })
			}
			got, ok := c.Get(k)
			if !ok {
				got = nil
			}
			accepted := false
			for _, a := range tc.accept {
				accepted = accepted || (a == nil) == !ok && bytes.Equal(a, got)
			}
			if !accepted {
				t.Fatalf("the key reads %v %q after the repair", ok, got)
			}
			mustCheck(t, c)
			if s := c.Stats(); s.Takeovers == 0 || s.Repairs == 0 || s.Corruptions != 0 || s.Resets != 0 {
				t.Fatalf("%d takeovers, %d repairs, %d corruptions, %d resets", s.Takeovers, s.Repairs, s.Corruptions, s.Resets)
			}
		})
	}
}

func setOld(c *Cache) {
	c.Set([]byte("the-key"), bytes.Repeat([]byte{'o'}, 100), 0)
}

func setCounter(c *Cache) {
	c.Set([]byte("the-key"), counter(10), 0)
}

func counter(n int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

// fillPast writes small entries until the crash point stops it.
func fillPast(c *Cache) {
	for i := range 100000 {
		c.Set(key(i), nil, 0)
	}
}
