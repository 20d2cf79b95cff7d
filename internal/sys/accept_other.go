//go:build unix && !linux && !freebsd

package sys

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Accept takes one connection off the listening socket fd without
// waiting: it fails with EAGAIN when none is queued. The new descriptor is
// non-blocking and close-on-exec.
func Accept(fd int) (int, error) {
	syscall.ForkLock.RLock()
	nfd, _, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}
