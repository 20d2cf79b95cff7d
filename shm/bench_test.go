//go:build linux

package shm

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mapFree is Map(Anonymous|Shared) of one page, then Free: the seed's own
// path, mmap and munmap with the checks and the count around them.
func mapFree(b *testing.B) {
	s, err := Map(Options{Size: 4096, Prot: ProtRead | ProtWrite, Flags: Shared | Anonymous})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Free(); err != nil {
		b.Fatal(err)
	}
}

// rawMmapMunmap is x/sys/unix's Mmap and Munmap of one page of shared
// anonymous memory: mapFree without this package.
func rawMmapMunmap(b *testing.B) {
	m, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.Munmap(m); err != nil {
		b.Fatal(err)
	}
}

// allocFree is Alloc+Free of a one-page shareable segment: memfd_create
// (its name carrying the pid and tag), ftruncate, F_ADD_SEALS, mmap, then
// munmap and close, with the checks and the count around them.
func allocFree(b *testing.B) {
	s, err := Alloc(4096)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Free(); err != nil {
		b.Fatal(err)
	}
}

// memfdSealedRaw is the system calls of a sealed memfd segment, made
// directly with x/sys/unix: memfd_create, ftruncate, F_ADD_SEALS, mmap,
// munmap, close: allocFree without this package.
func memfdSealedRaw(b *testing.B) {
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

// BenchmarkMapAnonSharedFree is mapFree. bench/run compares it with the C
// seed.
func BenchmarkMapAnonSharedFree(b *testing.B) {
	for b.Loop() {
		mapFree(b)
	}
}

// BenchmarkRawMmapMunmap is rawMmapMunmap. bench/run compares it with the C
// seed.
func BenchmarkRawMmapMunmap(b *testing.B) {
	for b.Loop() {
		rawMmapMunmap(b)
	}
}

// BenchmarkAllocFree is allocFree. bench/run compares it with the C seed.
func BenchmarkAllocFree(b *testing.B) {
	for b.Loop() {
		allocFree(b)
	}
}

// BenchmarkMemfdSealedRaw is memfdSealedRaw. bench/run compares it with the
// C program that makes the same calls.
func BenchmarkMemfdSealedRaw(b *testing.B) {
	for b.Loop() {
		memfdSealedRaw(b)
	}
}

// BenchmarkMapFreeVsRaw is mapFree timed interleaved with rawMmapMunmap:
// its ns/op is mapFree's, and raw-ns/op the raw calls'. bench/run's target
// for this package's cost over the system calls is their ratio. Run one
// after the other, as two benchmarks, the pair is skewed by the state the
// first leaves (the raw calls ran up to 10% faster after Map+Free than in
// a fresh process); interleaved, both run in the same state.
func BenchmarkMapFreeVsRaw(b *testing.B) { interleave(b, mapFree, rawMmapMunmap) }

// BenchmarkAllocFreeVsRaw is allocFree timed interleaved with
// memfdSealedRaw, as BenchmarkMapFreeVsRaw.
func BenchmarkAllocFreeVsRaw(b *testing.B) { interleave(b, allocFree, memfdSealedRaw) }

// interleave times op and raw in alternating blocks of 64 calls each, the
// order of the two blocks swapped at every iteration, and reports op's
// time per call as ns/op and raw's as raw-ns/op.
func interleave(b *testing.B, op, raw func(*testing.B)) {
	const block = 64
	var opTime, rawTime time.Duration
	timed := func(f func(*testing.B)) time.Duration {
		t0 := time.Now()
		for range block {
			f(b)
		}
		return time.Since(t0)
	}
	calls := 0
	for b.Loop() {
		if calls%2 == 0 {
			opTime += timed(op)
			rawTime += timed(raw)
		} else {
			rawTime += timed(raw)
			opTime += timed(op)
		}
		calls++
	}
	n := float64(calls * block)
	b.ReportMetric(float64(opTime)/n, "ns/op")
	b.ReportMetric(float64(rawTime)/n, "raw-ns/op")
}
