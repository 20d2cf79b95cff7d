package shmcache_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"time"

	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/shmcache"
)

// The master makes the cache; the workers it starts share it.
func ExampleNew() {
	c, err := shmcache.New(shmcache.Options{Name: "pages", Size: 8 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s := c.Stats()
	fmt.Println(c.Segment().Name(), s.Stripes, "stripes,", s.PageSize, "byte pages, policy", s.Policy)
	// Output:
	// cache.pages 8 stripes, 16384 byte pages, policy evict
}

// The master hands the cache to a worker it is about to start.
func ExampleCache_ShareWith() {
	c, err := shmcache.New(shmcache.Options{Name: "pages", Size: 1 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	cmd := exec.Command("/usr/local/bin/worker")
	cmd.Env = []string{"PATH=/usr/bin"}
	if err := c.ShareWith(cmd); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cmd.Env[1])
	// Then cmd.Start(); the worker calls shmcache.Inherited("pages").

	// Output:
	// FPMSHM_SEGMENTS=cache.pages:3:1048576
}

// A worker takes up the cache its master handed it.
func ExampleInherited() {
	c, err := shmcache.Inherited("pages")
	if errors.Is(err, shm.ErrNotInherited) {
		fmt.Println("not started by a master with a cache called pages")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// Output:
	// not started by a master with a cache called pages
}

// A tool reads a running program's cache, read-only.
func ExampleAttach() {
	c, err := shmcache.New(shmcache.Options{Name: "sessions", Size: 1 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Set([]byte("session:42"), []byte("alice"), 0)

	tool, err := shmcache.Attach(os.Getpid(), "sessions") // the program's pid
	if err != nil {
		log.Fatal(err)
	}
	defer tool.Close()
	v, ok := tool.Get([]byte("session:42"))
	fmt.Println(string(v), ok, tool.Stats().Entries)
	fmt.Println(tool.Set([]byte("session:43"), []byte("bob"), 0))
	// Output:
	// alice true 1
	// shmcache: set in "cache.sessions": cache is read-only in this process
}

// Open takes up a cache segment obtained by other means than Inherited
// or Attach.
func ExampleOpen() {
	c, err := shmcache.New(shmcache.Options{Name: "open", Size: 1 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Set([]byte("k"), []byte("v"), 0)
	seg, err := shm.Attach(os.Getpid(), shmcache.SegmentName("open"), true)
	if err != nil {
		log.Fatal(err)
	}
	o, err := shmcache.Open(seg)
	if err != nil {
		log.Fatal(err)
	}
	defer o.Close()
	v, _ := o.Get([]byte("k"))
	fmt.Println(string(v))
	// Output:
	// v
}

func newExample() *shmcache.Cache {
	c, err := shmcache.New(shmcache.Options{Name: "example", Size: 1 << 20})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func ExampleCache_Set() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("greeting"), []byte("hello"), time.Minute)
	v, ok := c.Get([]byte("greeting"))
	fmt.Printf("%s %v\n", v, ok)
	err := c.Set([]byte("big"), make([]byte, 1<<20), 0)
	fmt.Println(errors.Is(err, shmcache.ErrTooLarge))
	// Output:
	// hello true
	// true
}

func ExampleCache_Get() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("k"), []byte("value"), 0)
	v, ok := c.Get([]byte("k"))
	fmt.Printf("%s %v\n", v, ok)
	_, ok = c.Get([]byte("absent"))
	fmt.Println(ok)
	// Output:
	// value true
	// false
}

// AppendGet reuses a buffer: no allocation per read.
func ExampleCache_AppendGet() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("a"), []byte("1"), 0)
	c.Set([]byte("b"), []byte("2"), 0)
	buf := make([]byte, 0, 64)
	for _, k := range []string{"a", "b"} {
		v, _ := c.AppendGet(buf[:0], []byte(k))
		fmt.Printf("%s=%s\n", k, v)
	}
	// Output:
	// a=1
	// b=2
}

func ExampleCache_Add() {
	c := newExample()
	defer c.Close()
	first, _ := c.Add([]byte("lock:job7"), []byte("worker 1"), 30*time.Second)
	second, _ := c.Add([]byte("lock:job7"), []byte("worker 2"), 30*time.Second)
	fmt.Println(first, second)
	// Output:
	// true false
}

func ExampleCache_CompareAndSwap() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("state"), []byte("idle"), 0)
	ok, _ := c.CompareAndSwap([]byte("state"), []byte("idle"), []byte("busy"), 0)
	again, _ := c.CompareAndSwap([]byte("state"), []byte("idle"), []byte("busy"), 0)
	fmt.Println(ok, again)
	// Output:
	// true false
}

func ExampleCache_Delete() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("k"), []byte("v"), 0)
	first, _ := c.Delete([]byte("k"))
	second, _ := c.Delete([]byte("k"))
	fmt.Println(first, second)
	// Output:
	// true false
}

