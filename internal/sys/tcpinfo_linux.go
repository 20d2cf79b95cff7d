package sys

import "golang.org/x/sys/unix"

// ListenQueue reads TCP_INFO of the listening TCP socket fd: the
// connections waiting to be accepted (tcpi_unacked) and the size of the
// queue, the backlog as the kernel applies it (tcpi_sacked). Sockets that
// are not TCP fail with the kernel's error.
func ListenQueue(fd int) (queued, size uint32, err error) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, 0, err
	}
	return info.Unacked, info.Sacked, nil
}
