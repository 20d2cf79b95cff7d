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

	"github.com/fpmshm/fpmshm/internal/testproc"
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

// rawMemfd returns a memfd named memfd of size bytes, sealed with seals
// (0 for none), closed at the end of the test.
func rawMemfd(t *testing.T, memfd string, size int, seals int) int {
	t.Helper()
	fd, err := unix.MemfdCreate(memfd, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
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
	memfd := memfdName(name, os.Getpid(), 0)
	sealed := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL

	file, err := os.CreateTemp(t.TempDir(), "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	file.Truncate(100)
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
		{"memfd without seals", "", ErrHandOver, rawMemfd(t, memfd, 100, 0)},
		{"memfd sealed against growing only", "", ErrHandOver, rawMemfd(t, memfd, 100, unix.F_SEAL_GROW)},
		{"memfd whose seals are not frozen (still being made)", "", ErrHandOver, rawMemfd(t, memfd, 100, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW)},
		{"memfd of another segment", "", ErrHandOver, dupOf(t, other)},
		{"memfd of a segment whose name extends this one", "", ErrHandOver, rawMemfd(t, memfdName(name+".x", os.Getpid(), 0), 100, sealed)},
		{"memfd named without pid and tag", "", ErrHeader, rawMemfd(t, name, 100, sealed)},
		{"memfd whose pid is not a number", "", ErrHeader, rawMemfd(t, name+":x:0", 100, sealed)},
		{"memfd whose pid is 0", "", ErrHeader, rawMemfd(t, name+":0:0", 100, sealed)},
		{"memfd whose tag is not hex", "", ErrHeader, rawMemfd(t, name+":1:7g", 100, sealed)},
		{"memfd whose tag has a leading zero", "", ErrHeader, rawMemfd(t, name+":1:07", 100, sealed)},
		{"memfd whose tag is longer than 64 bits", "", ErrHeader, rawMemfd(t, name+":1:10000000000000000", 100, sealed)},
		{"memfd with a field too many", "", ErrHeader, rawMemfd(t, memfd+":0", 100, sealed)},
		{"memfd of another size", "", ErrHandOver, rawMemfd(t, memfd, 200, sealed)},
		{"memfd of whole pages holding the size", "", ErrHandOver, rawMemfd(t, memfd, pageSize, sealed)},
		{"empty memfd", "", ErrHandOver, rawMemfd(t, memfd, 0, sealed)},
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
		maps := memfdMappings(name)
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
		case Allocated() != allocated || len(Segments()) != segments || memfdMappings(name) != maps:
			t.Errorf("%s: something was mapped or counted", tc.what)
		case tc.fd >= 0 && !fdOpen(tc.fd):
			t.Errorf("%s: Inherited closed fd %d", tc.what, tc.fd)
		}
		t.Logf("%s: %v", tc.what, err)
	}
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

func init() {
	testproc.Register("shm-inherit-child", helperInheritChild)
	testproc.Register("shm-inherit-grandchild", helperInheritGrandchild)
}

// TestInheritedEntryNotPassedOn hands two segments to a child, which
// takes up one, frees it, and starts a grandchild without ShareWith; then
// takes up the other and starts a second grandchild. The first grandchild
// is told only of the segment its parent did not take up, and can take
// that one up; the second is told of none.
func TestInheritedEntryNotPassedOn(t *testing.T) {
	a, b := uniqueName("taken"), uniqueName("left")
	cmd := testproc.Command(t, "shm-inherit-child", a, b)
	for _, name := range []string{a, b} {
		s, err := AllocWith(100, AllocOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Free()
		if err := s.ShareWith(cmd); err != nil {
			t.Fatal(err)
		}
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v; printed:\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("the grandchildren printed %q", lines)
	}
	first, second := strings.Split(lines[0], " "), strings.Split(lines[1], " ")
	if len(first) != 4 || !strings.HasPrefix(first[0], EnvSegments+"="+b+":") || strings.Contains(first[0], a) {
		t.Errorf("first grandchild was given %q, want only %s's entry", first[0], b)
	}
	if len(first) == 4 && (first[1] != a+"=ErrNotInherited" || first[2] != b+"=ok" || first[3] != EnvSegments+"=") {
		t.Errorf("first grandchild: %q, want %s not inherited, %s taken up, and then no entry left", first[1:], a, b)
	}
	if len(second) != 4 || second[0] != EnvSegments+"=" || second[1] != a+"=ErrNotInherited" || second[2] != b+"=ErrNotInherited" {
		t.Errorf("second grandchild: %q, want no entry and neither segment", second)
	}
}

// helperInheritChild takes up segment args[0], frees it, opens a file
// (which may get the freed descriptor's number), and runs a grandchild;
// then takes up args[1] and runs another. The grandchildren write to its
// standard output.
func helperInheritChild(args []string) int {
	grandchild := func() error {
		cmd := testproc.Command(helperTB{}, "shm-inherit-grandchild", args...)
		cmd.Stdout = os.Stdout
		return cmd.Run()
	}
	s, err := Inherited(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s.Free()
	f, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	if err := grandchild(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := Inherited(args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := grandchild(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// helperInheritGrandchild prints the EnvSegments it was given, then tries
// to take up each segment named in args, printing "name=ok" or
// "name=ErrNotInherited" (or the error), then EnvSegments again.
func helperInheritGrandchild(args []string) int {
	out := []string{EnvSegments + "=" + os.Getenv(EnvSegments)}
	for _, name := range args {
		s, err := Inherited(name)
		switch {
		case err == nil:
			out = append(out, name+"=ok")
			s.Free()
		case errors.Is(err, ErrNotInherited):
			out = append(out, name+"=ErrNotInherited")
		default:
			out = append(out, name+"="+strings.ReplaceAll(err.Error(), " ", "_"))
		}
	}
	out = append(out, EnvSegments+"="+os.Getenv(EnvSegments))
	fmt.Println(strings.Join(out, " "))
	return 0
}
