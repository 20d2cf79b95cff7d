package shm

import (
	"os"
	"strings"
)

// Prot is a segment's memory protection: ProtNone or any combination of
// ProtRead, ProtWrite and ProtExec.
type Prot int

// The protections of mmap's prot parameter.
const (
	ProtNone  Prot = 0
	ProtRead  Prot = 1 << 0
	ProtWrite Prot = 1 << 1
	ProtExec  Prot = 1 << 2
)

func (p Prot) String() string {
	if p == ProtNone {
		return "none"
	}
	return joinBits(int(p), []string{"read", "write", "exec"})
}

// Flag selects a mapping's properties, as mmap's flags parameter does.
type Flag int

// The flags of mmap's table. Exactly one of Shared and Private is required,
// and a mapping is backed either by Anonymous memory or by Options.File.
const (
	// Shared: writes are visible to every process mapping the same memory
	// and are carried to the file.
	Shared Flag = 1 << iota
	// Private: a copy-on-write mapping; writes stay in this process.
	Private
	// Anonymous: memory backed by no file, zero-filled.
	Anonymous
	// Fixed: map exactly at Options.Addr. Unlike raw MAP_FIXED it never
	// replaces an existing mapping (the Go heap may live there): an
	// occupied range fails with EEXIST.
	Fixed
	// Locked: lock the pages in memory (no swapping). Done as
	// mmap(MAP_LOCKED) followed by mlock, so that a failure to lock is
	// reported (EAGAIN or ENOMEM, naming RLIMIT_MEMLOCK) instead of being
	// silently ignored as MAP_LOCKED alone does.
	Locked
	// DenyWrite is accepted for completeness of mmap's table; Linux has
	// ignored MAP_DENYWRITE for years and so does this package.
	DenyWrite
	// Populate: fault every page in at mapping time (MAP_POPULATE).
	Populate
	// HugePages: back the mapping with huge pages (MAP_HUGETLB); fails with
	// ENOMEM when none are reserved.
	HugePages

	flagLimit
)

func (f Flag) String() string {
	return joinBits(int(f), []string{"shared", "private", "anonymous", "fixed", "locked", "denywrite", "populate", "hugepages"})
}

// Options describes a mapping for Map: every parameter of mmap.
type Options struct {
	Size   int      // bytes to map; rounded up to whole pages internally
	Prot   Prot     // protection; the zero value is ProtNone
	Flags  Flag     // Shared or Private, plus any others
	Addr   uintptr  // with Fixed: the page-aligned address to map at
	File   *os.File // the file to map, or nil with Anonymous
	Offset int64    // with File: where the mapping starts, a multiple of the page size

	// DevZero maps /dev/zero instead of asking for MAP_ANONYMOUS: the
	// seed's anonymous memory on systems without MAP_ANONYMOUS. Map takes
	// /dev/zero only when asked to, or where MAP_ANONYMOUS does not exist;
	// an anonymous mapping the kernel refuses is reported as refused,
	// never tried again through /dev/zero.
	DevZero bool
}

// Backing says what memory a segment maps.
type Backing string

// The backings a segment can have.
const (
	BackingAnonymous Backing = "anonymous" // MAP_ANONYMOUS
	BackingDevZero   Backing = "devzero"   // /dev/zero (Options.DevZero)
	BackingFile      Backing = "file"      // a caller's file
	BackingMemfd     Backing = "memfd"     // a sealed memfd (Alloc on Linux)
	BackingTempFile  Backing = "tempfile"  // an unlinked temporary file (Alloc elsewhere)
	BackingNamed     Backing = "named"     // a file under /dev/shm (Create, Open)
)

func joinBits(v int, names []string) string {
	var parts []string
	for i, n := range names {
		if v&(1<<i) != 0 {
			parts = append(parts, n)
			v &^= 1 << i
		}
	}
	if v != 0 {
		parts = append(parts, "unknown")
	}
	return strings.Join(parts, "|")
}
