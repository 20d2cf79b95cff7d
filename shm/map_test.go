package shm

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"unsafe"
)

// badInput is one call that must fail with want, changing nothing.
type badInput struct {
	name string
	call func(t *testing.T) error
	want []error // every one must match with errors.Is
}

func mapWith(o Options) func(*testing.T) error {
	return func(*testing.T) error {
		s, err := Map(o)
		if err == nil {
			s.Free()
		}
		return err
	}
}

func allocWith(size int, o AllocOptions) func(*testing.T) error {
	return func(*testing.T) error {
		s, err := AllocWith(size, o)
		if err == nil {
			s.Free()
		}
		return err
	}
}

var rw = ProtRead | ProtWrite

// absurdSize is more memory than any machine has, on 64-bit platforms.
const absurdSize = 1 << (strconv.IntSize - 2)

// TestBadInput runs every refused input the seed's tables describe, plus
// the package's own checks, and asserts the exact errno or sentinel and
// that the accounting did not move.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	readOnly := tempFile(t, dir, "ro", os.O_RDONLY)
	writeOnly := tempFile(t, dir, "wo", os.O_WRONLY)
	closed := tempFile(t, dir, "closed", os.O_RDWR)
	closed.Close()
	badFD := staleFile(t, dir)

	procFile, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer procFile.Close()
	occupied, err := Map(Options{Size: 2 * pageSize, Prot: rw, Flags: Shared | Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	defer occupied.Free()
	occupiedAddr := addrOf(occupied)
	freed, _ := Alloc(16)
	freed.Free()

	cases := []badInput{
		{"map size 0", mapWith(Options{Size: 0, Prot: rw, Flags: Shared | Anonymous}), []error{ErrSize, syscall.EINVAL}},
		{"map negative size", mapWith(Options{Size: -1, Prot: rw, Flags: Shared | Anonymous}), []error{ErrSize, syscall.EINVAL}},
		{"map size overflows address space", mapWith(Options{Size: math.MaxInt, Prot: rw, Flags: Shared | Anonymous}), []error{ErrSize, syscall.EINVAL}},
		{"map unknown prot bit", mapWith(Options{Size: 4096, Prot: 1 << 5, Flags: Shared | Anonymous}), []error{ErrFlags, syscall.EINVAL}},
		{"map unknown flag bit", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Anonymous | 1<<20}), []error{ErrFlags, syscall.EINVAL}},
		{"map neither shared nor private", mapWith(Options{Size: 4096, Prot: rw, Flags: Anonymous}), []error{ErrFlags, syscall.EINVAL}},
		{"map both shared and private", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Private | Anonymous}), []error{ErrFlags, syscall.EINVAL}},
		{"map anonymous with a file", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Anonymous, File: readOnly}), []error{ErrFlags, syscall.EINVAL}},
		{"map devzero with a file", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared, File: readOnly, DevZero: true}), []error{ErrFlags, syscall.EINVAL}},
		{"map without backing", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared}), []error{ErrFile, syscall.EINVAL}},
		{"map closed *os.File", mapWith(Options{Size: 4096, Prot: ProtRead, Flags: Shared, File: closed}), []error{ErrFile, syscall.EINVAL}},
		{"map unaligned offset", mapWith(Options{Size: 4096, Prot: ProtRead, Flags: Shared, File: readOnly, Offset: 100}), []error{ErrOffset, syscall.EINVAL}},
		{"map negative offset", mapWith(Options{Size: 4096, Prot: ProtRead, Flags: Shared, File: readOnly, Offset: -4096}), []error{ErrOffset, syscall.EINVAL}},
		{"map anonymous with offset", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Anonymous, Offset: 4096}), []error{ErrOffset, syscall.EINVAL}},
		{"map fixed without addr", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Anonymous | Fixed}), []error{ErrFixedAddr, syscall.EINVAL}},
		{"map addr without fixed", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Anonymous, Addr: occupiedAddr}), []error{ErrFixedAddr, syscall.EINVAL}},
		{"map fixed unaligned addr", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Anonymous | Fixed, Addr: occupiedAddr + 1}), []error{ErrFixedAddr, syscall.EINVAL}},
		{"map fixed on an occupied range", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Anonymous | Fixed, Addr: occupiedAddr}), []error{syscall.EEXIST}},
		{"map fixed on the Go heap", mapWith(Options{Size: pageSize, Prot: rw, Flags: Shared | Anonymous | Fixed, Addr: goHeapPage()}), []error{syscall.EEXIST}},
		{"map fixed where the end wraps", mapWith(Options{Size: 2 * pageSize, Prot: rw, Flags: Shared | Anonymous | Fixed, Addr: ^uintptr(0) &^ uintptr(pageSize-1)}), []error{ErrFixedAddr, syscall.EINVAL}},
		{"map offset whose end overflows", mapWith(Options{Size: 2 * pageSize, Prot: ProtRead, Flags: Shared, File: readOnly, Offset: math.MaxInt64 &^ int64(pageSize-1)}), []error{ErrOffset, syscall.EINVAL}},
		{"map descriptor that is not open", mapWith(Options{Size: 4096, Prot: ProtRead, Flags: Shared, File: badFD}), []error{syscall.EBADF}},
		{"map read-only file shared writable", mapWith(Options{Size: 4096, Prot: rw, Flags: Shared, File: readOnly}), []error{syscall.EACCES}},
		{"map write-only file private", mapWith(Options{Size: 4096, Prot: ProtRead, Flags: Private, File: writeOnly}), []error{syscall.EACCES}},
		{"map file that cannot be mapped", mapWith(Options{Size: 4096, Prot: ProtRead, Flags: Private, File: procFile}), []error{syscall.ENODEV}},
		{"map huge pages none reserved", hugePagesCase(t), []error{syscall.ENOMEM}},
		{"alloc size 0", allocWith(0, AllocOptions{}), []error{ErrSize, syscall.EINVAL}},
		{"alloc negative size", allocWith(-5, AllocOptions{}), []error{ErrSize, syscall.EINVAL}},
		{"alloc name with slash", allocWith(64, AllocOptions{Name: "a/b"}), []error{ErrName, syscall.EINVAL}},
		{"alloc name dot-dot", allocWith(64, AllocOptions{Name: ".."}), []error{ErrName, syscall.EINVAL}},
		{"alloc name too long", allocWith(64, AllocOptions{Name: string(bytes.Repeat([]byte("n"), maxNameLen+1))}), []error{ErrName, syscall.EINVAL}},
		{"alloc past SetLimit", func(t *testing.T) error {
			defer SetLimit(SetLimit(Allocated() + 100))
			return allocWith(200, AllocOptions{})(t)
		}, []error{ErrLimit, syscall.ENOMEM}},
		{"free twice", func(*testing.T) error { return freed.Free() }, []error{ErrFreed}},
		{"protect after free", func(*testing.T) error { return freed.Protect(ProtRead) }, []error{ErrFreed}},
		{"sync after free", func(*testing.T) error { return freed.Sync() }, []error{ErrFreed}},
		{"lock after free", func(*testing.T) error { return freed.Lock() }, []error{ErrFreed}},
		{"protect unknown bits", func(*testing.T) error { return occupied.Protect(1 << 4) }, []error{ErrFlags, syscall.EINVAL}},
		{"advise unknown", func(*testing.T) error { return occupied.Advise(99) }, []error{ErrFlags, syscall.EINVAL}},
	}
	if strconv.IntSize == 64 { // on 32-bit platforms, every int-sized mapping may succeed
		cases = append(cases,
			badInput{"map absurd size", mapWith(Options{Size: absurdSize, Prot: rw, Flags: Shared | Anonymous}), []error{syscall.ENOMEM}},
			badInput{"alloc absurd size", allocWith(absurdSize, AllocOptions{}), []error{ErrLimit, syscall.ENOMEM}},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, live := Allocated(), len(Segments())
			err := c.call(t)
			if err == nil {
				t.Fatalf("succeeded, want %v", c.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error %T %v is not *shm.Error", err, err)
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("error %q does not match %v", err, w)
				}
			}
			if after := Allocated(); after != before {
				t.Errorf("Allocated() moved from %d to %d", before, after)
			}
			if n := len(Segments()); n != live {
				t.Errorf("live segments went from %d to %d", live, n)
			}
		})
	}
	if freed.Bytes() != nil || freed.Len() != 0 {
		t.Errorf("freed segment still gives %d bytes", freed.Len())
	}
}

