package pm

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// errStopped is returned by acceptor.next once the worker is told to stop.
var errStopped = errors.New("worker stopping")

// acceptor takes connections off the listening sockets, one when asked:
// a worker asks only when it is free, so a connection waits in the kernel's
// listen queue (where any free worker can take it) rather than in a busy
// worker, as with PHP-FPM's children.
type acceptor struct {
	fds   []int    // the listening sockets, then the stop pipe's read end
	kinds []string // what each socket speaks
	ready []bool

	stopR, stopW *os.File
	stopOnce     sync.Once
}

// newAcceptor takes up the inherited listening sockets: close-on-exec, so
// the handler's own children do not hold them, and non-blocking, so that a
// connection another worker took first is not waited for.
func newAcceptor(ls []inheritedFD) (*acceptor, error) {
	a := &acceptor{}
	for _, l := range ls {
		syscall.CloseOnExec(l.fd)
		if err := sys.SetNonblock(l.fd, true); err != nil {
			return nil, fmt.Errorf("inherited %s socket (fd %d): %w", l.kind, l.fd, err)
		}
		a.fds = append(a.fds, l.fd)
		a.kinds = append(a.kinds, l.kind)
	}
	var err error
	if a.stopR, a.stopW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("stop pipe: %w", err)
	}
	a.fds = append(a.fds, int(a.stopR.Fd()))
	a.ready = make([]bool, len(a.fds))
	return a, nil
}

// stop makes next return errStopped, now or when it is next called.
func (a *acceptor) stop() { a.stopOnce.Do(func() { a.stopW.Close() }) }

// next waits for a connection on any socket and accepts it.
func (a *acceptor) next() (net.Conn, string, error) {
	last := len(a.fds) - 1
	for {
		if _, err := sys.PollIn(a.fds, -1, a.ready); err != nil {
			return nil, "", fmt.Errorf("poll listening sockets: %w", err)
		}
		if a.ready[last] {
			return nil, "", errStopped
		}
		for i, fd := range a.fds[:last] {
			if !a.ready[i] {
				continue
			}
			c, err := acceptConn(fd)
			if err != nil {
				if transientAccept(err) {
					continue
				}
				return nil, "", fmt.Errorf("accept on %s socket: %w", a.kinds[i], err)
			}
			return c, a.kinds[i], nil
		}
	}
}

// acceptConn accepts one connection without waiting.
func acceptConn(fd int) (net.Conn, error) {
	nfd, err := sys.Accept(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(nfd), "fpmshm-conn")
	c, err := net.FileConn(f)
	f.Close()
	return c, err
}

// transientAccept reports errors after which accepting goes on: another
// worker took the connection, or the client gave up before it was taken.
func transientAccept(err error) bool {
	return sys.IsTimeout(err) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EPROTO)
}

// close releases the stop pipe.
func (a *acceptor) close() {
	a.stop()
	a.stopR.Close()
}
