package scoreboard

import (
	"strings"
	"testing"
	"unsafe"
)

// TestLayoutPinned pins the records' sizes and the alignment of every
// shared word: the layout is what other processes read.
func TestLayoutPinned(t *testing.T) {
	var p poolRecord
	var r procRecord
	if got := unsafe.Sizeof(p); got != poolSize {
		t.Errorf("pool record is %d bytes, want %d", got, poolSize)
	}
	if got := unsafe.Sizeof(r); got != procSize {
		t.Errorf("proc record is %d bytes, want %d", got, procSize)
	}
	if procSize > 1168 {
		t.Errorf("proc record of %d bytes is larger than PHP-FPM's 1168", procSize)
	}
	if procSize%64 != 0 || poolSize%64 != 0 {
		t.Errorf("records of %d and %d bytes are not whole cache lines", poolSize, procSize)
	}
	for name, off := range map[string]uintptr{
		"listenQueueLen": unsafe.Offsetof(p.listenQueueLen), "acceptedConn": unsafe.Offsetof(p.acceptedConn),
		"active": unsafe.Offsetof(p.active), "maxActive": unsafe.Offsetof(p.maxActive), "memoryPeak": unsafe.Offsetof(p.memoryPeak),
		"seq": unsafe.Offsetof(r.seq), "pid": unsafe.Offsetof(r.pid), "requests": unsafe.Offsetof(r.requests),
	} {
		if off%8 != 0 {
			t.Errorf("%s at offset %d is not 8-byte aligned", name, off)
		}
	}
	if got := unsafe.Offsetof(r.method); got != 104 {
		t.Errorf("strings start at %d, want 104", got)
	}
}

func TestPutStringTruncates(t *testing.T) {
	var f [8]byte
	putString(f[:], "abcdefghij")
	if s, ok := getString(f[:]); !ok || s != "abcdefg" {
		t.Fatalf("got %q, %v; want the first 7 bytes, terminated", s, ok)
	}
	putString(f[:], "xy")
	if s, _ := getString(f[:]); s != "xy" {
		t.Fatalf("got %q after a shorter write", s)
	}
	if _, ok := getString([]byte(strings.Repeat("a", 8))); ok {
		t.Fatal("unterminated field accepted")
	}
}

func TestSegmentName(t *testing.T) {
	for pool, want := range map[string]string{"www": "scoreboard.www", "a/b c": "scoreboard.a_b_c", "..": "scoreboard..."} {
		if got := SegmentName(pool); got != want {
			t.Errorf("SegmentName(%q) = %q, want %q", pool, got, want)
		}
	}
}
