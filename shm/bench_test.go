//go:build linux

package shm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkMapAnonSharedFree is the seed's own path: Map(Anonymous|Shared)
// of one page, then Free: mmap and munmap, with the checks and the count
// around them. bench/run pairs it with BenchmarkRawMmapMunmap and the C
// seed.
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

// BenchmarkRawMmapMunmap is x/sys/unix's Mmap and Munmap of one page of
// shared anonymous memory: BenchmarkMapAnonSharedFree without this
// package.
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

// BenchmarkAllocFree is Alloc+Free of a one-page shareable segment:
// memfd_create (its name carrying the pid and tag), ftruncate, F_ADD_SEALS,
// mmap, then munmap and close, with the checks and the count around them.
// bench/run pairs it with BenchmarkMemfdSealedRaw and the C seed.
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

// BenchmarkMemfdSealedRaw is the system calls of a sealed memfd segment,
// made directly with x/sys/unix: memfd_create, ftruncate, F_ADD_SEALS,
// mmap, munmap, close: BenchmarkAllocFree without this package.
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
		if err := unix.Munmap(m); err != nil {
			b.Fatal(err)
		}
		if err := unix.Close(fd); err != nil {
			b.Fatal(err)
		}
	}
}
