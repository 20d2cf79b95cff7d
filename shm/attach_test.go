//go:build linux

package shm

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestAttachByPid attaches to a segment of this process by pid and name,
// read-only and then writable, and checks both see the owner's bytes, the
// writable one writes them, and Free of an attachment leaves the owner's
// segment alone.
func TestAttachByPid(t *testing.T) {
	name := uniqueName("attach")
	s, err := AllocWith(5000, AllocOptions{Name: name, Tag: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	copy(s.Bytes(), "owner")
	fds, allocated := testproc.CountFDs(t), Allocated()

	ro, err := Attach(os.Getpid(), name, false)
	if err != nil {
		t.Fatal(err)
	}
	if ro.Len() != 5000 || ro.Tag() != 9 || ro.Info().Prot != ProtRead || !bytes.HasPrefix(ro.Bytes(), []byte("owner")) {
		t.Fatalf("read-only attachment: %+v tag %d, %q", ro.Info(), ro.Tag(), ro.Bytes()[:5])
	}
	rw, err := Attach(os.Getpid(), name, true)
	if err != nil {
		t.Fatal(err)
	}
	copy(rw.Bytes()[100:], "tool")
	if !bytes.HasPrefix(s.Bytes()[100:], []byte("tool")) || !bytes.HasPrefix(ro.Bytes()[100:], []byte("tool")) {
		t.Fatal("a write through the writable attachment is not seen by the owner and the reader")
	}
	if err := ro.Free(); err != nil {
		t.Fatal(err)
	}
	if err := rw.Free(); err != nil {
		t.Fatal(err)
	}
	if got := testproc.CountFDs(t); got != fds || Allocated() != allocated {
		t.Fatalf("%d descriptors and %d bytes before attaching, %d and %d after freeing the attachments", fds, allocated, got, Allocated())
	}
	if !bytes.HasPrefix(s.Bytes(), []byte("owner")) || !fdOpen(s.fd) {
		t.Fatal("freeing an attachment disturbed the owner's segment")
	}
}

// TestAttachPicksValidCandidate gives the process three memfds of one
// segment name, the segment between two that are not valid (one named
// without pid and tag, one empty): Attach passes over both to take it, and
// fails with ErrHeader once only the invalid two are left.
func TestAttachPicksValidCandidate(t *testing.T) {
	name := uniqueName("twins")
	sealed := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL
	before := rawMemfd(t, name, 64, sealed) // no pid and tag in its name
	s, err := AllocWith(64, AllocOptions{Name: name, Tag: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	after := rawMemfd(t, memfdName(name, os.Getpid(), 9), 0, sealed) // empty
	if !(before < s.fd && s.fd < after) {
		t.Fatalf("descriptors %d, %d, %d: want the segment's between the others", before, s.fd, after)
	}
	s.Bytes()[0] = 'A'
	a, err := Attach(os.Getpid(), name, false)
	if err != nil {
		t.Fatalf("one valid candidate among three: %v", err)
	}
	if a.Bytes()[0] != 'A' || a.Len() != 64 || a.Tag() != 9 {
		t.Errorf("attached to %q, %d bytes, tag %d; want the segment's 'A', 64 bytes, tag 9", a.Bytes()[0], a.Len(), a.Tag())
	}
	a.Free()
	s.Free()
	allocated := Allocated()
	if _, err := Attach(os.Getpid(), name, false); !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "none of the 2 candidates") || Allocated() != allocated {
		t.Fatalf("two invalid candidates: %v, want ErrHeader saying none of the 2 is valid, and nothing counted", err)
	}
}

// TestAttachMissing checks a name the process does not hold, a pid that
// does not exist and a bad name.
func TestAttachMissing(t *testing.T) {
	_, err := Attach(os.Getpid(), uniqueName("absent"), false)
	var e *Error
	if !errors.As(err, &e) || e.Op != "attach" || !errors.Is(err, ErrNotFound) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent name: %v, want *Error attach matching ErrNotFound and fs.ErrNotExist", err)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	if _, err := Attach(cmd.Process.Pid, "fpmshm", false); !errors.Is(err, ErrNotFound) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("pid of a reaped process: %v, want ErrNotFound and ENOENT", err)
	}
	for _, pid := range []int{0, -1} {
		if _, err := Attach(pid, "fpmshm", false); !errors.Is(err, ErrNotFound) {
			t.Errorf("pid %d: %v, want ErrNotFound", pid, err)
		}
	}
	if _, err := Attach(os.Getpid(), "../x", false); !errors.Is(err, ErrName) {
		t.Errorf("name ../x: %v, want ErrName", err)
	}
}

// TestNames lists the segments a process holds: this one's, then a reaped
// process's, which is not found.
func TestNames(t *testing.T) {
	name := uniqueName("listed")
	s, err := AllocWith(64, AllocOptions{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	names, err := Names(os.Getpid())
	if err != nil || !slices.Contains(names, name) || !slices.IsSorted(names) {
		t.Fatalf("Names = %v, %v; want a sorted list holding %q", names, err, name)
	}
	s.Free()
	if names, _ := Names(os.Getpid()); slices.Contains(names, name) {
		t.Fatalf("Names still lists %q after Free: %v", name, names)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	if _, err := Names(cmd.Process.Pid); !errors.Is(err, ErrNotFound) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("Names of a reaped process: %v, want ErrNotFound and ENOENT", err)
	}
}
