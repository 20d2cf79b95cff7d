//go:build unix

package sys

import (
	"time"

	"golang.org/x/sys/unix"
)

// ProcessCPUTime returns the CPU time, user plus system, that all the
// threads of this process have used (CLOCK_PROCESS_CPUTIME_ID). It is a
// system call that sums every thread: in a busy multi-threaded process it
// costs several microseconds, so callers on a hot path read it seldom.
func ProcessCPUTime() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}
