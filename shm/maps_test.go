package shm

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// fataler is what the helpers below need of a *testing.T or *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// rangeMapped reports whether any mapping of this process, as
// /proc/self/maps lists them, overlaps the n bytes at addr; false on a
// system without /proc/self/maps.
func rangeMapped(t fataler, addr, n uintptr) bool {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		span, _, _ := strings.Cut(sc.Text(), " ")
		lo, hi, ok := strings.Cut(span, "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("/proc/self/maps line %q", sc.Text())
		}
		if start < uint64(addr+n) && uint64(addr) < end {
			return true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return false
}

// freeUnmaps frees s and fails t unless its whole range is then
// unmapped.
func freeUnmaps(t fataler, s *Segment) {
	t.Helper()
	base, n := uintptr(s.base), s.maplen
	if err := s.Free(); err != nil {
		t.Fatal(err)
	}
	if rangeMapped(t, base, n) {
		t.Fatalf("%s segment freed, but %#x-%#x is still mapped", s.backing, base, base+n)
	}
}

// mappingsNamed counts this process's mappings whose file is named
// target in /proc/self/maps ("/memfd:NAME (deleted)" for Alloc's segments,
// "/dev/zero (deleted)" for shared anonymous ones).
func mappingsNamed(target string) int {
	maps, _ := os.ReadFile("/proc/self/maps")
	n := 0
	for line := range strings.Lines(string(maps)) {
		if strings.HasSuffix(strings.TrimRight(line, "\n"), " "+target) {
			n++
		}
	}
	return n
}