// A page counter shared by every worker.
func ExampleCache_Incr() {
	c := newExample()
	defer c.Close()
	for range 3 {
		c.Incr([]byte("hits:/index"), 1, 0)
	}
	n, _ := c.Incr([]byte("hits:/index"), 1, 0)
	fmt.Println(n)
	// Output:
	// 4
}

func ExampleCache_Decr() {
	c := newExample()
	defer c.Close()
	c.Incr([]byte("tokens"), 10, time.Minute) // a bucket of 10, for a minute
	n, _ := c.Decr([]byte("tokens"), 3, 0)
	fmt.Println(n)
	// Output:
	// 7
}

func ExampleCache_Len() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("a"), nil, 0)
	c.Set([]byte("b"), nil, 0)
	fmt.Println(c.Len())
	// Output:
	// 2
}

func ExampleCache_Range() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("user:1"), []byte("alice"), 0)
	n := 0
	c.Range(func(key, value []byte) bool {
		fmt.Printf("%s=%s\n", key, value)
		n++
		return true
	})
	fmt.Println(n, "entry")
	// Output:
	// user:1=alice
	// 1 entry
}

func ExampleCache_Clear() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("a"), nil, 0)
	c.Clear()
	fmt.Println(c.Len())
	// Output:
	// 0
}

func ExampleCache_Stats() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("k"), []byte("v"), 0)
	c.Get([]byte("k"))
	c.Get([]byte("nope"))
	s := c.Stats()
	fmt.Println(s.Entries, s.Hits, s.Misses, s.Sets)
	// Output:
	// 1 1 1 1
}

// Check verifies the whole cache; Repair mends what it finds damaged.
func ExampleCache_Check() {
	c := newExample()
	defer c.Close()
	c.Set([]byte("k"), []byte("v"), 0)
	fmt.Println(c.Check())
	// Output:
	// <nil>
}

func ExampleCache_Repair() {
	c := newExample()
	defer c.Close()
	if err := c.Repair(); err != nil {
		var dmg *shmcache.DamageError
		if errors.As(err, &dmg) {
			fmt.Println("repaired stripes", dmg.Stripes)
		}
	}
	fmt.Println(c.Check())
	// Output:
	// <nil>
}

// Reset empties one stripe: the last resort against damage.
func ExampleCache_Reset() {
	c := newExample()
	defer c.Close()
	for i := range 100 {
		c.Set(fmt.Appendf(nil, "k%d", i), nil, 0)
	}
	for s := range c.Stripes() {
		c.Reset(s)
	}
	fmt.Println(c.Len(), c.Check())
	// Output:
	// 0 <nil>
}

// A master that reaps a worker frees the stripes it died holding.
func ExampleCache_ReleaseOwner() {
	c := newExample()
	defer c.Close()
	fmt.Println(c.ReleaseOwner(12345)) // a reaped worker's pid
	// Output:
	// 0
}

func ExampleSegmentName() {
	fmt.Println(shmcache.SegmentName("sessions"), shmcache.SegmentName("a/b c"))
	// Output:
	// cache.sessions cache.a_b_c
}

// A latency-bound service waits briefly for a stripe another process
// holds, then gives up with ErrBusy (a read reports a miss).
func ExampleCache_SetLockTimeout() {
	c := newExample()
	defer c.Close()
	c.SetLockTimeout(10 * time.Millisecond)
	err := c.Set([]byte("k"), []byte("v"), 0)
	fmt.Println(err, errors.Is(err, shmcache.ErrBusy))
	// Output:
	// <nil> false
}
