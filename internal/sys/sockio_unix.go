//go:build unix

package sys

import (
	"time"

	"golang.org/x/sys/unix"
)

// Read reads from fd into p, waiting as the descriptor's mode says: a
// blocking socket waits at most its receive timeout (SetRecvTimeout), then
// fails with EAGAIN (IsTimeout). The wait is a system call the Go
// scheduler knows of: other goroutines run meanwhile. An interrupted
// read is retried.
func Read(fd int, p []byte) (n int, err error) {
	err = ignoringEINTR(func() error {
		n, err = unix.Read(fd, p)
		return err
	})
	return max(n, 0), err
}

// Write writes all of p to fd unless it fails; a blocking socket waits at
// most its send timeout (SetSendTimeout) for room, then fails with EAGAIN.
// It returns how many bytes were written.
func Write(fd int, p []byte) (int, error) {
	done := 0
	for done < len(p) {
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = unix.Write(fd, p[done:])
			return err
		})
		if n > 0 {
			done += n
		}
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, unix.EIO
		}
	}
	return done, nil
}

// SetRecvTimeout bounds each blocking read on the socket fd to d
// (SO_RCVTIMEO); 0 waits without limit.
func SetRecvTimeout(fd int, d time.Duration) error {
	tv := unix.NsecToTimeval(max(d, 0).Nanoseconds())
	return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
}

// SetSendTimeout bounds each blocking write on the socket fd to d
// (SO_SNDTIMEO); 0 waits without limit.
func SetSendTimeout(fd int, d time.Duration) error {
	tv := unix.NsecToTimeval(max(d, 0).Nanoseconds())
	return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
}

// Shutdown shuts the socket fd down both ways: a read or write blocked on
// it in another thread returns at once (a read with end of file).
func Shutdown(fd int) error { return unix.Shutdown(fd, unix.SHUT_RDWR) }

// PeerName returns the address of the socket fd's peer as "host:port", or
// "" for a unix socket (or when it cannot be read).
func PeerName(fd int) string {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return ""
	}
	return sockaddrString(sa)
}

// SockName returns the socket fd's own address as "host:port", or "" for a
// unix socket.
func SockName(fd int) string {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return ""
	}
	return sockaddrString(sa)
}

func sockaddrString(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netJoin(a.Addr[:], a.Port)
	case *unix.SockaddrInet6:
		return netJoin(a.Addr[:], a.Port)
	}
	return ""
}

// WaitPeer waits until the peer of the socket fd hangs up (or the socket
// fails), or, when data is true, until fd has bytes to read; or until wake
// (a pipe's read end) becomes readable. It reports whether fd hung up and
// whether it has bytes to read. Off Linux, where poll has no POLLRDHUP,
// only a socket closed both ways (or failed) counts as hung up. EINTR is
// retried.
func WaitPeer(fd, wake int, data bool) (hungUp, readable bool, err error) {
	events := int16(pollRdHup)
	if data {
		events |= unix.POLLIN
	}
	pfds := []unix.PollFd{{Fd: int32(fd), Events: events}, {Fd: int32(wake), Events: unix.POLLIN}}
	err = ignoringEINTR(func() (err error) {
		_, err = unix.Poll(pfds, -1)
		return err
	})
	if err != nil {
		return false, false, err
	}
	r := pfds[0].Revents
	return r&^unix.POLLIN != 0, r&unix.POLLIN != 0, nil
}

// Peek copies the bytes waiting on the socket fd into p without taking
// them, and without waiting.
func Peek(fd int, p []byte) (int, error) {
	n, _, err := unix.Recvfrom(fd, p, unix.MSG_PEEK|unix.MSG_DONTWAIT)
	return max(n, 0), err
}
