package shmcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestSetGetDelete(t *testing.T) {
	c := newTest(t, Options{Size: 1 << 20})
	if _, ok := c.Get([]byte("absent")); ok {
		t.Fatal("hit on an empty cache")
	}
	for i := range 1000 {
		if err := c.Set(key(i), bytes.Repeat([]byte{byte(i)}, i%300), 0); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 1000 {
		t.Fatalf("Len = %d, want 1000", c.Len())
	}
	for i := range 1000 {
		v, ok := c.Get(key(i))
		if !ok || !bytes.Equal(v, bytes.Repeat([]byte{byte(i)}, i%300)) {
			t.Fatalf("key %d: %v %q", i, ok, v)
		}
	}
	// Overwrite with other sizes: the old chunks are freed.
	for i := range 1000 {
		if err := c.Set(key(i), bytes.Repeat([]byte{byte(i + 1)}, (i*7)%500), 0); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, c)
	for i := 0; i < 1000; i += 2 {
		if ok, err := c.Delete(key(i)); !ok || err != nil {
			t.Fatalf("Delete(%d) = %v, %v", i, ok, err)
		}
	}
	if ok, _ := c.Delete(key(0)); ok {
		t.Fatal("second Delete found the key")
	}
	for i := range 1000 {
		v, ok := c.Get(key(i))
		if ok != (i%2 == 1) || ok && !bytes.Equal(v, bytes.Repeat([]byte{byte(i + 1)}, (i*7)%500)) {
			t.Fatalf("key %d after deletes: %v %q", i, ok, v)
		}
	}
	if c.Len() != 500 {
		t.Fatalf("Len = %d, want 500", c.Len())
	}
	mustCheck(t, c)
	s := c.Stats()
	if s.Sets != 2000 || s.Deletes != 500 || s.Entries != 500 || s.Hits != 1500 || s.Misses != 501 {
		t.Fatalf("stats %+v", s)
	}
}

func TestAddCompareAndSwap(t *testing.T) {
	c := newTest(t, Options{Size: 1 << 20})
	k := []byte("k")
	if ok, err := c.Add(k, []byte("one"), 0); !ok || err != nil {
		t.Fatalf("Add = %v, %v", ok, err)
	}
	if ok, err := c.Add(k, []byte("two"), 0); ok || err != nil {
		t.Fatalf("second Add = %v, %v", ok, err)
	}
	if ok, _ := c.CompareAndSwap(k, []byte("two"), []byte("three"), 0); ok {
		t.Fatal("CompareAndSwap with a wrong old value swapped")
	}
	if ok, err := c.CompareAndSwap(k, []byte("one"), []byte("three"), 0); !ok || err != nil {
		t.Fatalf("CompareAndSwap = %v, %v", ok, err)
	}
	if v, _ := c.Get(k); string(v) != "three" {
		t.Fatalf("value %q", v)
	}
	if ok, _ := c.CompareAndSwap([]byte("absent"), nil, []byte("x"), 0); ok {
		t.Fatal("CompareAndSwap of an absent key swapped")
	}
	mustCheck(t, c)
}

func TestIncr(t *testing.T) {
	c := newTest(t, Options{Size: 1 << 20})
	k := []byte("hits")
	for i := 1; i <= 100; i++ {
		n, err := c.Incr(k, 2, 0)
		if err != nil || n != int64(2*i) {
			t.Fatalf("Incr %d = %d, %v", i, n, err)
		}
	}
	if n, err := c.Decr(k, 250, 0); err != nil || n != -50 {
		t.Fatalf("Decr = %d, %v", n, err)
	}
	v, _ := c.Get(k)
	if len(v) != 8 || int64(binary.LittleEndian.Uint64(v)) != -50 {
		t.Fatalf("Get of the counter = %x", v)
	}
	c.Set([]byte("text"), []byte("abc"), 0)
	if _, err := c.Incr([]byte("text"), 1, 0); !errors.Is(err, ErrNotCounter) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Incr of a 3-byte value = %v", err)
	}
	mustCheck(t, c)
	if s := c.Stats(); s.Incrs != 101 || s.Sets != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestTooLarge(t *testing.T) {
	c := newTest(t, Options{Size: 1 << 20, PageSize: 4096})
	err := c.Set([]byte("k"), make([]byte, 4096), 0)
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, syscall.E2BIG) {
		t.Fatalf("Set of a 4096-byte value = %v", err)
	}
	t.Log(err)
	if err := c.Set([]byte("k"), make([]byte, 4096-entryOverhead-1), 0); err != nil {
		t.Fatalf("Set of a value that just fits = %v", err)
	}
	if err := c.Set(make([]byte, MaxKeyLen+1), nil, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set of a too long key = %v", err)
	}
	mustCheck(t, c)
}

func TestRangeClear(t *testing.T) {
	c := newTest(t, Options{Size: 1 << 20})
	want := map[string]string{}
	for i := range 300 {
		k, v := key(i), bytes.Repeat([]byte{'v'}, i)
		c.Set(k, v, 0)
		want[string(k)] = string(v)
	}
	got := map[string]string{}
	if err := c.Range(func(k, v []byte) bool { got[string(k)] = string(v); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Range saw %d entries, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("Range: %q = %q", k, got[k])
		}
	}
	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 0 {
		t.Fatalf("Len after Clear = %d", c.Len())
	}
	mustCheck(t, c)
	if s := c.Stats(); s.Free != s.Capacity || s.Resets != 0 {
		t.Fatalf("after Clear: %d of %d bytes free, %d resets", s.Free, s.Capacity, s.Resets)
	}
}

func TestExpiry(t *testing.T) {
	c := newTest(t, Options{Size: 1 << 20, Stripes: 1})
	c.Set([]byte("short"), []byte("x"), 20*time.Millisecond)
	c.Set([]byte("long"), []byte("y"), time.Hour)
	if _, ok := c.Get([]byte("short")); !ok {
		t.Fatal("miss before expiry")
	}
	time.Sleep(30 * time.Millisecond)
	if _, ok := c.Get([]byte("short")); ok {
		t.Fatal("hit after expiry")
	}
	if _, ok := c.Get([]byte("long")); !ok {
		t.Fatal("miss on an unexpired entry")
	}
	if ok, _ := c.Add([]byte("short"), []byte("z"), 0); !ok {
		t.Fatal("Add over an expired entry failed")
	}
	mustCheck(t, c)
	if s := c.Stats(); s.Expirations != 1 {
		t.Fatalf("%d expirations, want 1", s.Expirations)
	}
}
