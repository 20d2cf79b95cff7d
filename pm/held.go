package pm

import (
	"net"
	"sync"
)

// held is the connection a worker serves and whether it waits on it for a
// request, for the goroutine that stops the worker: a connection on which
// no request has begun is hung up at once, a request in flight finishes.
type held struct {
	mu       sync.Mutex
	c        hangUpper // waited on for a request; nil while one runs
	stopping bool
}

// hangUpper is a connection that can be hung up from another goroutine.
type hangUpper interface{ hangUp() }

// closer hangs up a net.Conn by closing it.
type closer struct{ net.Conn }

func (c closer) hangUp() { c.Close() }

// waitFor records that the worker waits for a request on c; false if it
// is to stop instead.
func (h *held) waitFor(c hangUpper) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.c = c
	return !h.stopping
}

// begun records that a request has begun on the connection waited on;
// false if the worker was told to stop meanwhile (the connection is then
// hung up, and the request lost with it).
func (h *held) begun() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.c = nil
	return !h.stopping
}

// stop tells the worker to stop, hanging up a connection it waits on.
func (h *held) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopping = true
	if h.c != nil {
		h.c.hangUp()
	}
}

// stopped reports whether the worker is to stop.
func (h *held) stopped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopping
}
