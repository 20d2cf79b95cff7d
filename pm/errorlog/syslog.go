package errorlog

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Syslog defaults, as php-fpm's.
const (
	DefaultSyslogPath = "/dev/log" // the local syslog daemon's socket
	DefaultIdent      = "php-fpm"  // syslog.ident
	DefaultFacility   = FacilityDaemon
)

// syslogTimeout bounds one send: a syslog daemon that stops reading cannot
// stall the process logging.
const syslogTimeout = time.Second

// Syslog sends log lines to the local syslog daemon in the form glibc's
// syslog(3) gives them when php-fpm calls openlog(ident, LOG_PID, facility):
//
//	<157>Dec  2 01:21:36 php-fpm[4228]: [NOTICE] fpm is running, pid 4228
//
// one datagram per line on the daemon's unix socket (a stream socket, each
// message ending in NUL, when the socket is one). Control characters in a
// line are sent as \xHH, as PHP's syslog filter (no-ctrl) does. It connects
// on first use and once more after a failed send, so a restarted daemon is
// found again; a daemon that stops reading costs a send at most a second
// before it fails. It is safe for concurrent use.
type Syslog struct {
	path     string
	ident    string
	facility Facility
	pid      int

	mu     sync.Mutex
	conn   net.Conn
	stream bool // conn is a stream socket: messages end in NUL
	buf    []byte
}

// NewSyslog returns a Syslog that sends to the socket at path (empty:
// DefaultSyslogPath) as ident (empty: DefaultIdent) with facility. It does
// no I/O: a daemon that is not there yet is looked for at each send.
func NewSyslog(path, ident string, facility Facility) *Syslog {
	if path == "" {
		path = DefaultSyslogPath
	}
	if ident == "" {
		ident = DefaultIdent
	}
	return &Syslog{path: path, ident: ident, facility: facility, pid: os.Getpid()}
}

// Close closes the connection to the daemon, if one is open.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// send sends one line at severity sev, stamped t.
func (s *Syslog) send(sev int, t time.Time, line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := strconv.AppendInt(append(s.buf[:0], '<'), int64(int(s.facility)<<3|sev), 10)
	b = t.AppendFormat(append(b, '>'), time.Stamp)
	b = append(append(append(b, ' '), s.ident...), '[')
	b = append(strconv.AppendInt(b, int64(s.pid), 10), "]: "...)
	b = appendNoCtrl(b, line)
	s.buf = b
	err := s.write(b)
	if err != nil && s.conn != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		s.conn.Close()
		s.conn = nil
		err = s.write(b) // once more, on a new connection
	}
	if err != nil {
		return fmt.Errorf("send to syslog at %s: %w", s.path, err)
	}
	return nil
}

// write sends one message, connecting first if need be.
func (s *Syslog) write(msg []byte) error {
	if s.conn == nil {
		if err := s.connect(); err != nil {
			return err
		}
	}
	if s.stream {
		msg = append(msg, 0)
	}
	s.conn.SetWriteDeadline(time.Now().Add(syslogTimeout))
	_, err := s.conn.Write(msg)
	return err
}

// connect connects to the daemon's socket: a datagram socket, or a stream
// one when the socket is of that type (EPROTOTYPE), as glibc does.
func (s *Syslog) connect() error {
	c, err := net.DialTimeout("unixgram", s.path, syslogTimeout)
	if errors.Is(err, syscall.EPROTOTYPE) {
		c, err = net.DialTimeout("unix", s.path, syslogTimeout)
		s.stream = err == nil
	} else {
		s.stream = false
	}
	if err != nil {
		return err
	}
	s.conn = c
	return nil
}

// appendNoCtrl appends line with every control character (below 0x20, and
// DEL) written as \xHH.
func appendNoCtrl(dst, line []byte) []byte {
	const hex = "0123456789abcdef"
	for _, c := range line {
		if c < 0x20 || c == 0x7f {
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
