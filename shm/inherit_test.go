//go:build linux

package shm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// dupOf returns a close-on-exec duplicate of the segment's descriptor,
// closed at the end of the test unless the test closes it first.
func dupOf(t *testing.T, s *Segment) int {
	t.Helper()
	fd, err := unix.FcntlInt(uintptr(s.fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// rawMemfd returns a memfd named name of size bytes holding header at its
// start, sealed with seals (0 for none).
func rawMemfd(t *testing.T, name string, size int, header []byte, seals int) int {
	t.Helper()
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Pwrite(fd, header, 0); err != nil {
		t.Fatal(err)
	}
	if seals != 0 {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
			t.Fatal(err)
		}
	}
	return fd
}

// TestInheritedInProcess takes up, in this process, a duplicate of a
// segment's descriptor described in EnvSegments, as a child would.
func TestInheritedInProcess(t *testing.T) {
	name := uniqueName("good")
	s, err := AllocWith(1000, AllocOptions{Name: name, Tag: 42})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	copy(s.Bytes(), "from the parent")
	fd := dupOf(t, s)
	t.Setenv(EnvSegments, fmt.Sprintf("other:%d:1,%s:%d:1000", fd+1000, name, fd))
	before := Allocated()
	in, err := Inherited(name)
	if err != nil {
		t.Fatal(err)
	}
	if in.Len() != 1000 || in.Tag() != 42 || in.Name() != name || in.Info().Backing != BackingMemfd || in.Info().Prot != ProtRead|ProtWrite {
		t.Fatalf("inherited %+v tag %d, want 1000 bytes, tag 42, %s, memfd, read|write", in.Info(), in.Tag(), name)
	}
	if !bytes.HasPrefix(in.Bytes(), []byte("from the parent")) {
		t.Fatal("the parent's bytes are not there")
	}
	copy(in.Bytes()[500:], "from the child")
	if !bytes.HasPrefix(s.Bytes()[500:], []byte("from the child")) {
		t.Fatal("the child's write is not visible to the parent")
	}
	if Allocated()-before != 1000 {
		t.Fatalf("Allocated grew by %d, want 1000", Allocated()-before)
	}
	if _, err := Inherited(name); !errors.Is(err, ErrNotInherited) {
		t.Fatalf("second Inherited: %v, want ErrNotInherited", err)
	}
	if err := in.Free(); err != nil {
		t.Fatal(err)
	}
	if Allocated() != before {
		t.Fatalf("Allocated %d after Free, was %d before Inherited", Allocated(), before)
	}
	if fdOpen(fd) {
		t.Fatal("Free left the inherited descriptor open")
	}
	if !bytes.HasPrefix(s.Bytes()[500:], []byte("from the child")) {
		t.Fatal("the child's Free disturbed the parent's segment")
	}
}

// TestInheritedReadOnlyDescriptor checks that a descriptor opened
// read-only is mapped read-only.
func TestInheritedReadOnlyDescriptor(t *testing.T) {
	name := uniqueName("ro")
	s, err := AllocWith(64, AllocOptions{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", s.fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	t.Setenv(EnvSegments, fmt.Sprintf("%s:%d:64", name, fd))
	in, err := Inherited(name)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Free()
	if p := in.Info().Prot; p != ProtRead {
		t.Fatalf("read-only descriptor mapped %s, want read", p)
	}
}

// TestInheritedForged describes descriptors in EnvSegments that are not
// what they claim: each is a clear *Error of Op "inherit" matching its
// sentinel; nothing is mapped or counted, and the descriptor stays open.
func TestInheritedForged(t *testing.T) {
	name := uniqueName("forged")
	valid := func(size int) []byte { return encodedHeader(newHeader(size, 0)) }
	sealed := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL

	file, err := os.CreateTemp(t.TempDir(), "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	file.Write(valid(100))
	file.Truncate(int64(pageSize))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	other, err := AllocWith(100, AllocOptions{Name: "someone-else"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Free()
	corrupt := valid(100)
	corrupt[offTag] ^= 1
	closed := 1000
	for fdOpen(closed) {
		closed++
	}

	cases := []struct {
		what, env string
		want      error
		fd        int // the descriptor that must stay open, or -1
	}{
		{"unset", "", ErrNotInherited, -1},
		{"name not listed", "x:3:100", ErrNotInherited, -1},
		{"malformed", name + ":3", ErrHandOver, -1},
		{"fd below 3", name + ":2:100", ErrHandOver, -1},
		{"absurd size", name + ":3:99999999999999999999999", ErrHandOver, -1},
		{"duplicate name", name + ":3:100," + name + ":4:100", ErrHandOver, -1},
		{"closed descriptor", fmt.Sprintf("%s:%d:100", name, closed), ErrHandOver, -1},
		{"regular file", fmt.Sprintf("%s:%d:100", name, file.Fd()), ErrHandOver, int(file.Fd())},
		{"pipe", fmt.Sprintf("%s:%d:100", name, r.Fd()), ErrHandOver, int(r.Fd())},
		{"memfd without seals", "", ErrHandOver, rawMemfd(t, name, pageSize, valid(100), 0)},
		{"memfd sealed against growing only", "", ErrHandOver, rawMemfd(t, name, pageSize, valid(100), unix.F_SEAL_GROW)},
		{"memfd whose seals are not frozen (still being made)", "", ErrHandOver, rawMemfd(t, name, pageSize, valid(100), unix.F_SEAL_SHRINK|unix.F_SEAL_GROW)},
		{"memfd of another name", "", ErrHandOver, dupOf(t, other)},
		{"corrupt header", "", ErrHeader, rawMemfd(t, name, pageSize, corrupt, sealed)},
		{"no header", "", ErrHeader, rawMemfd(t, name, pageSize, nil, sealed)},
		{"header of another size", "", ErrHandOver, rawMemfd(t, name, pageSize, valid(200), sealed)},
		{"file of another size", "", ErrHandOver, rawMemfd(t, name, 2*pageSize, valid(100), sealed)},
		{"header for a longer file", "", ErrHeader, rawMemfd(t, name, pageSize, valid(5000), sealed)},
	}
	for _, tc := range cases {
		env := tc.env
		if env == "" && tc.fd >= 0 {
			env = fmt.Sprintf("%s:%d:100", name, tc.fd)
		}
		if env == "" {
			os.Unsetenv(EnvSegments)
		} else {
			t.Setenv(EnvSegments, env)
		}
		allocated, segments := Allocated(), len(Segments())
		maps := mappingsOf(name)
		s, err := Inherited(name)
		var e *Error
		switch {
		case s != nil || err == nil:
			t.Errorf("%s: took up %v", tc.what, s.Info())
			s.Free()
		case !errors.As(err, &e) || e.Op != "inherit" || e.Name != name:
			t.Errorf("%s: %v, want *Error with Op inherit and the name", tc.what, err)
		case !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
		case Allocated() != allocated || len(Segments()) != segments || mappingsOf(name) != maps:
			t.Errorf("%s: something was mapped or counted", tc.what)
		case tc.fd >= 0 && !fdOpen(tc.fd):
			t.Errorf("%s: Inherited closed fd %d", tc.what, tc.fd)
		}
		t.Logf("%s: %v", tc.what, err)
	}
}

// mappingsOf counts this process's mappings of memfds called name.
func mappingsOf(name string) int {
	maps, _ := os.ReadFile("/proc/self/maps")
	return strings.Count(string(maps), "/memfd:"+name+" ")
}

// TestInheritedErrno checks that a descriptor that is not open also
// matches EBADF, and that the text names the descriptor.
func TestInheritedErrno(t *testing.T) {
	name := uniqueName("ebadf")
	t.Setenv(EnvSegments, name+":999:100")
	if fdOpen(999) {
		t.Skip("fd 999 is open")
	}
	_, err := Inherited(name)
	if !errors.Is(err, ErrHandOver) || !errors.Is(err, syscall.EBADF) || !strings.Contains(err.Error(), "fd 999 is not open") {
		t.Fatalf("%v, want ErrHandOver and EBADF, naming fd 999", err)
	}
}

// TestInheritedDefaultNameNotPooled takes up a segment named DefaultName,
// the kind Free keeps for reuse and clears: freeing the inherited one must
// close it instead, leaving the parent's bytes alone.
func TestInheritedDefaultNameNotPooled(t *testing.T) {
	s, err := Alloc(100)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	copy(s.Bytes(), "parent data")
	fd := dupOf(t, s)
	t.Setenv(EnvSegments, fmt.Sprintf("%s:%d:100", DefaultName, fd))
	t.Cleanup(func() { untake(DefaultName) })
	in, err := Inherited(DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Free(); err != nil {
		t.Fatal(err)
	}
	if fdOpen(fd) {
		t.Fatal("the inherited descriptor was kept (pooled) instead of closed")
	}
	if _, err := ParseHeader(headerBytes(s.base), int64(s.maplen)); err != nil || !bytes.HasPrefix(s.Bytes(), []byte("parent data")) {
		t.Fatalf("the child's Free cleared the parent's segment: header %v, data %q", err, s.Bytes()[:11])
	}
}
