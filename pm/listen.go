package pm

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// Listener kinds: what the workers speak on a socket.
const (
	kindFastCGI = "fcgi"
	kindHTTP    = "http"
)

// listener is one listening socket of the master. The socket stays open in
// the master for its whole life, so connections queue in the kernel while
// workers come and go; workers get file, a duplicate sharing the socket.
type listener struct {
	kind    string
	addr    string       // as configured
	ln      net.Listener // nil once handed to the workers alone (leavePoller)
	file    *os.File     // handed to workers; non-blocking, kept out of the runtime's poller
	path    string       // of a unix socket, removed by Close
	backlog int          // as asked for
}

// splitListen turns a listen value into a network and an address: a path
// (anything with a '/') is a unix socket, a bare port means every address.
func splitListen(addr string) (network, address string, err error) {
	switch {
	case addr == "":
		return "", "", errors.New("empty listen address")
	case strings.Contains(addr, "/"):
		return "unix", addr, nil
	}
	if n, err := strconv.Atoi(addr); err == nil {
		if n < 1 || n > 65535 {
			return "", "", fmt.Errorf("port %d out of range", n)
		}
		return "tcp", ":" + addr, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", fmt.Errorf("listen %q: want host:port, port or a unix socket path: %w", addr, err)
	}
	return "tcp", addr, nil
}

// listen opens the socket of addr with c's backlog, and the descriptor to
// hand over. A unix socket file left by a previous run is removed first,
// and the new one gets listen.owner, listen.group and listen.mode.
func listen(kind, addr string, c *Config) (*listener, error) {
	network, address, err := splitListen(addr)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if err := removeStaleSocket(address); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if network == "unix" {
		if err := socketPermissions(address, c); err != nil {
			ln.Close()
			return nil, err
		}
	}
	l := &listener{kind: kind, addr: addr, ln: ln, backlog: listenBacklog(c.ListenBacklog)}
	if network == "unix" {
		l.path = address
	}
	if err := l.setup(); err != nil {
		ln.Close()
		return nil, err
	}
	return l, nil
}

// setup applies the backlog and duplicates the descriptor for hand-over.
// The duplicate is made by hand, not with the listener's File method,
// whose Fd (called by os.StartProcess) would switch the shared socket to
// blocking mode under every worker.
func (l *listener) setup() error {
	var opErr error
	err := l.control(func(fd int) {
		if opErr = sys.Relisten(fd, l.backlog); opErr != nil {
			opErr = fmt.Errorf("listen(%s, backlog %d): %w", l.addr, l.backlog, opErr)
			return
		}
		dup, err := sys.DupCloexec(fd)
		if err != nil {
			opErr = fmt.Errorf("dup listening socket %s: %w", l.addr, err)
			return
		}
		// os.NewFile puts a non-blocking descriptor in the runtime's
		// poller, which would then wake for every connection the workers
		// take: make the file while the socket blocks, then restore it.
		if opErr = sys.SetNonblock(dup, false); opErr == nil {
			l.file = os.NewFile(uintptr(dup), l.kind+":"+l.addr)
			opErr = sys.SetNonblock(dup, true)
		}
		if opErr != nil {
			opErr = fmt.Errorf("listening socket %s: set its blocking mode: %w", l.addr, opErr)
		}
	})
	if err != nil {
		return fmt.Errorf("listening socket %s: %w", l.addr, err)
	}
	return opErr
}

// leavePoller closes the master's net.Listener, which the runtime's poller
// watches, keeping the socket open in file only: the workers accept on it,
// and the master, which never does, is not woken for each connection.
func (l *listener) leavePoller() error {
	if l.ln == nil {
		return nil
	}
	if ul, ok := l.ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // Close removes it
	}
	err := l.ln.Close()
	l.ln = nil
	return err
}

// control runs fn with the socket's descriptor.
func (l *listener) control(fn func(fd int)) error {
	if l.ln == nil {
		fn(int(l.file.Fd())) // a file made blocking: Fd leaves the mode alone
		return nil
	}
	sc, ok := l.ln.(syscall.Conn)
	if !ok {
		return errors.New("listener has no descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}

// queue returns the connections waiting to be accepted and the queue's
// size, from TCP_INFO on Linux. Unix sockets and other systems report 0
// waiting, as PHP-FPM does, and the backlog capped by somaxconn.
func (l *listener) queue() (waiting, size uint64) {
	var q, s uint32
	var err error = sys.ErrNotSupported
	l.control(func(fd int) { q, s, err = sys.ListenQueue(fd) })
	if err != nil {
		return 0, uint64(min(l.backlog, somaxconn()))
	}
	return uint64(q), uint64(s)
}

// Close closes the socket (and removes a unix socket's file).
func (l *listener) Close() error {
	err := l.file.Close()
	if l.ln != nil {
		return errors.Join(err, l.ln.Close())
	}
	if l.path != "" {
		if rmErr := os.Remove(l.path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, rmErr)
		}
	}
	return err
}

// removeStaleSocket removes path if it is a socket: a previous master's.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listen %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("listen %s: the path exists and is not a socket", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("listen %s: remove the old socket: %w", path, err)
	}
	return nil
}

// listenBacklog is the backlog listen.backlog asks for: -1 is the
// system's maximum, somaxconn, which the kernel would also take -1 for.
func listenBacklog(n int) int {
	if n < 0 {
		return somaxconn()
	}
	return n
}

// somaxconn is the kernel's cap on listen backlogs (4096 when unknown).
func somaxconn() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 4096
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 4096
	}
	return n
}
