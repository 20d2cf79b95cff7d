//go:build linux

package shm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkMapAnonSharedFree is the seed's own path: Map(Anonymous|Shared)
// of one page, then Free. bench/run pairs it with the C seed.
func BenchmarkMapAnonSharedFree(b *testing.B) {
	o := Options{Size: 4096, Prot: ProtRead | ProtWrite, Flags: Shared | Anonymous}
	for b.Loop() {
		s, err := Map(o)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Free(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapAnonSharedFreeFresh is the same without the pool: DenyWrite,
// which Linux ignores, makes the mapping one the pool does not keep, so
// every iteration is a fresh mmap and munmap.
func BenchmarkMapAnonSharedFreeFresh(b *testing.B) {
	o := Options{Size: 4096, Prot: ProtRead | ProtWrite, Flags: Shared | Anonymous | DenyWrite}
	for b.Loop() {
		s, err := Map(o)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Free(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllocFree is Alloc+Free of a one-page shareable segment.
func BenchmarkAllocFree(b *testing.B) {
	for b.Loop() {
		s, err := Alloc(4096)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Free(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawMmapMunmap is x/sys/unix's Mmap and Munmap of one page, for
// comparison in the same run.
func BenchmarkRawMmapMunmap(b *testing.B) {
	for b.Loop() {
		m, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_SHARED)
		if err != nil {
			b.Fatal(err)
		}
		if err := unix.Munmap(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemfdSealedRaw is the raw system calls of a sealed memfd
// segment, without this package: memfd_create, ftruncate, F_ADD_SEALS,
// mmap, munmap, close.
func BenchmarkMemfdSealedRaw(b *testing.B) {
	for b.Loop() {
		fd, err := unix.MemfdCreate("bench", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
		if err != nil {
			b.Fatal(err)
		}
		if err := unix.Ftruncate(fd, 4096); err != nil {
			b.Fatal(err)
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_SEAL); err != nil {
			b.Fatal(err)
		}
		m, err := unix.Mmap(fd, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			b.Fatal(err)
		}
		unix.Munmap(m)
		unix.Close(fd)
	}
}

// BenchmarkAllocFreeFresh is Alloc+Free of a one-page segment that is never
// pooled (it has a name of its own): memfd_create, ftruncate, seals, mmap,
// the header's first touch of the page, munmap, close.
func BenchmarkAllocFreeFresh(b *testing.B) {
	for b.Loop() {
		s, err := AllocWith(4096, AllocOptions{Name: "fresh"})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Free(); err != nil {
			b.Fatal(err)
		}
	}
}
