//go:build linux

package shm

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
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
	fds, allocated := countFDs(t), Allocated()

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
	if got := countFDs(t); got != fds || Allocated() != allocated {
		t.Fatalf("%d descriptors and %d bytes before attaching, %d and %d after freeing the attachments", fds, allocated, got, Allocated())
	}
	if !bytes.HasPrefix(s.Bytes(), []byte("owner")) || !fdOpen(s.fd) {
		t.Fatal("freeing an attachment disturbed the owner's segment")
	}
}

// TestAttachPicksValidCandidate gives the process two memfds of one name,
// one with a corrupt header: Attach takes the valid one whichever comes
// first, and fails with ErrHeader when neither is valid.
func TestAttachPicksValidCandidate(t *testing.T) {
	name := uniqueName("twins")
	var twins [2]*Segment
	for i := range twins {
		s, err := AllocWith(64, AllocOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Free()
		s.Bytes()[0] = byte('A' + i)
		twins[i] = s
	}
	header := func(s *Segment) []byte { return headerBytes(s.base, s.maplen) }
	for bad := range twins {
		header(twins[bad])[offMagic] ^= 0xff
		a, err := Attach(os.Getpid(), name, false)
		if err != nil {
			t.Fatalf("twin %d corrupt: %v", bad, err)
		}
		if got, want := a.Bytes()[0], byte('A'+1-bad); got != want {
			t.Errorf("twin %d corrupt: attached to %c, want %c", bad, got, want)
		}
		a.Free()
		header(twins[bad])[offMagic] ^= 0xff
	}
	header(twins[0])[offMagic] ^= 0xff
	header(twins[1])[offCheck] ^= 0xff
	allocated := Allocated()
	if _, err := Attach(os.Getpid(), name, false); !errors.Is(err, ErrHeader) || Allocated() != allocated {
		t.Fatalf("both corrupt: %v, want ErrHeader and nothing counted", err)
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
