package pm

import (
	"net"
	"sync"
	"syscall"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// held is the connection a worker serves and whether it waits on it for a
// request, for the goroutine that stops the worker: a connection on which
// the web server has sent nothing is hung up at once; a request in flight,
// or one whose first bytes have arrived, is served first.
type held struct {
	mu       sync.Mutex
	c        hangUpper // waited on for a request; nil while one runs
	hungUp   bool      // c was hung up
	stopping bool
}

// hangUpper is a connection that can be hung up from another goroutine.
type hangUpper interface {
	hangUp()
	// pending reports whether bytes the web server sent wait to be read.
	pending() bool
}

// closer hangs up a net.Conn by closing it.
type closer struct{ net.Conn }

func (c closer) hangUp() { c.Close() }

func (c closer) pending() bool {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	n := 0
	rc.Control(func(fd uintptr) { // not Read: the server's goroutine may be reading
		var b [1]byte
		n, _ = sys.Peek(int(fd), b[:])
	})
	return n > 0
}

// waitFor records that the worker waits for a request on c; false if it
// is to stop instead and nothing has arrived on c.
func (h *held) waitFor(c hangUpper) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.c, h.hungUp = c, false
	return !h.stopping || c.pending()
}

// begun records that a request has begun on the connection waited on;
// false if the connection was hung up meanwhile (the worker was told to
// stop while nothing had arrived on it).
func (h *held) begun() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.c = nil
	return !h.hungUp
}

// stop tells the worker to stop, hanging up a connection it waits on,
// unless a request has begun to arrive on it.
func (h *held) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopping = true
	if h.c != nil && !h.c.pending() {
		h.c.hangUp()
		h.hungUp = true
	}
}

// stopped reports whether the worker is to stop.
func (h *held) stopped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopping
}
