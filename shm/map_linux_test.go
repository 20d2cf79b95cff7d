package shm

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestAnonymousRefusalIsNotRetried asks for huge pages at an address that
// is page-aligned but not huge-page-aligned: the kernel refuses the
// anonymous mapping with EINVAL, and Map reports exactly that, from mmap
// of anonymous memory; it never tries /dev/zero instead.
func TestAnonymousRefusalIsNotRetried(t *testing.T) {
	huge := hugePageSize()
	probe, err := Map(Options{Size: 4 * huge, Prot: ProtNone, Flags: Private | Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	aligned, _ := roundUp(int(addrOf(probe)), huge)
	probe.Free()
	_, err = Map(Options{Size: huge, Prot: rw, Flags: Shared | Anonymous | HugePages | Fixed, Addr: uintptr(aligned + pageSize)})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, syscall.EINVAL) {
		t.Skipf("this kernel does not refuse a misaligned huge page mapping with EINVAL: %v", err)
	}
	if e.Detail != "mmap" || strings.Contains(err.Error(), "/dev/zero") {
		t.Fatalf("%v: want the kernel's refusal of the anonymous mapping, from mmap", err)
	}
}

// TestMapFileAtLargeOffset maps a page of a sparse file 5 GiB in: the
// offset does not fit 32 bits, which on 32-bit platforms only mmap2 (an
// offset in pages) can express.
func TestMapFileAtLargeOffset(t *testing.T) {
	f := tempFile(t, t.TempDir(), "sparse", os.O_RDWR)
	const off = 5 << 30
	if _, err := f.WriteAt([]byte("far away"), off+16); err != nil {
		t.Skip("no sparse file of 5 GiB here:", err)
	}
	s, err := Map(Options{Size: pageSize, Prot: ProtRead, Flags: Shared, File: f, Offset: off})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	if got := string(s.Bytes()[16:24]); got != "far away" {
		t.Fatalf("the page at 5 GiB reads %q", got)
	}
}
