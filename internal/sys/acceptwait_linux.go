package sys

import (
	"golang.org/x/sys/unix"
)

// AcceptWaiter waits for a connection on any of a process's listening
// sockets, or for a stop descriptor. On Linux each waiter is an epoll set
// holding the listening sockets with EPOLLEXCLUSIVE: when several
// processes wait on the same socket, a new connection wakes one of them
// (as a blocking accept would), not all.
type AcceptWaiter struct {
	epfd   int
	fds    []int // the listening sockets
	stop   int
	events []unix.EpollEvent
}

// NewAcceptWaiter makes a waiter over the listening sockets fds and stop,
// a descriptor that becomes readable when the waiter's owner must stop.
func NewAcceptWaiter(fds []int, stop int) (*AcceptWaiter, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	w := &AcceptWaiter{epfd: epfd, fds: fds, stop: stop, events: make([]unix.EpollEvent, len(fds)+1)}
	for _, fd := range fds {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLEXCLUSIVE, Fd: int32(fd)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			unix.Close(epfd)
			return nil, err
		}
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(stop)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, stop, &ev); err != nil {
		unix.Close(epfd)
		return nil, err
	}
	return w, nil
}

// Wait blocks until a listening socket may have a connection or stop is
// readable, and sets ready[i] for each fds[i] that may have one. It
// reports whether stop is readable. ready must be as long as fds. The wait
// is a system call the Go scheduler knows of; an interrupted one is
// retried.
func (w *AcceptWaiter) Wait(ready []bool) (stop bool, err error) {
	var n int
	err = ignoringEINTR(func() (err error) {
		n, err = unix.EpollWait(w.epfd, w.events, -1)
		return err
	})
	if err != nil {
		return false, err
	}
	clear(ready)
	for _, ev := range w.events[:n] {
		if int(ev.Fd) == w.stop {
			stop = true
			continue
		}
		for i, fd := range w.fds {
			if int(ev.Fd) == fd {
				ready[i] = true
			}
		}
	}
	return stop, nil
}

// Close releases the waiter.
func (w *AcceptWaiter) Close() error { return unix.Close(w.epfd) }
