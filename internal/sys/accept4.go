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
