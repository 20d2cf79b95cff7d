package scoreboard

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func newBoard(t testing.TB, n int) *Board {
	t.Helper()
	b, err := New(Config{Pool: "www", PM: Dynamic, MaxChildren: n, ListenQueueLen: 511})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestRequestLifecycle drives one request through every stage and checks
// each against PHP-FPM's field semantics.
func TestRequestLifecycle(t *testing.T) {
	b := newBoard(t, 2)
	slot, err := b.AllocSlot()
	if err != nil {
		t.Fatal(err)
	}
	b.Started(slot, os.Getpid())
	w, err := b.Slot(slot)
	if err != nil {
		t.Fatal(err)
	}
	proc := func() (Pool, Proc) {
		t.Helper()
		snap, err := b.Snapshot(true)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Procs) != 1 {
			t.Fatalf("%d procs, want 1", len(snap.Procs))
		}
		p := snap.Procs[0]
		if p.Invalid != "" {
			t.Fatalf("slot invalid: %s", p.Invalid)
		}
		return snap.Pool, p
	}

	w.Accepting()
	pool, p := proc()
	if p.Stage != Idle || pool.Idle != 1 || pool.Active != 0 || p.Requests != 0 || p.PID != os.Getpid() {
		t.Fatalf("accepting: stage %v idle %d active %d requests %d pid %d", p.Stage, pool.Idle, pool.Active, p.Requests, p.PID)
	}

	w.ReadingHeaders()
	pool, p = proc()
	if p.Stage != ReadingHead || pool.Active != 1 || pool.Idle != 0 || p.Requests != 1 || pool.AcceptedConn != 1 || pool.MaxActive != 1 {
		t.Fatalf("reading headers: stage %v active %d requests %d accepted %d max active %d", p.Stage, pool.Active, p.Requests, pool.AcceptedConn, pool.MaxActive)
	}
	if p.Accepted.IsZero() || p.Method != "" {
		t.Fatalf("reading headers: accepted %v, method %q", p.Accepted, p.Method)
	}

	long := strings.Repeat("q", 600)
	w.RequestInfo(RequestInfo{Method: "POST", URI: "/index.php", Query: long, User: "alice", Script: "/srv/index.php", ContentLength: 42})
	_, p = proc()
	if p.Stage != GettingInfo || p.Method != "POST" || p.URI != "/index.php" || p.Query != long[:queryLen-1] ||
		p.User != "alice" || p.Script != "/srv/index.php" || p.ContentLength != 42 {
		t.Fatalf("request info: %+v", p)
	}
	if p.RequestURI() != "/index.php?"+long[:queryLen-1] {
		t.Fatalf("request URI %q", p.RequestURI())
	}

	w.Executing()
	time.Sleep(2 * time.Millisecond)
	_, p = proc()
	if p.Stage != Running || p.Duration < 2*time.Millisecond || p.LastCPU != 0 || p.LastMemory != 0 {
		t.Fatalf("running: stage %v duration %v cpu %v memory %d", p.Stage, p.Duration, p.LastCPU, p.LastMemory)
	}

	w.End(time.Millisecond, 2<<20)
	w.Finished()
	w.Accepting()
	pool, p = proc()
	if p.Stage != Idle || pool.Active != 0 || pool.Idle != 1 || pool.MemoryPeak != 2<<20 || p.LastMemory != 2<<20 {
		t.Fatalf("idle again: stage %v active %d memory peak %d last memory %d", p.Stage, pool.Active, pool.MemoryPeak, p.LastMemory)
	}
	if p.Duration < 2*time.Millisecond || p.LastCPU <= 0 || p.LastCPU > 50 {
		t.Fatalf("idle again: last duration %v, cpu %.2f%% (1 ms of CPU over it)", p.Duration, p.LastCPU)
	}
	if p.Method != "POST" {
		t.Fatalf("idle: last request's method %q lost", p.Method)
	}
}

