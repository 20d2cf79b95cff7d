//go:build linux

package shm

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// namedFile returns the path of the named segment name; the test removes
// it at its end if it is still there.
func namedFile(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(namedDir, namedPrefix+name)
	t.Cleanup(func() { os.Remove(path) })
	return path
}

func TestNamedCreateOpenUnlink(t *testing.T) {
	name := uniqueName("named")
	path := namedFile(t, name)
	s, err := Create(name, 10000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	if s.Len() != 10000 || s.Info().Backing != BackingNamed || s.Name() != name {
		t.Fatalf("created %+v", s.Info())
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 || fi.Size() != segLen(10000) {
		t.Fatalf("%s: mode %v, %d bytes; want -rw------- and %d", path, fi.Mode(), fi.Size(), segLen(10000))
	}
	if blocks := fi.Sys().(*syscall.Stat_t).Blocks * 512; blocks < fi.Size() {
		t.Fatalf("%s: %d bytes reserved of %d: fallocate was not done", path, blocks, fi.Size())
	}
	copy(s.Bytes(), "named")
	if _, err := Create(name, 10); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Create: %v, want fs.ErrExist", err)
	}

	o, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if o.Len() != 10000 || !bytes.HasPrefix(o.Bytes(), []byte("named")) {
		t.Fatalf("opened %d bytes starting %q", o.Len(), o.Bytes()[:5])
	}
	h, err := o.Header()
	if err != nil || h.CreatorPID != os.Getpid() || !h.CreatorAlive() {
		t.Fatalf("header %+v, %v; want this process as its live creator", h, err)
	}
	copy(o.Bytes()[10:], "opened")
	if !bytes.HasPrefix(s.Bytes()[10:], []byte("opened")) {
		t.Fatal("a write through Open's mapping is not seen by the creator")
	}
	if err := o.Free(); err != nil {
		t.Fatal(err)
	}

	if err := Unlink(name); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after Unlink: %v", err)
	}
	if !bytes.HasPrefix(s.Bytes(), []byte("named")) {
		t.Fatal("Unlink disturbed the creator's mapping")
	}
	if _, err := Open(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open after Unlink: %v, want fs.ErrNotExist", err)
	}
	var e *Error
	if err := Unlink(name); !errors.As(err, &e) || e.Op != "unlink" || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("second Unlink: %v, want *Error unlink matching fs.ErrNotExist", err)
	}
}

func TestNamedBadNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "a/b", "../etc", "a\x00b", "a b", strings.Repeat("x", maxNameLen+1)} {
		if _, err := Create(name, 10); !errors.Is(err, ErrName) {
			t.Errorf("Create(%q): %v, want ErrName", name, err)
		}
		if _, err := Open(name); !errors.Is(err, ErrName) {
			t.Errorf("Open(%q): %v, want ErrName", name, err)
		}
		if err := Unlink(name); !errors.Is(err, ErrName) {
			t.Errorf("Unlink(%q): %v, want ErrName", name, err)
		}
	}
	for _, size := range []int{0, -1} {
		if _, err := Create(uniqueName("size"), size); !errors.Is(err, ErrSize) {
			t.Errorf("Create of %d bytes: %v, want ErrSize", size, err)
		}
	}
}

// TestNamedOpenRefusesForeignFiles checks that Open refuses a symbolic
// link, a file of another owner and a file that is not a segment.
func TestNamedOpenRefusesForeignFiles(t *testing.T) {
	link := uniqueName("link")
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, make([]byte, pageSize), 0o600)
	if err := os.Symlink(target, namedFile(t, link)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(link); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("symbolic link: %v, want ELOOP", err)
	}
	if _, err := Create(link, 10); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over a symbolic link: %v, want fs.ErrExist", err)
	}

	foreign := uniqueName("foreign")
	s, err := Create(foreign, 10)
	if err != nil {
		t.Fatal(err)
	}
	s.Free()
	path := namedFile(t, foreign)
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Skip("cannot chown:", err)
	}
	if _, err := Open(foreign); !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("segment of uid 65534: %v, want fs.ErrPermission naming the owner", err)
	}

	junk := uniqueName("junk")
	if err := os.WriteFile(namedFile(t, junk), make([]byte, pageSize), 0o600); err != nil {
		t.Fatal(err)
	}
	allocated := Allocated()
	if _, err := Open(junk); !errors.Is(err, ErrHeader) || Allocated() != allocated {
		t.Errorf("file of zeros: %v, want ErrHeader and nothing counted", err)
	}
}

var sink byte

// TestNamedTruncatedByAnother truncates a named segment's file under its
// mapping, as any process of the same user can: reads through Guard and
// Header fail with ErrFault instead of killing the process, and Open
// refuses the file.
func TestNamedTruncatedByAnother(t *testing.T) {
	name := uniqueName("truncated")
	path := namedFile(t, name)
	s, err := Create(name, 3*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if err := Guard(func() { sink = s.Bytes()[2*pageSize] }); !errors.Is(err, ErrFault) {
		t.Fatalf("read of the truncated segment: %v, want ErrFault", err)
	}
	if _, err := s.Header(); !errors.Is(err, ErrFault) {
		t.Fatalf("Header of the truncated segment: %v, want ErrFault", err)
	}
	if _, err := Open(name); !errors.Is(err, ErrHeader) {
		t.Fatalf("Open of the truncated file: %v, want ErrHeader", err)
	}
}

// TestNamedFullTmpfs creates a named segment larger than what is left of
// a small tmpfs: Create fails at once with ENOSPC, removes its file and
// counts nothing; a segment that fits is then created as usual.
func TestNamedFullTmpfs(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=256k,mode=0700"); err != nil {
		t.Skip("cannot mount a small tmpfs:", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	old := namedDir
	namedDir = dir
	defer func() { namedDir = old }()

	allocated := Allocated()
	_, err := Create("big", 1<<20)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("1 MiB on a 256 KiB tmpfs: %v, want ENOSPC", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 || Allocated() != allocated {
		t.Fatalf("after ENOSPC: %d files left, Allocated %d -> %d", len(entries), allocated, Allocated())
	}
	small, err := Create("small", 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	small.Free()
	// Fits the tmpfs's size but not what is left of it: fallocate fails
	// part way, and the kernel gives back what it had reserved.
	first, err := Create("first", 160<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Free()
	if _, err := Create("second", 160<<10); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("160 KiB on a 256 KiB tmpfs holding 160 KiB: %v, want ENOSPC", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, namedPrefix+"second")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the failed segment's file is left: %v", err)
	}
	for _, name := range []string{"small", "first"} {
		if err := Unlink(name); err != nil {
			t.Fatal(err)
		}
	}
}
