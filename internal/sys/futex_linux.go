package sys

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futex operations, without FUTEX_PRIVATE_FLAG: the word may be shared
// between processes, so the kernel keys the futex by the page's identity,
// not by this process's address.
const (
	futexWait = 0 // FUTEX_WAIT
	futexWake = 1 // FUTEX_WAKE
)

// HaveFutex reports whether FutexWait and FutexWake work on this platform.
const HaveFutex = true

// FutexWait sleeps while the 32-bit word at addr holds val, for at most
// timeout (no limit when timeout <= 0): FUTEX_WAIT on a futex shared
// between processes. The kernel compares the word and queues the caller
// atomically, so a FutexWake after the word changed is never lost. It
// returns nil when woken (or spuriously), EAGAIN when the word did not hold
// val, ETIMEDOUT when the timeout passed, EINTR when a signal arrived.
func FutexWait(addr *uint32, val uint32, timeout time.Duration) error {
	var errno unix.Errno
	if timeout > 0 {
		ts := unix.NsecToTimespec(int64(timeout))
		_, _, errno = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWait, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
	} else {
		_, _, errno = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWait, uintptr(val), 0, 0, 0)
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// FutexWake wakes up to n processes (or threads) sleeping in FutexWait on
// the word at addr, and returns how many it woke. It never blocks.
func FutexWake(addr *uint32, n int) (int, error) {
	r, _, errno := unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWake, uintptr(n), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
