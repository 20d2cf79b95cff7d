package testproc

import (
	"testing"
	"time"
)

func TestPollStopsWhenCondHolds(t *testing.T) {
	calls := 0
	if !Poll(10*time.Second, time.Millisecond, func() bool { calls++; return calls == 3 }) {
		t.Fatal("Poll reported false for a condition that held on the third call")
	}
	if calls != 3 {
		t.Errorf("Poll called cond %d times, want 3: once more than it held is a wasted call, fewer is not polling", calls)
	}
}

func TestPollGivesUp(t *testing.T) {
	for _, every := range []time.Duration{0, 5 * time.Millisecond} {
		begin := time.Now()
		calls := 0
		if Poll(30*time.Millisecond, every, func() bool { calls++; return false }) {
			t.Fatalf("every %v: Poll reported true for a condition that never held", every)
		}
		if d := time.Since(begin); d < 30*time.Millisecond {
			t.Errorf("every %v: Poll gave up after %v, before the 30ms it was given", every, d)
		}
		if calls < 2 {
			t.Errorf("every %v: Poll called cond %d times in 30ms", every, calls)
		}
	}
}
