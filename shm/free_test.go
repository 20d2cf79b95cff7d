//go:build linux

package shm

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFreeUnmaps frees a segment of every kind and checks that its range
// is unmapped, as fpm_shm_free's munmap leaves it: no longer in
// /proc/self/maps, and free for Map with Fixed at its address.
func TestFreeUnmaps(t *testing.T) {
	file := tempFile(t, t.TempDir(), "rw", os.O_RDWR)
	named := uniqueName("unmapped")
	namedFile(t, named)
	owner, err := AllocWith(3*pageSize, AllocOptions{Name: uniqueName("owner")})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Free()
	mapped := func(o Options) func() (*Segment, error) {
		o.Size, o.Prot = 3*pageSize, rw
		return func() (*Segment, error) { return Map(o) }
	}
	makers := map[string]func() (*Segment, error){
		"map shared":  mapped(Options{Flags: Shared | Anonymous}),
		"map private": mapped(Options{Flags: Private | Anonymous}),
		"map devzero": mapped(Options{Flags: Shared, DevZero: true}),
		"map file":    mapped(Options{Flags: Shared, File: file}),
		"alloc":       func() (*Segment, error) { return Alloc(3 * pageSize) },
		"create":      func() (*Segment, error) { return Create(named, 3*pageSize) },
		"attach":      func() (*Segment, error) { return Attach(os.Getpid(), owner.Name(), true) },
		"inherited": func() (*Segment, error) {
			fd, err := unix.FcntlInt(uintptr(owner.fd), unix.F_DUPFD_CLOEXEC, 3) // the segment's to close
			if err != nil {
				return nil, err
			}
			t.Setenv(EnvSegments, fmt.Sprintf("%s:%d:%d", owner.Name(), fd, owner.Len()))
			return Inherited(owner.Name())
		},
	}
	for what, mk := range makers {
		s, err := mk()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		base, n := uintptr(s.base), int(s.maplen)
		freeUnmaps(t, s)
		again, err := Map(Options{Size: n, Prot: rw, Flags: Private | Anonymous | Fixed, Addr: base})
		if err != nil {
			t.Fatalf("%s: Map with Fixed at the freed segment's address: %v", what, err)
		}
		again.Free()
	}
}
