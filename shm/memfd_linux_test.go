package shm

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestAllocTouchesNoPage checks that Alloc gives the memfd exactly the
// segment's size and no page: nothing but the caller's own writes fills
// it (the segment's description is in the memfd's name and size, not in
// its bytes), and a write of one byte costs one page.
func TestAllocTouchesNoPage(t *testing.T) {
	size := 3*pageSize + 100
	s, err := AllocWith(size, AllocOptions{Name: uniqueName("untouched"), Tag: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	var st unix.Stat_t
	if err := unix.Fstat(s.fd, &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != int64(size) || st.Blocks != 0 {
		t.Fatalf("memfd of %d bytes holding %d blocks; want %d bytes and none", st.Size, st.Blocks, size)
	}
	s.Bytes()[size-1] = 1
	if err := unix.Fstat(s.fd, &st); err != nil {
		t.Fatal(err)
	}
	if want := int64(pageSize / 512); st.Blocks != want {
		t.Fatalf("%d blocks after a write to the last byte, want %d (one page)", st.Blocks, want)
	}
}

// TestHeaderOfMemfd checks the Header of a memfd segment in its creator
// and in a process that takes it up: the size, tag and creator in both,
// and a creation time the kernel's clock tick apart.
func TestHeaderOfMemfd(t *testing.T) {
	name := uniqueName("described")
	s, err := AllocWith(1000, AllocOptions{Name: name, Tag: 0xfeed})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	a, err := Attach(os.Getpid(), name, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	const tick = 20 * time.Millisecond // coarser than any kernel's clock tick
	for who, seg := range map[string]*Segment{"creator": s, "attached": a} {
		h, err := seg.Header()
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		if h.Size != 1000 || h.Tag != 0xfeed || h.CreatorPID != os.Getpid() || h.PageSize != pageSize || h.Version != headerVersion {
			t.Errorf("%s: header %+v, want 1000 bytes, tag 0xfeed, creator %d", who, h, os.Getpid())
		}
		if d := h.Created.Sub(s.Info().Created); d < -tick || d > tick || !h.Created.Equal(seg.Info().Created) {
			t.Errorf("%s: created %v, Info says %v, the creator %v", who, h.Created, seg.Info().Created, s.Info().Created)
		}
	}
}

// FuzzParseMemfdName feeds parseMemfdName arbitrary names: it must never
// panic, and a name it accepts must be exactly the one memfdName makes of
// what it returns (a valid segment name, a positive pid that fits a pid_t,
// the tag in lowercase hex without leading zeros), so that no two memfd
// names describe the same segment. The seeds run in every go test.
func FuzzParseMemfdName(f *testing.F) {
	for _, s := range []string{
		memfdName("fpmshm", 1, 0), memfdName("scoreboard.www", os.Getpid(), 0x46504d53),
		memfdName(strings.Repeat("x", maxNameLen), math.MaxInt32, math.MaxUint64),
		"", "fpmshm", "fpmshm:", "fpmshm::", ":1:0", "fpmshm:1:", "fpmshm:1:0:", "fpmshm:0:0",
		"fpmshm:01:0", "fpmshm:-1:0", "fpmshm:+1:0", "fpmshm:2147483648:0", "fpmshm:1:00",
		"fpmshm:1:0a", "fpmshm:1:A", "fpmshm:1:g", "fpmshm:1:10000000000000000", "fpmshm:1: 1",
		"a/b:1:0", "..:1:0", "a b:1:0", strings.Repeat("x", maxNameLen+1) + ":1:0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, pid, tag, ok := parseMemfdName(s)
		if !ok {
			return
		}
		if checkName(name) != nil || pid <= 0 || pid > math.MaxInt32 {
			t.Fatalf("parseMemfdName(%q) = %q, %d: not a valid name and pid", s, name, pid)
		}
		if again := memfdName(name, pid, tag); again != s {
			t.Fatalf("parseMemfdName(%q) = %q, %d, %#x, which memfdName makes %q", s, name, pid, tag, again)
		}
	})
}

// TestMemfdNameRoundTrip checks that every segment name, pid and tag comes
// back from the memfd name made of them, within the kernel's 249 bytes.
func TestMemfdNameRoundTrip(t *testing.T) {
	for _, name := range []string{"a", "fpmshm", "scoreboard.www-1_2", strings.Repeat("z", maxNameLen)} {
		for _, pid := range []int{1, 42, math.MaxInt32} {
			for _, tag := range []uint64{0, 1, 0xf, 0x10, math.MaxUint64} {
				m := memfdName(name, pid, tag)
				n, p, tg, ok := parseMemfdName(m)
				if !ok || n != name || p != pid || tg != tag || len(m) > 249 {
					t.Errorf("memfdName(%q, %d, %#x) = %q (%d bytes), parsed %q, %d, %#x, %v", name, pid, tag, m, len(m), n, p, tg, ok)
				}
			}
		}
	}
	if got, want := memfdName("x", 7, 255), "x:7:"+strconv.FormatUint(255, 16); got != want {
		t.Errorf("memfdName = %q, want %q", got, want)
	}
}
