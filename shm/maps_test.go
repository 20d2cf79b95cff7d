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
// target in /proc/self/maps ("/dev/zero (deleted)" for shared anonymous
// ones).
func mappingsNamed(target string) int {
	return countMappings(func(file string) bool { return file == target })
}

// memfdMappings counts this process's mappings of memfds of segment name:
// named NAME:PID:TAG as Alloc names them, or NAME alone, or NAME followed
// by ':' and anything.
func memfdMappings(name string) int {
	return countMappings(func(file string) bool {
		return file == "/memfd:"+name+" (deleted)" ||
			strings.HasPrefix(file, "/memfd:"+name+":") && strings.HasSuffix(file, " (deleted)")
	})
}

// countMappings counts this process's mappings whose file, as
// /proc/self/maps shows it, satisfies match.
func countMappings(match func(file string) bool) int {
	maps, _ := os.ReadFile("/proc/self/maps")
	n := 0
	for line := range strings.Lines(string(maps)) {
		// address perms offset dev inode file: the file may hold spaces.
		f := strings.SplitN(strings.TrimRight(line, "\n"), " ", 6)
		if len(f) == 6 && match(strings.TrimLeft(f[5], " ")) {
			n++
		}
	}
	return n
}
