//go:build unix

package sys

import (
	"time"

	"golang.org/x/sys/unix"
)

// ProcessCPUTimes returns the user and the system CPU time that all the
// threads of this process have used (getrusage(RUSAGE_SELF)). It is a
// system call that sums every thread: in a busy multi-threaded process it
// costs several microseconds, so callers on a hot path read it seldom.
func ProcessCPUTimes() (user, system time.Duration, err error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, err
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), nil
}
