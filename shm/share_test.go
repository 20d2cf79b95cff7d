//go:build linux

package shm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shm3-counter", helperCounter)
	testproc.Register("shm3-resize", helperResize)
	testproc.Register("shm3-free-fd", helperFreeFD)
}

// word returns the 8-byte word at off in b, which must be 8-byte aligned.
func word(b []byte, off int) *atomic.Uint64 {
	if off%8 != 0 || off+8 > len(b) || uintptr(unsafe.Pointer(&b[off]))%8 != 0 {
		panic(fmt.Sprintf("word at %d of %d bytes is not aligned or in range", off, len(b)))
	}
	return (*atomic.Uint64)(unsafe.Pointer(&b[off]))
}

// fdOpen reports whether descriptor fd is open in this process.
func fdOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

func TestShareWithEnvFormat(t *testing.T) {
	a, err := AllocWith(100, AllocOptions{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	b, err := AllocWith(5000, AllocOptions{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()

	cmd := exec.Command("true")
	cmd.ExtraFiles = []*os.File{r} // a listening socket, say: fd 3
	cmd.Env = []string{"A=1"}
	if err := a.ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	if err := b.ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	want := []string{"A=1", "FPMSHM_SEGMENTS=a:4:100,b:5:5000"}
	if !slices.Equal(cmd.Env, want) {
		t.Fatalf("Env = %q, want %q", cmd.Env, want)
	}
	if len(cmd.ExtraFiles) != 3 || cmd.ExtraFiles[0] != r || int(cmd.ExtraFiles[1].Fd()) != a.fd || int(cmd.ExtraFiles[2].Fd()) != b.fd {
		t.Fatalf("ExtraFiles = %v, want the pipe, then a's and b's descriptors", cmd.ExtraFiles)
	}

	again, err := AllocWith(100, AllocOptions{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Free()
	err = again.ShareWith(cmd)
	var e *Error
	if !errors.As(err, &e) || e.Op != "share" || !errors.Is(err, ErrName) || len(cmd.ExtraFiles) != 3 || !slices.Equal(cmd.Env, want) {
		t.Fatalf("second segment named a: %v, ExtraFiles %d, Env %q; want ErrName and the command unchanged", err, len(cmd.ExtraFiles), cmd.Env)
	}
	if err := a.ShareWith(nil); !errors.Is(err, ErrHandOver) {
		t.Fatalf("ShareWith(nil): %v, want ErrHandOver", err)
	}
}

// TestShareWithEnvFromEnviron checks that a nil cmd.Env starts from this
// process's environment minus its own, stale, FPMSHM_SEGMENTS, and that an
// EnvSegments in cmd.Env that does not describe cmd.ExtraFiles is refused.
func TestShareWithEnvFromEnviron(t *testing.T) {
	t.Setenv(EnvSegments, "stale:9:4096")
	t.Setenv("SHM3_MARK", "kept")
	s, err := AllocWith(64, AllocOptions{Name: "fresh"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	cmd := &exec.Cmd{}
	if err := s.ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	var seg []string
	mark := false
	for _, kv := range cmd.Env {
		if strings.HasPrefix(kv, EnvSegments+"=") {
			seg = append(seg, kv)
		}
		mark = mark || kv == "SHM3_MARK=kept"
	}
	if !slices.Equal(seg, []string{EnvSegments + "=fresh:3:64"}) || !mark {
		t.Fatalf("Env has %q and SHM3_MARK %v; want only fresh:3:64 and the rest of os.Environ", seg, mark)
	}

	for _, env := range []string{"old:7:100", "old:3:100", "garbage"} {
		cmd := &exec.Cmd{Env: append(os.Environ(), EnvSegments+"="+env)}
		if env == "old:3:100" {
			cmd.ExtraFiles = []*os.File{nil}
		}
		if err := s.ShareWith(cmd); !errors.Is(err, ErrHandOver) || len(cmd.ExtraFiles) > 1 {
			t.Errorf("cmd.Env already holding %s=%s: %v, want ErrHandOver", EnvSegments, env, err)
		}
	}
}

// TestShareWithRefuses checks the segments that cannot be handed over.
func TestShareWithRefuses(t *testing.T) {
	m, err := Map(Options{Size: 4096, Prot: ProtRead | ProtWrite, Flags: Shared | Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	if err := m.ShareWith(&exec.Cmd{}); !errors.Is(err, ErrNotShareable) {
		t.Errorf("Map's segment: %v, want ErrNotShareable", err)
	}
	s, err := Alloc(10)
	if err != nil {
		t.Fatal(err)
	}
	s.Free()
	cmd := &exec.Cmd{}
	if err := s.ShareWith(cmd); !errors.Is(err, ErrFreed) || cmd.ExtraFiles != nil || cmd.Env != nil {
		t.Errorf("freed segment: %v, want ErrFreed and the command untouched", err)
	}
}

// largestAlloc is the largest size a segment of Alloc can have: a memfd of
// that size is mapped in whole pages, the largest multiple of the page
// size an int holds.
var largestAlloc = math.MaxInt - (pageSize - 1)

// TestShareWithManyCommandsOneFile checks that a segment shared with
// several commands passes the same descriptor to each, and that Free
// closes it.
func TestShareWithManyCommandsOneFile(t *testing.T) {
	s, err := Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := &exec.Cmd{}, &exec.Cmd{}
	if err := s.ShareWith(c1); err != nil {
		t.Fatal(err)
	}
	if err := s.ShareWith(c2); err != nil {
		t.Fatal(err)
	}
	if c1.ExtraFiles[0] != c2.ExtraFiles[0] {
		t.Fatal("two *os.File for one segment")
	}
	if err := s.Free(); err != nil {
		t.Fatal(err)
	}
	if c1.ExtraFiles[0].Fd() != ^uintptr(0) {
		t.Fatal("Free kept the descriptor of a shared segment open")
	}
}

func TestParseEntries(t *testing.T) {
	good := map[string][]handed{
		"a:3:1":                               {{"a", 3, 1}},
		"seg.1_x-y:17:4096,b:4:9":             {{"seg.1_x-y", 17, 4096}, {"b", 4, 9}},
		fmt.Sprintf("big:3:%d", largestAlloc): {{"big", 3, largestAlloc}},
	}
	for in, want := range good {
		got, err := parseEntries(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseEntries(%q) = %v, %v; want %v", in, got, err, want)
		}
		if f := formatEntries(got); f != in {
			t.Errorf("formatEntries(parseEntries(%q)) = %q", in, f)
		}
	}
	for _, in := range []string{
		"", ",", "a", "a:3", "a:3:1:1", "a:3:1,", ",a:3:1", ":3:1", "a::1", "a:3:",
		"a:2:1", "a:0:1", "a:-3:1", "a:+3:1", "a:03:1", "a: 3:1", "a:3:0", "a:3:-1", "a:3:+1",
		"a:3:01", "a:3:1e3", "a:3:0x10", "a:3:99999999999999999999", "a:9999999999:1",
		fmt.Sprintf("a:3:%d", largestAlloc+1), fmt.Sprintf("a:3:%d", math.MaxInt), "a/b:3:1", "..:3:1", "a b:3:1", "a:3:1,a:4:1", "a:3:1,b:3:1",
		strings.Repeat("x", maxNameLen+1) + ":3:1",
	} {
		if got, err := parseEntries(in); err == nil {
			t.Errorf("parseEntries(%q) = %v, want an error", in, got)
		}
	}
}

// TestHandOverToFourChildren hands one segment to 4 children. Each adds 1
// to its own word and to a word they all share, 100,000 times, with
// atomics, while the parent adds to the shared word too and watches: the
// parent sees every increment (none is lost, across processes), and each
// child sees the parent's writes (the start signal and the count the
// parent acknowledges back).
func TestHandOverToFourChildren(t *testing.T) {
	const children, writes = 4, 100_000
	name := uniqueName("counters")
	s, err := AllocWith(64*(children+1), AllocOptions{Name: name, Tag: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	b := s.Bytes()
	start, total := word(b, 0), word(b, 8)
	nonce := rand.Uint64() | 1
	var cmds []*exec.Cmd
	for i := range children {
		cmd := testproc.Command(t, "shm3-counter", name, strconv.Itoa(i), strconv.FormatUint(nonce, 10), strconv.Itoa(writes))
		if err := s.ShareWith(cmd); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	defer func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}()
	start.Store(nonce)
	var mine uint64
	last := make([]uint64, children)
	done := testproc.Poll(60*time.Second, 0, func() bool {
		total.Add(1)
		mine++
		finished := 0
		for i := range children {
			v := word(b, 64*(i+1)).Load()
			if v < last[i] || v > writes {
				t.Fatalf("child %d's count went from %d to %d", i, last[i], v)
			}
			last[i] = v
			if v == writes {
				finished++
			}
		}
		return finished == children
	})
	if !done {
		t.Fatalf("children's counts after 60s: %v, want %d each", last, writes)
	}
	for i := range children {
		word(b, 64*(i+1)+8).Store(last[i]) // the acknowledgement each child waits for
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("child %d: %v", i, err)
		}
	}
	cmds = nil
	if got, want := total.Load(), uint64(children*writes)+mine; got != want {
		t.Fatalf("shared word = %d, want %d: increments were lost", got, want)
	}
}

// helperCounter takes up segment args[0] and, once the parent has written
// the start nonce args[2], adds 1 to its word (child args[1]) and to the
// shared word args[3] times, then waits for the parent to acknowledge the
// count it saw.
func helperCounter(args []string) int {
	i, _ := strconv.Atoi(args[1])
	nonce, _ := strconv.ParseUint(args[2], 10, 64)
	writes, _ := strconv.Atoi(args[3])
	s, err := Inherited(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Free()
	if s.Tag() != 7 || s.Len() != 64*5 {
		fmt.Fprintf(os.Stderr, "tag %d, len %d; want 7, %d\n", s.Tag(), s.Len(), 64*5)
		return 1
	}
	b := s.Bytes()
	if !testproc.Poll(30*time.Second, 0, func() bool { return word(b, 0).Load() == nonce }) {
		fmt.Fprintln(os.Stderr, "never saw the parent's start nonce")
		return 1
	}
	mine, total := word(b, 64*(i+1)), word(b, 8)
	for range writes {
		mine.Add(1)
		total.Add(1)
	}
	ack := word(b, 64*(i+1)+8)
	if !testproc.Poll(30*time.Second, 0, func() bool { return ack.Load() == uint64(writes) }) {
		fmt.Fprintf(os.Stderr, "parent acknowledged %d, want %d\n", ack.Load(), writes)
		return 1
	}
	return 0
}

// TestChildCannotResize lets a child that was handed a segment try to
// shrink, grow and extend it, and to add a write seal: the seals refuse
// each with EPERM. The parent then reads every byte safely and sees the
// child's write.
func TestChildCannotResize(t *testing.T) {
	name := uniqueName("resize")
	s, err := AllocWith(3*pageSize, AllocOptions{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	cmd := testproc.Command(t, "shm3-resize", name)
	if err := s.ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v; output %s", err, out)
	}
	want := "ftruncate-shrink EPERM\nftruncate-grow EPERM\nfallocate-beyond EPERM\nadd-write-seal EPERM\n"
	if string(out) != want {
		t.Fatalf("child reported\n%s\nwant\n%s", out, want)
	}
	var sum int
	if err := Guard(func() {
		for _, c := range s.Bytes() {
			sum += int(c)
		}
	}); err != nil {
		t.Fatalf("reading the segment after the child's attempts: %v", err)
	}
	if b := s.Bytes(); string(b[len(b)-5:]) != "child" || sum == 0 {
		t.Fatalf("the child's write is not visible: last bytes %q", b[len(b)-5:])
	}
	if size, err := sizeOf(s.fd); err != nil || size != int64(s.Len()) {
		t.Fatalf("file size %d (%v), want %d", size, err, s.Len())
	}
}

func sizeOf(fd int) (int64, error) {
	var st unix.Stat_t
	err := unix.Fstat(fd, &st)
	return st.Size, err
}

// helperResize takes up segment args[0], tries to change its size and its
// seals through the inherited descriptor, printing the errno of each
// attempt, then writes "child" at the segment's end.
func helperResize(args []string) int {
	s, err := Inherited(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Free()
	fd := s.fd
	size, _ := sizeOf(fd)
	report := func(what string, err error) {
		name := "success"
		if errno, ok := err.(syscall.Errno); ok {
			name = unix.ErrnoName(errno)
		}
		fmt.Printf("%s %s\n", what, name)
	}
	report("ftruncate-shrink", unix.Ftruncate(fd, 0))
	report("ftruncate-grow", unix.Ftruncate(fd, size*2))
	report("fallocate-beyond", unix.Fallocate(fd, 0, size, int64(pageSize)))
	_, err = unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_WRITE)
	report("add-write-seal", err)
	b := s.Bytes()
	copy(b[len(b)-5:], "child")
	return 0
}

// TestNoLeakOverManyHandOvers allocates 10,000 segments, hands each to a
// child that it starts, and frees it, four at a time: the process ends
// with the descriptors it started with, none of the segments mapped
// (/proc/self/maps), and Allocated where it was.
func TestNoLeakOverManyHandOvers(t *testing.T) {
	const cycles, workers = 10_000, 4
	trueCmd, err := exec.LookPath("true")
	if err != nil {
		t.Skip(err)
	}
	name := uniqueName("leak")
	fds, allocated := testproc.CountFDs(t), Allocated()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range cycles / workers {
				if err := handOverOnce(name, trueCmd); err != nil {
					t.Errorf("cycle %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := testproc.CountFDs(t); got != fds {
		t.Errorf("%d descriptors open before %d hand-overs, %d after", fds, cycles, got)
	}
	if n := memfdMappings(name); n != 0 {
		t.Errorf("%d of the segments are still mapped after their Free", n)
	}
	if got := Allocated(); got != allocated {
		t.Errorf("Allocated %d before, %d after", allocated, got)
	}
}

// handOverOnce allocates a segment called name, starts path with it,
// frees it and waits for the child.
func handOverOnce(name, path string) error {
	s, err := AllocWith(4096, AllocOptions{Name: name})
	if err != nil {
		return err
	}
	cmd := exec.Command(path)
	if err := s.ShareWith(cmd); err != nil {
		s.Free()
		return err
	}
	startErr := cmd.Start()
	if err := s.Free(); err != nil {
		return err
	}
	if startErr != nil {
		return startErr
	}
	return cmd.Wait()
}

// TestInheritedFreeClosesDescriptor checks in a child that Inherited sets
// the descriptor close-on-exec, that Free unmaps the segment and closes
// it, leaving the child with fewer descriptors than it was started with,
// and that the name cannot be taken up twice.
func TestInheritedFreeClosesDescriptor(t *testing.T) {
	name := uniqueName("freefd")
	s, err := AllocWith(1000, AllocOptions{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	cmd := testproc.Command(t, "shm3-free-fd", name)
	if err := s.ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	if err != nil || string(out) != "ok\n" {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func helperFreeFD(args []string) int {
	name := args[0]
	fail := func(format string, a ...any) int {
		fmt.Printf(format+"\n", a...)
		return 1
	}
	entries, err := parseEntries(os.Getenv(EnvSegments))
	if err != nil || len(entries) != 1 {
		return fail("env %q: %v", os.Getenv(EnvSegments), err)
	}
	fd := entries[0].fd
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC != 0 {
		return fail("handed fd %d: flags %d, %v; want open without close-on-exec", fd, fl, err)
	}
	dir, _ := os.ReadDir("/proc/self/fd")
	before := len(dir)
	s, err := Inherited(name)
	if err != nil {
		return fail("%v", err)
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		return fail("after Inherited fd %d: flags %d, %v; want close-on-exec", fd, fl, err)
	}
	if _, err := Inherited(name); !errors.Is(err, ErrNotInherited) {
		return fail("second Inherited: %v, want ErrNotInherited", err)
	}
	if err := s.Free(); err != nil {
		return fail("Free: %v", err)
	}
	if fdOpen(fd) {
		return fail("fd %d still open after Free", fd)
	}
	dir, _ = os.ReadDir("/proc/self/fd")
	if len(dir) != before-1 {
		return fail("%d descriptors before Inherited, %d after Free; want one fewer", before, len(dir))
	}
	maps, _ := os.ReadFile("/proc/self/maps")
	if strings.Contains(string(maps), "memfd:"+name) {
		return fail("segment still mapped after Free")
	}
	if _, err := Inherited(name); !errors.Is(err, ErrNotInherited) {
		return fail("Inherited after Free: %v, want ErrNotInherited", err)
	}
	fmt.Println("ok")
	return 0
}
