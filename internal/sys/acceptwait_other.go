//go:build unix && !linux

package sys

// AcceptWaiter waits for a connection on any of a process's listening
// sockets, or for a stop descriptor. Off Linux it polls them: every
// waiting process wakes for each connection, and those that find it taken
// wait again.
type AcceptWaiter struct {
	fds   []int // the listening sockets, then stop
	ready []bool
}

// NewAcceptWaiter makes a waiter over the listening sockets fds and stop,
// a descriptor that becomes readable when the waiter's owner must stop.
func NewAcceptWaiter(fds []int, stop int) (*AcceptWaiter, error) {
	all := append(append([]int(nil), fds...), stop)
	return &AcceptWaiter{fds: all, ready: make([]bool, len(all))}, nil
}

// Wait blocks until a listening socket may have a connection or stop is
// readable, and sets ready[i] for each fds[i] that may have one. It
// reports whether stop is readable. ready must be as long as fds.
func (w *AcceptWaiter) Wait(ready []bool) (stop bool, err error) {
	for {
		n, err := PollIn(w.fds, -1, w.ready)
		if err != nil {
			return false, err
		}
		if n == 0 {
			continue
		}
		last := len(w.fds) - 1
		copy(ready, w.ready[:last])
		return w.ready[last], nil
	}
}

// Close releases the waiter.
func (w *AcceptWaiter) Close() error { return nil }
