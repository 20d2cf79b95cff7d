package shmcache

import (
	"bytes"
	"fmt"
	"testing"
)

// TestMillionEntries: 1,000,000 entries of 16-byte keys and 100-byte
// values fit, every one of them, in a segment twice their raw size, with
// nothing evicted (the policy is Refuse) and every one readable.
func TestMillionEntries(t *testing.T) {
	const klen, vlen = 16, 100
	n := 1000000
	if raceEnabled {
		n = 100000 // the same density; a million takes half a minute under -race
	}
	size := 2 * n * (klen + vlen)
	c := newTest(t, Options{Name: "million", Size: size, Policy: Refuse})
	k := make([]byte, 0, klen)
	v := bytes.Repeat([]byte{'v'}, vlen)
	for i := range n {
		k = fmt.Appendf(k[:0], "key-%012d", i)
		copy(v, k)
		if err := c.Set(k, v, 0); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	buf := make([]byte, 0, vlen)
	for i := range n {
		k = fmt.Appendf(k[:0], "key-%012d", i)
		got, ok := c.AppendGet(buf[:0], k)
		if !ok || !bytes.Equal(got[:klen], k) || len(got) != vlen {
			t.Fatalf("entry %d: %v %q", i, ok, got)
		}
	}
	s := c.Stats()
	if s.Entries != int64(n) || s.Refused != 0 || s.Evictions != 0 {
		t.Fatalf("%d entries, %d refused, %d evicted", s.Entries, s.Refused, s.Evictions)
	}
	mustCheck(t, c)
	t.Logf("%d entries in %d bytes (%.2fx their %d raw bytes): %.1f bytes per entry; %d bytes of chunks used (%.1f per entry), %d free",
		n, size, float64(size)/float64(n*(klen+vlen)), n*(klen+vlen), float64(size)/float64(n), s.Used, float64(s.Used)/float64(n), s.Free)
}
