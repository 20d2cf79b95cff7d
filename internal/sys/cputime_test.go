//go:build unix

package sys

import (
	"testing"
	"time"
)

// TestProcessCPUTimes: spinning for 20 ms of wall time adds user time, and
// neither figure ever goes back. The spin reads the clock once per million
// steps: where the clock is a system call (a virtual machine without a
// usable TSC), reading it at every step would spend the spin in the kernel.
func TestProcessCPUTimes(t *testing.T) {
	user0, sys0, err := ProcessCPUTimes()
	if err != nil {
		t.Fatal(err)
	}
	sink := 0
	for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
		for i := range 1_000_000 {
			sink += i
		}
	}
	_ = sink
	user1, sys1, err := ProcessCPUTimes()
	if err != nil {
		t.Fatal(err)
	}
	if user1 <= user0 || sys1 < sys0 {
		t.Fatalf("CPU times went from user %v, system %v to user %v, system %v over a 20 ms spin", user0, sys0, user1, sys1)
	}
}
