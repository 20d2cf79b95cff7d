package pm

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// conn is a worker's connection to the web server, served with blocking
// system calls on the worker's own descriptor: a worker serves one request
// at a time, so a read that waits (in a system call the Go scheduler knows
// of) costs nothing another request could have used, and there is no
// duplicate descriptor, no netpoller registration and no goroutine park
// and wake-up per read. Read and write deadlines are the socket's
// SO_RCVTIMEO and SO_SNDTIMEO, set from the time left when they are set.
//
// Only the goroutine serving the connection reads and writes it. Another
// may call hangUp, to end a read or write blocked in the kernel.
type conn struct {
	fd     int
	rto    time.Duration // the receive timeout set on the socket
	sto    time.Duration // the send timeout set on the socket
	expiry bool          // a read deadline already past: reads fail at once

	mu     sync.Mutex // guards closed against hangUp
	closed bool
}

// newConn takes up fd, an accepted blocking socket.
func newConn(fd int) *conn { return &conn{fd: fd} }

// Read reads into p; a read that times out fails with an error matching
// os.ErrDeadlineExceeded (a net.Error whose Timeout is true).
func (c *conn) Read(p []byte) (int, error) {
	if c.expiry {
		return 0, c.opError("read", os.ErrDeadlineExceeded)
	}
	n, err := sys.Read(c.fd, p)
	if err != nil {
		if sys.IsTimeout(err) {
			err = os.ErrDeadlineExceeded
		}
		return 0, c.opError("read", err)
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p unless the peer is gone or the send timeout passes.
func (c *conn) Write(p []byte) (int, error) {
	n, err := sys.Write(c.fd, p)
	if err != nil {
		if sys.IsTimeout(err) {
			err = os.ErrDeadlineExceeded
		}
		return n, c.opError("write", err)
	}
	return n, nil
}

func (c *conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "fastcgi", Err: err}
}

// Close closes the descriptor.
func (c *conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	return sys.Close(c.fd)
}

// hangUp shuts the socket down, so that a read or write blocked on it in
// another thread returns at once. The descriptor stays open until Close.
func (c *conn) hangUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		sys.Shutdown(c.fd)
	}
}

// pending reports whether bytes wait to be read on the socket.
func (c *conn) pending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	var b [1]byte
	n, _ := sys.Peek(c.fd, b[:])
	return n > 0
}

// setRecvTimeout bounds each read to d (0: no bound), calling into the
// kernel only when d changes.
func (c *conn) setRecvTimeout(d time.Duration) error {
	c.expiry = false
	if d == c.rto {
		return nil
	}
	if err := sys.SetRecvTimeout(c.fd, d); err != nil {
		return fmt.Errorf("set the receive timeout of a connection to %s: %w", d, err)
	}
	c.rto = d
	return nil
}

// setSendTimeout bounds each write to d (0: no bound).
func (c *conn) setSendTimeout(d time.Duration) error {
	if d == c.sto {
		return nil
	}
	if err := sys.SetSendTimeout(c.fd, d); err != nil {
		return fmt.Errorf("set the send timeout of a connection to %s: %w", d, err)
	}
	c.sto = d
	return nil
}

// deadlineTimeout turns a deadline into a timeout from now: 0 for none,
// and whether the deadline has already passed.
func deadlineTimeout(t time.Time) (d time.Duration, past bool) {
	if t.IsZero() {
		return 0, false
	}
	d = time.Until(t)
	return max(d, time.Microsecond), d <= 0
}

// SetReadDeadline bounds the reads that follow to t.
func (c *conn) SetReadDeadline(t time.Time) error {
	d, past := deadlineTimeout(t)
	if err := c.setRecvTimeout(d); err != nil {
		return err
	}
	c.expiry = past
	return nil
}

// SetWriteDeadline bounds the writes that follow to t.
func (c *conn) SetWriteDeadline(t time.Time) error {
	d, _ := deadlineTimeout(t)
	return c.setSendTimeout(d)
}

// SetDeadline sets both deadlines.
func (c *conn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

// LocalAddr returns the worker's end of a TCP connection; an empty
// address for a unix socket.
func (c *conn) LocalAddr() net.Addr { return sockAddr(sys.SockName(c.fd)) }

// RemoteAddr returns the web server's end of a TCP connection; an empty
// address for a unix socket.
func (c *conn) RemoteAddr() net.Addr { return sockAddr(sys.PeerName(c.fd)) }

// sockAddr parses host:port into a TCP address (the zero one if it is "").
func sockAddr(s string) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil || s == "" {
		return &net.UnixAddr{Net: "unix"}
	}
	return a
}

var _ net.Conn = (*conn)(nil)
