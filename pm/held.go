package pm

import (
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// held is the connection a worker serves and whether it waits on it for a
// request, for the goroutine that stops the worker: a connection on which
// the web server has sent nothing is hung up at once (a connection taken
// less than freshGrace ago, when that has passed); a request in flight,
// or one whose first bytes have arrived, is served first.
type held struct {
	mu       sync.Mutex
	c        hangUpper // waited on for a request; nil while one runs
	since    time.Time // when the wait on c began
	hungUp   bool      // c was hung up
	stopping bool
}

// freshGrace is how long a stopping worker waits for the first bytes of a
// request on a connection it has just taken, accepted or kept after a
// request: a web server that has just connected, or just had an answer,
// has its next request on the way, and hanging up on it would fail that
// request (a reload under load must lose none).
const freshGrace = 100 * time.Millisecond

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

// waitFor records that the worker waits for a request on c; false if
// the worker is stopping and c is hung up at once.
func (h *held) waitFor(c hangUpper) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.c, h.since, h.hungUp = c, time.Now(), false
	if h.stopping {
		h.hangUpIdle()
	}
	return !h.hungUp
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

// stop tells the worker to stop, hanging up a connection it waits on
// unless a request has begun to arrive on it.
func (h *held) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopping = true
	h.hangUpIdle()
}

// hangUpIdle hangs up the connection waited on, if any, unless bytes of a
// request have arrived on it; one taken less than freshGrace ago is looked
// at again when that has passed. h.mu is held.
func (h *held) hangUpIdle() {
	c := h.c
	if c == nil || c.pending() {
		return
	}
	if wait := freshGrace - time.Since(h.since); wait > 0 {
		time.AfterFunc(wait, func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.c == c {
				h.hangUpIdle()
			}
		})
		return
	}
	c.hangUp()
	h.hungUp = true
}

// stopped reports whether the worker is to stop.
func (h *held) stopped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopping
}
