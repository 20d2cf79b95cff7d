package shm

import (
	"os/exec"
	"testing"
)

// TestPoolReuse checks that Free keeps a default segment for reuse, that
// the reused one is zeroed and its header carries the next generation,
// and that a segment once shared or altered is never reused.
func TestPoolReuse(t *testing.T) {
	Trim()
	a, err := Alloc(3 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	h1, err := a.Header()
	if err != nil {
		t.Fatal(err)
	}
	base := a.base
	a.Bytes()[2*pageSize] = 9
	a.Free()
	b, err := Alloc(3 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	if b.base != base || pooledCount() != 0 {
		t.Fatal("freed segment was not reused")
	}
	h2, err := b.Header()
	if err != nil {
		t.Fatal(err)
	}
	if h2.Generation != h1.Generation+1 {
		t.Fatalf("reused segment's generation %d, want %d", h2.Generation, h1.Generation+1)
	}
	checkZero(t, b)

	for name, change := range map[string]func(*Segment){
		"protected": func(s *Segment) { s.Protect(ProtRead) },
		"locked":    func(s *Segment) { s.Lock() },
		"shared":    func(s *Segment) { s.ShareWith(exec.Command("true")) },
	} {
		c, _ := Alloc(3 * pageSize)
		change(c)
		c.Free()
		if n := pooledCount(); n != 0 {
			t.Fatalf("a %s segment was kept for reuse", name)
		}
	}
}

func pooledCount() int {
	pool.Lock()
	defer pool.Unlock()
	return len(pool.free)
}

// TestPoolReuseAnonymous checks that Map's plain shared anonymous
// segments are reused zeroed, and that other mappings are not kept.
func TestPoolReuseAnonymous(t *testing.T) {
	Trim()
	plain := Options{Size: 3 * pageSize, Prot: rw, Flags: Shared | Anonymous}
	a, err := Map(plain)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Bytes() {
		a.Bytes()[i] = 0xCD
	}
	a.Free()
	if pooledCount() != 1 {
		t.Fatal("plain shared anonymous segment was not kept")
	}
	b, err := Map(plain)
	if err != nil {
		t.Fatal(err)
	}
	if pooledCount() != 0 {
		t.Fatal("kept segment was not reused")
	}
	checkZero(t, b)
	b.Free()
	Trim()
	for _, o := range []Options{
		{Size: pageSize, Prot: rw, Flags: Private | Anonymous},
		{Size: pageSize, Prot: ProtRead, Flags: Shared | Anonymous},
		{Size: pageSize, Prot: rw, Flags: Shared, DevZero: true},
		{Size: pageSize, Prot: rw, Flags: Shared | Anonymous | Locked},
	} {
		s, err := Map(o)
		if err != nil {
			t.Fatal(err)
		}
		s.Free()
		if pooledCount() != 0 {
			t.Fatalf("%v %v segment was kept for reuse", o.Flags, o.Prot)
		}
	}
}
