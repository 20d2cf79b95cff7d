package testproc

import (
	"os"
	"testing"
)

// CountFDs returns how many descriptors this process has open, skipping
// the test where /proc/self/fd cannot be read.
func CountFDs(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(entries) - 1 // the one ReadDir used
}