// TestSlots checks allocation up to pm.max_children, ErrFull, and that a
// freed slot is zeroed and reused.
func TestSlots(t *testing.T) {
	b := newBoard(t, 3)
	for i := range 3 {
		slot, err := b.AllocSlot()
		if err != nil {
			t.Fatalf("slot %d: %v", i, err)
		}
		pid := 7000 + slot
		if slot == 1 {
			pid = os.Getpid()
		}
		b.Started(slot, pid)
	}
	if _, err := b.AllocSlot(); !errors.Is(err, ErrFull) {
		t.Fatalf("fourth slot: %v, want ErrFull", err)
	}
	w, err := b.Slot(1)
	if err != nil {
		t.Fatal(err)
	}
	w.ReadingHeaders()
	w.RequestInfo(RequestInfo{Method: "GET"})
	if err := b.FreeSlot(1); err != nil {
		t.Fatal(err)
	}
	snap, _ := b.Snapshot(true)
	if len(snap.Procs) != 2 || snap.Pool.Active != 0 || snap.Pool.Idle != 2 {
		t.Fatalf("after freeing an active slot: %d procs, %d active, %d idle", len(snap.Procs), snap.Pool.Active, snap.Pool.Idle)
	}
	if got := b.pool.active.Load(); got != 0 {
		t.Fatalf("pool active count %d after the active worker's slot was freed", got)
	}
	slot, err := b.AllocSlot()
	if err != nil || slot != 1 {
		t.Fatalf("reallocated slot %d, %v; want 1", slot, err)
	}
	if r := &b.procs[1]; r.requests != 0 || r.method[0] != 0 {
		t.Fatal("reused slot not zeroed")
	}
	if err := b.FreeSlot(7); !errors.Is(err, ErrSlot) {
		t.Fatalf("FreeSlot(7): %v, want ErrSlot", err)
	}
}

// TestMasterCounters checks the master's once-a-second updates.
func TestMasterCounters(t *testing.T) {
	b := newBoard(t, 1)
	b.SetListenQueue(5, 511)
	b.SetListenQueue(2, 511)
	b.AddMaxChildrenReached()
	b.AddSlowRequest()
	b.AddSlowRequest()
	snap, _ := b.Snapshot(false)
	p := snap.Pool
	if p.ListenQueue != 2 || p.MaxListenQueue != 5 || p.ListenQueueLen != 511 || p.MaxChildrenReached != 1 || p.SlowRequests != 2 {
		t.Fatalf("pool %+v", p)
	}
	if p.Name != "www" || p.PM != Dynamic || p.MaxChildren != 1 || time.Since(p.StartTime) > time.Minute {
		t.Fatalf("pool identity %+v", p)
	}
	// a worker overwriting the master's counters changes nothing the master reports
	b.pool.slowRequests.Store(1 << 60)
	if snap, _ := b.Snapshot(false); snap.Pool.SlowRequests != 2 {
		t.Fatalf("master reported a slow request count of %d written by another process", snap.Pool.SlowRequests)
	}
}

// TestOpenValidates checks a worker's or tool's view of the board.
func TestOpenValidates(t *testing.T) {
	b := newBoard(t, 4)
	o, err := Open(b.Segment())
	if err != nil {
		t.Fatal(err)
	}
	if o.MaxChildren() != 4 || o.name != "www" || o.pm != Dynamic {
		t.Fatalf("opened board: %d slots, pool %q, pm %v", o.MaxChildren(), o.name, o.pm)
	}
	b.pool.pm = 9
	if _, err := Open(b.Segment()); !errors.Is(err, ErrLayout) {
		t.Fatalf("open with pm 9: %v, want ErrLayout", err)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []Config{{Pool: "x", PM: Static, MaxChildren: 0}, {Pool: "x", PM: 7, MaxChildren: 1}, {Pool: "x", PM: Static, MaxChildren: MaxSlots + 1}} {
		if b, err := New(c); err == nil {
			b.Close()
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}