// TestErrorText checks that errors say what was attempted and why.
func TestErrorText(t *testing.T) {
	f := tempFile(t, t.TempDir(), "ro", os.O_RDONLY)
	_, err := Map(Options{Size: 8192, Prot: rw, Flags: Shared, File: f, Offset: 4096})
	want := "shm: map (8192 bytes at offset 4096): the file's open mode does not allow this mapping"
	if err == nil || !bytes.HasPrefix([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error text %q, want it to start %q", err, want)
	}
	_, err = AllocWith(0, AllocOptions{Name: "pool"})
	if want := `shm: alloc "pool" (0 bytes): size must be positive and fit the address space`; err == nil || err.Error() != want {
		t.Fatalf("error text %q, want %q", err, want)
	}
}

// TestZeroFill checks that new memory reads as zeros, for every backing,
// also where a segment just written and freed was.
func TestZeroFill(t *testing.T) {
	for _, o := range []Options{
		{Size: 3 * pageSize, Prot: rw, Flags: Shared | Anonymous},
		{Size: 3 * pageSize, Prot: rw, Flags: Private | Anonymous},
		{Size: 3 * pageSize, Prot: rw, Flags: Shared, DevZero: true},
	} {
		s, err := Map(o)
		if err != nil {
			t.Fatal(err)
		}
		checkZero(t, s)
		s.Free()
	}
	for range 3 {
		s, err := Alloc(3*pageSize + 10)
		if err != nil {
			t.Fatal(err)
		}
		checkZero(t, s)
		for i := range s.Bytes() {
			s.Bytes()[i] = 0xAB
		}
		s.Free()
	}
}

func checkZero(t *testing.T, s *Segment) {
	t.Helper()
	if i := bytes.IndexFunc(s.Bytes(), func(r rune) bool { return r != 0 }); i >= 0 {
		t.Fatalf("%v segment: byte %d is not zero", s.Info().Backing, i)
	}
}

// TestDevZeroBacking checks the seed's /dev/zero fallback is shared memory.
func TestDevZeroBacking(t *testing.T) {
	s, err := Map(Options{Size: 100, Prot: rw, Flags: Shared, DevZero: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	if b := s.Info().Backing; b != BackingDevZero {
		t.Fatalf("backing %q, want %q", b, BackingDevZero)
	}
	s.Bytes()[99] = 7
	if s.Bytes()[99] != 7 {
		t.Fatal("write lost")
	}
}

// TestSharedFileMapping checks that writes to a Shared file mapping reach
// the file and a second mapping of it.
func TestSharedFileMapping(t *testing.T) {
	f := tempFile(t, t.TempDir(), "rw", os.O_RDWR)
	a, err := Map(Options{Size: 2 * pageSize, Prot: rw, Flags: Shared, File: f})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	b, err := Map(Options{Size: pageSize, Prot: ProtRead, Flags: Shared, File: f, Offset: int64(pageSize)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	copy(a.Bytes()[pageSize:], "hello")
	if got := string(b.Bytes()[:5]); got != "hello" {
		t.Fatalf("second mapping reads %q", got)
	}
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := f.ReadAt(got, int64(pageSize)); err != nil || string(got) != "hello" {
		t.Fatalf("file reads %q, %v", got, err)
	}
}

// TestPrivateIsCopyOnWrite checks that a Private mapping's writes stay in
// the mapping and never reach the file.
func TestPrivateIsCopyOnWrite(t *testing.T) {
	f := tempFile(t, t.TempDir(), "rw", os.O_RDWR)
	if _, err := f.WriteAt([]byte("original"), 0); err != nil {
		t.Fatal(err)
	}
	s, err := Map(Options{Size: pageSize, Prot: rw, Flags: Private, File: f})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	copy(s.Bytes(), "modified")
	got := make([]byte, 8)
	f.ReadAt(got, 0)
	if string(got) != "original" {
		t.Fatalf("file changed to %q through a private mapping", got)
	}
	if string(s.Bytes()[:8]) != "modified" {
		t.Fatalf("mapping reads %q", s.Bytes()[:8])
	}
}

// TestReadOnlyFaultsThenProtect checks that writing a ProtRead segment
// faults, and that Protect(ProtRead|ProtWrite) then allows it.
func TestReadOnlyFaultsThenProtect(t *testing.T) {
	s, err := Map(Options{Size: 64, Prot: ProtRead, Flags: Shared | Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	if !writeFaults(s.Bytes()) {
		t.Fatal("write to a read-only segment did not fault")
	}
	if err := s.Protect(rw); err != nil {
		t.Fatal(err)
	}
	if writeFaults(s.Bytes()) {
		t.Fatal("write faulted after Protect(read|write)")
	}
	if s.Bytes()[0] != 1 {
		t.Fatal("write lost")
	}
}

// writeFaults writes b[0] = 1 and reports whether it faulted.
func writeFaults(b []byte) (faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() { faulted = recover() != nil }()
	b[0] = 1
	return false
}

// TestFixedMapsAtAddr checks Fixed maps exactly at a free address: one
// that a segment held until its Free.
func TestFixedMapsAtAddr(t *testing.T) {
	probe, err := Map(Options{Size: 4 * pageSize, Prot: rw, Flags: Shared | Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	addr := addrOf(probe)
	probe.Free() // the range is now free
	s, err := Map(Options{Size: pageSize, Prot: rw, Flags: Shared | Anonymous | Fixed, Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	if got := addrOf(s); got != addr {
		t.Fatalf("mapped at %#x, want %#x", got, addr)
	}
}

// TestFlagsMap checks that the remaining flags of the table map.
func TestFlagsMap(t *testing.T) {
	for _, f := range []Flag{Locked, Populate, DenyWrite, Locked | Populate} {
		s, err := Map(Options{Size: 3 * pageSize, Prot: rw, Flags: Shared | Anonymous | f})
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if got := s.Info().Flags; got != Shared|Anonymous|f {
			t.Errorf("flags %v, want %v", got, Shared|Anonymous|f)
		}
		s.Bytes()[0] = 1
		if err := s.Free(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSegmentOps runs every method on a live segment.
func TestSegmentOps(t *testing.T) {
	s, err := Alloc(2 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	for _, a := range []Advice{AdviseNormal, AdviseRandom, AdviseSequential, AdviseWillNeed, AdviseDontDump, AdviseDoDump} {
		if err := s.Advise(a); err != nil {
			t.Errorf("advise %d: %v", a, err)
		}
	}
	if err := s.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Protect(ProtRead); err != nil {
		t.Fatal(err)
	}
	if s.Info().Prot != ProtRead {
		t.Fatalf("prot %v after Protect(read)", s.Info().Prot)
	}
}

func tempFile(t *testing.T, dir, name string, mode int) *os.File {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, make([]byte, 4*pageSize), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, mode, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// staleFile returns an *os.File whose descriptor number is not open (it
// is above any descriptor limit, so nothing can ever be opened there).
func staleFile(t *testing.T, dir string) *os.File {
	return os.NewFile(1<<30-1, filepath.Join(dir, "stale"))
}

// hugePagesCase maps huge pages, which fails with ENOMEM when the machine
// has none reserved; the case is skipped where some are.
func hugePagesCase(t *testing.T) func(*testing.T) error {
	return func(t *testing.T) error {
		if b, _ := os.ReadFile("/proc/sys/vm/nr_hugepages"); len(b) > 0 && string(bytes.TrimSpace(b)) != "0" {
			t.Skip("huge pages are reserved on this machine")
		}
		return mapWith(Options{Size: 4096, Prot: rw, Flags: Shared | Anonymous | HugePages})(t)
	}
}

func addrOf(s *Segment) uintptr { return uintptr(s.base) }

// goHeap is a Go allocation of a few pages, kept alive.
var goHeap = make([]byte, 4*os.Getpagesize())

// goHeapPage returns the address of a whole page inside goHeap: memory
// the Go runtime owns. Under -race, a mapping placed there would trip
// checkptr (golang/go#70721); Fixed never replaces it.
func goHeapPage() uintptr {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(goHeap)))
	return (p + uintptr(pageSize) - 1) &^ uintptr(pageSize-1)
}
