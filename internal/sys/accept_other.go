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
	nfd, err := acceptCloexec(fd)
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}

// AcceptBlocking takes one connection off the listening socket fd (which
// may itself be non-blocking: then it fails with EAGAIN when none is
// queued). The new descriptor is in blocking mode and close-on-exec, for a
// process that serves it alone with blocking reads and writes.
func AcceptBlocking(fd int) (int, error) {
	nfd, err := acceptCloexec(fd)
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(nfd, false); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}

func acceptCloexec(fd int) (int, error) {
	syscall.ForkLock.RLock()
	nfd, _, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	return nfd, err
}
