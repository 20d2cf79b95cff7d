//go:build linux

package shm

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestAllocIsSealedMemfd checks what Alloc's descriptor is: a
// close-on-exec memfd named after the segment, sealed against shrinking
// and growing with its seals frozen, so that truncating, growing,
// extending or write-sealing it fails with EPERM, here as in a child.
func TestAllocIsSealedMemfd(t *testing.T) {
	name := uniqueName("sealed")
	s, err := AllocWith(2*pageSize, AllocOptions{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	fd := s.fd
	want := fmt.Sprintf("/memfd:%s:%d:0 (deleted)", name, os.Getpid())
	if target, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); target != want {
		t.Fatalf("fd %d is %q, want %q", fd, target, want)
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Fatalf("fd flags %d (%v), want close-on-exec", fl, err)
	}
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if want := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL; err != nil || seals != want {
		t.Fatalf("seals %#x (%v), want %#x", seals, err, want)
	}
	size, _ := sizeOf(fd)
	_, sealErr := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_WRITE)
	for what, err := range map[string]error{
		"ftruncate to 0":     unix.Ftruncate(fd, 0),
		"ftruncate to twice": unix.Ftruncate(fd, 2*size),
		"fallocate beyond":   unix.Fallocate(fd, 0, size, int64(pageSize)),
		"add F_SEAL_WRITE":   sealErr,
	} {
		if !errors.Is(err, syscall.EPERM) {
			t.Errorf("%s: %v, want EPERM", what, err)
		}
	}
	if after, _ := sizeOf(fd); after != size {
		t.Fatalf("size %d, was %d", after, size)
	}
}

// TestAllocNoDump checks in /proc/self/smaps that NoDump marks the
// segment's mapping "dd" (VM_DONTDUMP), and that it is not there without.
func TestAllocNoDump(t *testing.T) {
	for _, noDump := range []bool{true, false} {
		s, err := AllocWith(3*pageSize, AllocOptions{Name: uniqueName("dump"), NoDump: noDump})
		if err != nil {
			t.Fatal(err)
		}
		flags, err := vmFlags(uintptr(s.base))
		s.Free()
		if err != nil {
			t.Fatal(err)
		}
		if has := strings.Contains(" "+flags+" ", " dd "); has != noDump {
			t.Errorf("NoDump %v: VmFlags %q", noDump, flags)
		}
	}
}

// vmFlags returns the VmFlags of the mapping starting at addr.
func vmFlags(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	start := fmt.Sprintf("%x-", addr)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) > 0 && !strings.HasSuffix(f[0], ":") {
			in = strings.HasPrefix(line, start) // a mapping's first line
		}
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.TrimSpace(rest), nil
		}
	}
	return "", fmt.Errorf("no mapping at %#x in /proc/self/smaps", addr)
}

// TestSetLimitRefusesBeforeReserving checks that an allocation past the
// SetLimit cap fails with ErrLimit, matching ENOMEM, before any memfd is
// made, and that one within it succeeds.
func TestSetLimitRefusesBeforeReserving(t *testing.T) {
	prev := SetLimit(Allocated() + 1<<20)
	defer SetLimit(prev)
	fds, allocated := testproc.CountFDs(t), Allocated()
	_, err := Alloc(2 << 20)
	if !errors.Is(err, ErrLimit) || !errors.Is(err, syscall.ENOMEM) || !strings.Contains(err.Error(), "SetLimit allows") {
		t.Fatalf("2 MiB under a 1 MiB cap: %v, want ErrLimit and ENOMEM naming the cap", err)
	}
	if testproc.CountFDs(t) != fds || Allocated() != allocated {
		t.Fatal("the refused allocation left a descriptor or a count behind")
	}
	s, err := Alloc(512 << 10)
	if err != nil {
		t.Fatalf("512 KiB under a 1 MiB cap: %v", err)
	}
	s.Free()
}
