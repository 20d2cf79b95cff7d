//go:build unix

package sys

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// PollIn waits until at least one of fds is readable or hung up, or until
// timeout passes (a negative timeout waits without limit), and sets
// ready[i] for each fds[i] that is. It returns how many are ready: 0 on
// timeout. An interrupted wait (EINTR) counts as a timeout. ready must be
// as long as fds.
func PollIn(fds []int, timeout time.Duration, ready []bool) (int, error) {
	if len(ready) < len(fds) {
		return 0, unix.EINVAL
	}
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	n, err := unix.Poll(pfds, ms)
	if errors.Is(err, unix.EINTR) {
		n, err = 0, nil
	}
	for i := range fds {
		ready[i] = n > 0 && pfds[i].Revents != 0
	}
	return n, err
}

// Relisten calls listen(2) again on the listening socket fd, which sets
// its backlog to backlog (the kernel caps it at its own maximum).
func Relisten(fd, backlog int) error { return unix.Listen(fd, backlog) }

// SetNonblock puts fd into (or out of) non-blocking mode. The mode belongs
// to the open file description, so every process sharing it sees it.
func SetNonblock(fd int, on bool) error { return unix.SetNonblock(fd, on) }

// IsTimeout reports whether err is EAGAIN: no connection was waiting.
func IsTimeout(err error) bool { return errors.Is(err, unix.EAGAIN) }
