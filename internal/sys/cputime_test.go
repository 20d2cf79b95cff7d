//go:build unix

package sys

import (
	"testing"
	"time"
)

// TestProcessCPUTimes: spinning for 20 ms of wall time adds user time, and
// neither figure ever goes back.
func TestProcessCPUTimes(t *testing.T) {
	user0, sys0, err := ProcessCPUTimes()
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
	}
	user1, sys1, err := ProcessCPUTimes()
	if err != nil {
		t.Fatal(err)
	}
	if user1 <= user0 || sys1 < sys0 {
		t.Fatalf("CPU times went from user %v, system %v to user %v, system %v over a 20 ms spin", user0, sys0, user1, sys1)
	}
}
