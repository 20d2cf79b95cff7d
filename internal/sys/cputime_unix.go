//go:build unix

package sys

import (
	"time"

	"golang.org/x/sys/unix"
)

// ProcessCPUTimes returns the user and the system CPU time that all the
// threads of this process have used (getrusage(RUSAGE_SELF)), to the
// microsecond; their sum is the kernel's exact runtime of the process. It
// is a system call that sums every thread, which costs no more than any
// system call here (BenchmarkCPU*): clock_gettime's
// CLOCK_PROCESS_CPUTIME_ID gives the total alone for the same price, and
// times(2) counts in ticks of 10 ms.
func ProcessCPUTimes() (user, system time.Duration, err error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, err
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), nil
}
