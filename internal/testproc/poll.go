package testproc

import (
	"runtime"
	"testing"
	"time"
)

// Poll calls cond until it returns true and reports whether it did before
// within passed. Between calls it sleeps for every, or, when every is 0,
// only yields the processor: a spin for a value another process writes in
// shared memory. It needs no testing.TB, so a helper process can use it.
func Poll(within, every time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		if every == 0 {
			runtime.Gosched()
		} else {
			time.Sleep(every)
		}
	}
	return true
}

// WaitUntil polls cond every 20ms until it holds, failing t with "waited
// WITHIN for WHAT" if within passes first.
func WaitUntil(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	if !Poll(within, 20*time.Millisecond, cond) {
		t.Fatalf("waited %v for %s", within, what)
	}
}
