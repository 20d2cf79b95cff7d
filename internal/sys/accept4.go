//go:build linux || freebsd

package sys

import "golang.org/x/sys/unix"

// Accept takes one connection off the listening socket fd without
// waiting: it fails with EAGAIN when none is queued. The new descriptor is
// non-blocking and close-on-exec.
func Accept(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	return nfd, err
}

// AcceptBlocking takes one connection off the listening socket fd (which
// may itself be non-blocking: then it fails with EAGAIN when none is
// queued). The new descriptor is in blocking mode and close-on-exec, for a
// process that serves it alone with blocking reads and writes.
func AcceptBlocking(fd int) (int, error) {
	// Not unix.Accept4, which asks the listening socket its protocol with
	// getsockopt after each accept, to decode the peer's address.
	r, _, errno := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), 0, 0, unix.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	nfd := int(r)
	// FreeBSD's accept4 passes the listening socket's O_NONBLOCK on
	// unless SOCK_NONBLOCK is given; Linux never does. Clear it either way
	// only where it may be set.
	if inheritsNonblock {
		if err := unix.SetNonblock(nfd, false); err != nil {
			unix.Close(nfd)
			return -1, err
		}
	}
	return nfd, nil
}
