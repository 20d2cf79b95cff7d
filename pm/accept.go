package pm

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// errStopped is returned by acceptor.next once the worker is told to stop.
var errStopped = errors.New("worker stopping")

// acceptor takes connections off the listening sockets, one when asked:
// a worker asks only when it is free, so a connection waits in the kernel's
// listen queue (where any free worker can take it) rather than in a busy
// worker, as with PHP-FPM's children. Each worker waits on its own
// sys.AcceptWaiter, which the kernel wakes one at a time for a connection
// (EPOLLEXCLUSIVE on Linux), as it wakes PHP-FPM's children blocked in
// accept.
type acceptor struct {
	fds   []int    // the listening sockets
	kinds []string // what each socket speaks
	ready []bool
	wait  *sys.AcceptWaiter

	stopR, stopW *os.File
	stopOnce     sync.Once

	// allowed are listen.allowed_clients: when set, a TCP connection
	// from another address is closed as soon as it is accepted, and log
	// says so.
	allowed []netip.Addr
	log     *slog.Logger
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
	if a.wait, err = sys.NewAcceptWaiter(a.fds, int(a.stopR.Fd())); err != nil {
		a.stopR.Close()
		a.stopW.Close()
		return nil, fmt.Errorf("wait on the listening sockets: %w", err)
	}
	a.ready = make([]bool, len(a.fds))
	return a, nil
}

// stop makes next return errStopped, now or when it is next called.
func (a *acceptor) stop() { a.stopOnce.Do(func() { a.stopW.Close() }) }

// next waits for a connection on any socket and accepts it: a blocking
// descriptor, close-on-exec, which the caller owns.
func (a *acceptor) next() (fd int, kind string, err error) {
	for {
		stop, err := a.wait.Wait(a.ready)
		if err != nil {
			return -1, "", fmt.Errorf("wait on the listening sockets: %w", err)
		}
		if stop {
			return -1, "", errStopped
		}
		for i, lfd := range a.fds {
			if !a.ready[i] {
				continue
			}
			fd, err := sys.AcceptBlocking(lfd)
			if err != nil {
				if transientAccept(err) {
					continue
				}
				return -1, "", fmt.Errorf("accept on %s socket: %w", a.kinds[i], err)
			}
			if !a.allows(fd) {
				syscall.Close(fd)
				continue
			}
			return fd, a.kinds[i], nil
		}
	}
}

// allowOnly makes the acceptor take TCP connections from the addresses of
// listen.allowed_clients (s) only; an empty s allows every client.
func (a *acceptor) allowOnly(s string, log *slog.Logger) error {
	if s == "" {
		return nil
	}
	addrs, err := allowedClients(s)
	if err != nil {
		return err
	}
	a.allowed, a.log = addrs, log
	return nil
}

// allows reports whether the connection fd may be served: it is not TCP,
// or its peer is one of the allowed clients. A refused connection is
// logged as PHP-FPM logs it; one whose peer cannot be read (it is gone
// already) is refused without a word.
func (a *acceptor) allows(fd int) bool {
	if a.allowed == nil {
		return true
	}
	peer, inet, err := sys.PeerAddr(fd)
	switch {
	case err != nil:
		return false
	case !inet || slices.Contains(a.allowed, peer):
		return true
	}
	a.log.Error(fmt.Sprintf("Connection disallowed: IP address '%s' has been dropped.", peer))
	return false
}

// transientAccept reports errors after which accepting goes on: another
// worker took the connection, or the client gave up before it was taken.
func transientAccept(err error) bool {
	return sys.IsTimeout(err) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EPROTO)
}

// close releases the waiter and the stop pipe.
func (a *acceptor) close() {
	a.stop()
	a.wait.Close()
	a.stopR.Close()
}

// netConn makes an accepted descriptor a net.Conn (for net/http), taking
// it over.
func netConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "fpmshm-conn")
	c, err := net.FileConn(f)
	f.Close()
	return c, err
}
