package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// ReadyStatus is the STATUS php-fpm gives with READY=1 once it listens.
const ReadyStatus = "Ready to handle connections"

// sendTimeout bounds a send: a service manager that stops reading cannot
// stall the master.
const sendTimeout = time.Second

// ErrAddress is returned by New and FromEnv for a socket address that is
// neither an absolute path nor an abstract name ('@...').
var ErrAddress = errors.New("NOTIFY_SOCKET is neither an absolute path nor an abstract socket name")

// Notifier sends notifications to the service manager. A nil *Notifier
// sends nothing: every method returns nil. It holds no descriptor between
// sends, so it is safe for concurrent use and needs no closing.
type Notifier struct {
	addr string
	pid  int
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET, or nil (and no error) when
// it is unset or empty. It leaves the variable set, as php-fpm does: with
// the default NotifyAccess=main, systemd ignores what the workers that
// inherit it might send.
func FromEnv() (*Notifier, error) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil, nil
	}
	return New(addr)
}

// New returns a Notifier for the socket at addr: an absolute path, or an
// abstract socket name beginning with '@'.
func New(addr string) (*Notifier, error) {
	if len(addr) < 2 || (addr[0] != '/' && addr[0] != '@') {
		return nil, fmt.Errorf("%w: %q", ErrAddress, addr)
	}
	return &Notifier{addr: addr, pid: os.Getpid()}, nil
}

// Send sends state, one or more newline-separated assignments such as
// "READY=1\nSTATUS=...", in one datagram.
func (n *Notifier) Send(state string) error {
	if n == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify the service manager at %s: %w", n.addr, err)
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(sendTimeout))
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify the service manager at %s of %q: %w", n.addr, firstLine(state), err)
	}
	return nil
}

// Ready tells the service manager that the service is up, as php-fpm does
// once its pools listen: READY=1, STATUS=Ready to handle connections, and
// MAINPID, this process.
func (n *Notifier) Ready() error {
	return n.Send("READY=1\nSTATUS=" + ReadyStatus + "\nMAINPID=" + strconv.Itoa(n.pidOrZero()))
}

// Reloading tells the service manager that a reload has begun
// (RELOADING=1, with the MONOTONIC_USEC systemd 253 and later require);
// Ready ends it.
func (n *Notifier) Reloading() error {
	if n == nil {
		return nil
	}
	now, err := sys.Monotonic()
	if err != nil {
		return fmt.Errorf("notify the service manager of a reload: read CLOCK_MONOTONIC: %w", err)
	}
	return n.Send("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(now.Microseconds(), 10))
}

// Stopping tells the service manager that the service is stopping.
func (n *Notifier) Stopping() error { return n.Send("STOPPING=1") }

func (n *Notifier) pidOrZero() int {
	if n == nil {
		return 0
	}
	return n.pid
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
