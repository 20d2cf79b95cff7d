//go:build linux

package shm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shm3-parent", helperParent)
	testproc.Register("shm3-survivor", helperSurvivor)
	testproc.Register("shm3-named-creator", helperNamedCreator)
}

// helperTB lets a helper process call testproc.Command, which uses only
// Helper and Fatalf of its testing.TB.
type helperTB struct{ testing.TB }

func (helperTB) Helper() {}
func (helperTB) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(3)
}

// lineReader reads lines from r, failing the test after a deadline.
type lineReader struct {
	f  *os.File
	sc *bufio.Scanner
}

func newLineReader(f *os.File) *lineReader { return &lineReader{f, bufio.NewScanner(f)} }

func (r *lineReader) next(t *testing.T, within time.Duration) string {
	t.Helper()
	r.f.SetReadDeadline(time.Now().Add(within))
	if !r.sc.Scan() {
		t.Fatalf("no line from the helpers within %v: %v", within, r.sc.Err())
	}
	return r.sc.Text()
}

// TestParentKilledChildKeepsSegment: helper A allocates a segment, writes
// to it and hands it to its child B; the test kills A with SIGKILL. B,
// now an orphan, still reads A's bytes and writes its own, and the test,
// no parent of B, attaches to B's segment by pid and name and sees B's
// write. No file is left in /dev/shm: the segment is a memfd that dies
// with its last descriptor, which B closes when it exits.
func TestParentKilledChildKeepsSegment(t *testing.T) {
	name := uniqueName("orphan")
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inW.Close()
	a := testproc.Command(t, "shm3-parent", name)
	a.Stdin, a.Stdout = inR, outW // passed on to B
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	inR.Close()
	lines := newLineReader(outR)
	var pidB int
	if _, err := fmt.Sscanf(lines.next(t, 20*time.Second), "inherited %d", &pidB); err != nil {
		a.Process.Kill()
		t.Fatal(err)
	}
	defer syscall.Kill(pidB, syscall.SIGKILL) // if the test fails before B exits

	a.Process.Signal(syscall.SIGKILL)
	if err := a.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("A: %v, want killed", err)
	}
	if got := lines.next(t, 20*time.Second); got != "survived" {
		t.Fatalf("B reported %q", got)
	}
	s, err := Attach(pidB, name, false)
	if err != nil {
		t.Fatalf("attaching to orphan B's segment: %v", err)
	}
	got := string(s.Bytes()[:len("A wrote this; B wrote this")])
	h, herr := s.Header()
	s.Free()
	if got != "A wrote this; B wrote this" {
		t.Fatalf("segment holds %q", got)
	}
	if herr != nil || h.CreatorPID != a.Process.Pid || h.CreatorAlive() {
		t.Fatalf("header %+v (%v): want creator %d, dead", h, herr, a.Process.Pid)
	}
	inW.Close() // B's stdin: EOF tells it to exit
	outR.SetReadDeadline(time.Now().Add(20 * time.Second))
	if rest, err := io.ReadAll(outR); err != nil || len(rest) != 0 {
		t.Fatalf("waiting for B to exit: %q, %v", rest, err)
	}
	entries, _ := os.ReadDir("/dev/shm")
	for _, e := range entries {
		if strings.Contains(e.Name(), name) {
			t.Errorf("/dev/shm/%s left behind", e.Name())
		}
	}
}

// helperParent (A) allocates segment args[0], writes to it, hands it to
// B, which shares A's stdin and stdout, and waits to be killed.
func helperParent(args []string) int {
	s, err := AllocWith(8192, AllocOptions{Name: args[0]})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	copy(s.Bytes(), "A wrote this")
	b := testproc.Command(helperTB{}, "shm3-survivor", args[0], strconv.Itoa(os.Getpid()))
	b.Stdin, b.Stdout = os.Stdin, os.Stdout
	if err := s.ShareWith(b); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := b.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	time.Sleep(time.Minute)
	return 1
}

// helperSurvivor (B) takes up segment args[0] from A (pid args[1]),
// reports, waits for A to die, checks and extends A's bytes, reports, and
// exits when its stdin ends.
func helperSurvivor(args []string) int {
	s, err := Inherited(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Free()
	parent, _ := strconv.Atoi(args[1])
	fmt.Printf("inherited %d\n", os.Getpid())
	if !testproc.Poll(20*time.Second, 0, func() bool { return os.Getppid() != parent }) {
		fmt.Fprintln(os.Stderr, "parent never died")
		return 1
	}
	b := s.Bytes()
	if err := Guard(func() {
		if bytes.HasPrefix(b, []byte("A wrote this")) {
			copy(b[len("A wrote this"):], "; B wrote this")
		}
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if !bytes.HasPrefix(b, []byte("A wrote this; B wrote this")) {
		fmt.Fprintf(os.Stderr, "segment holds %q\n", b[:26])
		return 1
	}
	fmt.Println("survived")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestNamedCreatorKilled: a helper creates a named segment and is killed.
// The segment is left behind: Open finds it with the creator's bytes and
// reports the creator dead; freeing the mapping does not remove it; only
// Unlink does.
func TestNamedCreatorKilled(t *testing.T) {
	name := uniqueName("leftover")
	path := namedFile(t, name)
	cmd := testproc.Command(t, "shm3-named-creator", name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	testproc.StartReady(t, cmd, "ready")
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	for range 2 {
		s, err := Open(name)
		if err != nil {
			t.Fatalf("the killed creator's segment: %v", err)
		}
		h, err := s.Header()
		data := string(s.Bytes()[:len("left behind")])
		s.Free()
		if err != nil || h.CreatorPID != cmd.Process.Pid || h.CreatorAlive() || data != "left behind" {
			t.Fatalf("header %+v (%v), data %q: want creator %d, dead, and its bytes", h, err, data, cmd.Process.Pid)
		}
	}
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the segment went away without Unlink: %v", err)
	}
	if err := Unlink(name); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open after Unlink: %v, want fs.ErrNotExist", err)
	}
}

// helperNamedCreator creates named segment args[0], writes to it, says
// ready and waits to be killed.
func helperNamedCreator(args []string) int {
	s, err := Create(args[0], 4096)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	copy(s.Bytes(), "left behind")
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return 1
}
