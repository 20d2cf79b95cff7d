package pm

import (
	"fmt"
	"net"
	"time"
)

// The bounds of a connection to pm.status_listen. A status or ping request
// is a few KiB that a web server sends at once: these leave it ample room
// and no client more.
const (
	statusMaxConns    = 16               // connections served at once
	statusReadTimeout = 2 * time.Second  // for each read, the first byte included
	statusConnLife    = 10 * time.Second // for the whole connection
	statusMaxBytes    = 256 << 10        // read from one connection
)

// statusConn is a connection to pm.status_listen, bounded in time and
// size: each read must come within statusReadTimeout, the connection ends
// statusConnLife after it was accepted, and reading more than
// statusMaxBytes from it fails, which ends it.
type statusConn struct {
	net.Conn
	end  time.Time // when the connection's life ends
	left int       // bytes that may still be read
}

func newStatusConn(c net.Conn) *statusConn {
	s := &statusConn{Conn: c, end: time.Now().Add(statusConnLife), left: statusMaxBytes}
	c.SetWriteDeadline(s.end)
	return s
}

// errStatusTooLong ends a connection to pm.status_listen that sent more
// than statusMaxBytes.
var errStatusTooLong = fmt.Errorf("pm.status_listen: a connection sent more than %d bytes; closing it", statusMaxBytes)

// Read reads within the connection's bounds.
func (s *statusConn) Read(b []byte) (int, error) {
	if s.left <= 0 {
		return 0, errStatusTooLong
	}
	deadline := time.Now().Add(statusReadTimeout)
	if s.end.Before(deadline) {
		deadline = s.end
	}
	if err := s.Conn.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	n, err := s.Conn.Read(b[:min(len(b), s.left)])
	s.left -= n
	return n, err
}
