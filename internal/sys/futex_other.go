//go:build unix && !linux

package sys

import "time"

// HaveFutex reports whether FutexWait and FutexWake work on this platform.
const HaveFutex = false

// FutexWait returns ErrNotSupported.
func FutexWait(addr *uint32, val uint32, timeout time.Duration) error { return ErrNotSupported }

// FutexWake returns ErrNotSupported.
func FutexWake(addr *uint32, n int) (int, error) { return 0, ErrNotSupported }
