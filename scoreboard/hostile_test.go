package scoreboard

import (
	"bytes"
	"os"
	"testing"
)

// FuzzHostileSegment writes arbitrary bytes over a whole scoreboard, as a
// compromised worker could, and checks that neither the master's nor a
// tool's Snapshot panics or reports what cannot be true (the class of
// CVE-2021-21703): the master keeps its own pool identity and pids, counts
// stay within pm.max_children, and every slot is either valid or flagged.
func FuzzHostileSegment(f *testing.F) {
	f.Add([]byte{0})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add(bytes.Repeat([]byte{1, 0, 0, 0}, 300))
	f.Add(bytes.Repeat([]byte{0x41}, 1500))
	valid := newFuzzBoard(f)
	valid.Started(0, os.Getpid())
	w, err := valid.Slot(0)
	if err != nil {
		f.Fatal(err)
	}
	w.ReadingHeaders()
	w.RequestInfo(RequestInfo{Method: "GET", URI: "/x", Query: "a=1"})
	f.Add(bytes.Clone(valid.Segment().Bytes()))
	valid.Close()

	f.Fuzz(func(t *testing.T, junk []byte) {
		if len(junk) == 0 {
			return
		}
		b := newFuzzBoard(t)
		defer b.Close()
		mem := b.Segment().Bytes()
		for i := range mem {
			mem[i] = junk[i%len(junk)]
		}
		snap, err := b.Snapshot(true)
		if err != nil {
			t.Fatal(err)
		}
		checkBounded(t, snap, 3)
		if snap.Pool.Name != "www" || snap.Pool.PM != Static || len(snap.Procs) != 3 {
			t.Fatalf("master's own facts changed: pool %q pm %v, %d procs", snap.Pool.Name, snap.Pool.PM, len(snap.Procs))
		}
		for i, p := range snap.Procs {
			if p.PID != 1000+i {
				t.Fatalf("slot %d reported pid %d, the master started %d", i, p.PID, 1000+i)
			}
		}
		if tool, err := Open(b.Segment()); err == nil {
			snap, err := tool.Snapshot(true)
			if err != nil {
				t.Fatal(err)
			}
			checkBounded(t, snap, 3)
		}
	})
}

func newFuzzBoard(t testing.TB) *Board {
	b, err := New(Config{Pool: "www", PM: Static, MaxChildren: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		slot, _ := b.AllocSlot()
		b.Started(slot, 1000+i)
	}
	return b
}

// checkBounded asserts what must hold of any snapshot, whatever the
// segment holds.
func checkBounded(t *testing.T, snap Snapshot, slots int) {
	t.Helper()
	p := snap.Pool
	if p.Idle < 0 || p.Active < 0 || p.Idle+p.Active > slots || p.MaxActive > slots || p.MaxChildren != slots {
		t.Fatalf("pool counts out of bounds: %+v", p)
	}
	if len(snap.Procs) > slots || len(snap.Procs) != p.Idle+p.Active {
		t.Fatalf("%d procs for %d idle and %d active", len(snap.Procs), p.Idle, p.Active)
	}
	for _, pr := range snap.Procs {
		if pr.Invalid != "" {
			continue
		}
		if !pr.Stage.Valid() || len(pr.Method) >= methodLen || len(pr.URI) >= uriLen || len(pr.Query) >= queryLen ||
			len(pr.Script) >= scriptLen || len(pr.User) >= userLen || pr.Duration < 0 || pr.ContentLength < 0 || pr.PID < 0 {
			t.Fatalf("slot %d accepted as valid: %+v", pr.Slot, pr)
		}
	}
}
