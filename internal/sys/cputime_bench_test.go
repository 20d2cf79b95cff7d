//go:build linux

package sys

import (
	"runtime"
	"runtime/metrics"
	"testing"

	"golang.org/x/sys/unix"
)

// The ways to read this process's CPU time, one reading per iteration: a
// worker reads its CPU clock twice per request, with getrusage: no other
// way is cheaper, and it splits user from system time for the access log. CLOCK_MONOTONIC, through
// the same system call, is the floor any system call pays here.

func BenchmarkCPUGetrusage(b *testing.B) {
	for b.Loop() {
		ProcessCPUTimes()
	}
}

func BenchmarkCPUClockProcess(b *testing.B) {
	var ts unix.Timespec
	for b.Loop() {
		unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts)
	}
}

func BenchmarkCPUTimes(b *testing.B) {
	var t unix.Tms
	for b.Loop() {
		unix.Times(&t)
	}
}

func BenchmarkCPUClockThread(b *testing.B) {
	var ts unix.Timespec
	for b.Loop() {
		unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	}
}

func BenchmarkCPUSyscallFloor(b *testing.B) {
	var ts unix.Timespec
	for b.Loop() {
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	}
}

// BenchmarkHeapAllocsRead is one reading of the bytes allocated on the
// heap so far, a worker's other reading per request stage.
func BenchmarkHeapAllocsRead(b *testing.B) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	for b.Loop() {
		metrics.Read(s)
	}
}

// BenchmarkHeapReadMemStats is the other way to read the bytes allocated
// so far: exact (it flushes every processor's cache of spans first), but it
// stops the world, at tens of times the cost of BenchmarkHeapAllocsRead.
func BenchmarkHeapReadMemStats(b *testing.B) {
	var m runtime.MemStats
	for b.Loop() {
		runtime.ReadMemStats(&m)
	}
}
