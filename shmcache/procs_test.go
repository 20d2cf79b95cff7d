package shmcache

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shmcache-ttl", ttlHelper)
	testproc.Register("shmcache-filler", fillerHelper)
}

// TestAttachReadOnly: a tool attaches to a running process's cache by pid
// and name, read-only: it reads entries and figures, writes nothing (not
// even hit counts or read marks) and is refused every write.
func TestAttachReadOnly(t *testing.T) {
	c := newTest(t, Options{Name: "tool", Size: 1 << 20})
	for i := range 100 {
		c.Set(key(i), value(i, 0, 100), 0)
	}
	r, err := Attach(os.Getpid(), "tool")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before := c.Stats()
	for i := range 100 {
		if v, ok := r.Get(key(i)); !ok || !bytes.Equal(v, value(i, 0, 100)) {
			t.Fatalf("read-only Get %d: %v %q", i, ok, v)
		}
	}
	if err := r.Set(key(0), nil, 0); !errors.Is(err, ErrReadOnly) || !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Set in a read-only cache = %v", err)
	}
	if _, err := r.Incr(key(0), 1, 0); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Incr in a read-only cache = %v", err)
	}
	if err := r.Check(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Check in a read-only cache = %v", err)
	}
	n := 0
	if err := r.Range(func(k, v []byte) bool { n++; return true }); err != nil || n != 100 {
		t.Fatalf("read-only Range saw %d entries: %v", n, err)
	}
	after := r.Stats()
	if after.Entries != 100 || after.Hits != before.Hits || after.Sets != before.Sets {
		t.Fatalf("read-only stats %+v, before %+v", after, before)
	}
	mustCheck(t, c)
}

// TestExpiryAcrossProcesses: entries another process stored with a time
// to live read as absent once it has passed, and the sweep of one bucket
// per write reclaims every one of them within as many writes as a stripe
// has buckets, counting each once.
func TestExpiryAcrossProcesses(t *testing.T) {
	c := newTest(t, Options{Name: "ttl", Size: MinSize, Stripes: 1, Entries: 64})
	cmd := testproc.Command(t, "shmcache-ttl")
	if err := c.ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	stop, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	testproc.StartReady(t, cmd, "R")
	set := time.Now() // the entries were stored before this: they expire before set+ttlHelperTTL
	for i := range 50 {
		if _, ok := c.Get(key(i)); !ok {
			t.Fatalf("key %d missing before its expiry", i)
		}
	}
	time.Sleep(time.Until(set.Add(ttlHelperTTL + 50*time.Millisecond)))
	for i := range 50 {
		if _, ok := c.Get(key(i)); ok != (i >= 40) {
			t.Fatalf("key %d after its time to live: present %v", i, ok)
		}
	}
	stop.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 50 || c.Stats().Expirations != 0 {
		t.Fatalf("expired entries reclaimed without a write: Len %d", c.Len())
	}
	for range c.g.buckets {
		if err := c.Set([]byte("writer"), []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Stats(); s.Expirations != 40 || c.Len() != 11 {
		t.Fatalf("after %d writes: %d expirations, Len %d; want 40 and 11", c.g.buckets, s.Expirations, c.Len())
	}
	mustCheck(t, c)
}

// ttlHelperTTL is the time to live of ttlHelper's entries: long enough
// for the test to see them before they expire, even under -race.
const ttlHelperTTL = time.Second

// ttlHelper stores keys 0-39 with a time to live of ttlHelperTTL, 40-49
// without, says "R" and waits for its standard input to close.
func ttlHelper([]string) int {
	c, err := Inherited("ttl")
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	for i := range 50 {
		ttl := ttlHelperTTL
		if i >= 40 {
			ttl = 0
		}
		if err := c.Set(key(i), value(i, 0, 20), ttl); err != nil {
			return fail(err)
		}
	}
	fmt.Println("R")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestEvictionAcrossProcesses: two processes fill a small cache far past
// its size at the same time; every write succeeds and each entry is
// either readable with its value or counted as evicted, exactly.
func TestEvictionAcrossProcesses(t *testing.T) {
	const perProc = 10000
	c := newTest(t, Options{Name: "fill", Size: 256 << 10, Stripes: 2, PageSize: 4096})
	var cmds []*exec.Cmd
	for p := range 2 {
		cmd := testproc.Command(t, "shmcache-filler", strconv.Itoa(p), strconv.Itoa(perProc))
		if err := c.ShareWith(cmd); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("filler %d: %v", p, err)
		}
	}
	s := c.Stats()
	present := 0
	for p := range 2 {
		for i := range perProc {
			if v, ok := c.Get(killKey(p, i)); ok {
				present++
				if !bytes.Equal(v, killValue(p, i, 1)) {
					t.Fatalf("key %d/%d: wrong value", p, i)
				}
			}
		}
	}
	t.Logf("%d sets, %d evictions, %d entries kept", s.Sets, s.Evictions, s.Entries)
	if s.Sets != 2*perProc || s.Evictions+uint64(s.Entries) != 2*perProc || int64(present) != s.Entries || s.Evictions == 0 {
		t.Fatalf("sets %d, evictions %d, entries %d, readable %d", s.Sets, s.Evictions, s.Entries, present)
	}
	mustCheck(t, c)
}

// fillerHelper stores args[1] keys of process args[0].
func fillerHelper(args []string) int {
	n := intArgs(args)
	c, err := Inherited("fill")
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	for i := range n[1] {
		if err := c.Set(killKey(n[0], i), killValue(n[0], i, 1), 0); err != nil {
			return fail(err)
		}
	}
	return 0
}
