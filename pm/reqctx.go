package pm

import (
	"context"
	"os"
	"sync"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/internal/sys"
)

// requestContexts makes the contexts of a worker's FastCGI requests, as
// the handler sees them in r.Context(). A request's context is cancelled
// when the request ends, which the transport also ends when a read of the
// body or a write of the response fails, or the web server aborts the
// request (FCGI_ABORT_REQUEST) while the handler reads the body; when the
// worker is terminated (SIGTERM, which the master sends for
// request_terminate_timeout or process_control_timeout before it kills the
// worker); and, once the handler has asked for the context's Done channel,
// when the web server hangs up (as nginx does when its client goes away)
// or sends FCGI_ABORT_REQUEST after the body: a goroutine then waits for
// that in poll, at no cost to requests whose handler never asks. It looks
// at what arrives without taking it (a record arriving while the body is
// still unread ends that part of the watch: only a hang-up is waited for
// then).
type requestContexts struct {
	term context.Context // cancelled by SIGTERM

	wakeR, wakeW *os.File // ends a hang-up watch at the end of a request
}

func newRequestContexts(term context.Context) (*requestContexts, error) {
	rc := &requestContexts{term: term}
	var err error
	if rc.wakeR, rc.wakeW, err = os.Pipe(); err != nil {
		return nil, err
	}
	return rc, nil
}

// forConn returns the context of request id on c and its end function,
// which the request calls when it ends.
func (rc *requestContexts) forConn(c *conn, id uint16) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(rc.term)
	w := &hangupWatch{wakeR: rc.wakeR, wakeW: rc.wakeW, fd: c.fd, id: id, cancel: cancel}
	return &watchedContext{Context: ctx, w: w}, w.end
}

func (rc *requestContexts) close() {
	rc.wakeR.Close()
	rc.wakeW.Close()
}

// watchedContext is a request's context whose Done starts a hang-up watch.
type watchedContext struct {
	context.Context
	w *hangupWatch
}

// Done returns the channel closed when the request is cancelled.
func (c *watchedContext) Done() <-chan struct{} {
	c.w.start()
	return c.Context.Done()
}

// hangupWatch waits, in a goroutine of its own, for the web server to hang
// up on a request's connection, and cancels the request when it does.
type hangupWatch struct {
	wakeR  *os.File // the wake-up pipe of the worker's requestContexts
	wakeW  *os.File
	fd     int
	id     uint16 // the request's
	cancel context.CancelFunc

	mu      sync.Mutex
	started bool
	ended   bool
	done    chan struct{}
}

// start starts the watch, once, unless the request has ended.
func (w *hangupWatch) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started || w.ended {
		return
	}
	w.started, w.done = true, make(chan struct{})
	go w.run(int(w.wakeR.Fd()))
}

// run watches until the request ends or is cancelled.
func (w *hangupWatch) run(wake int) {
	defer close(w.done)
	data := true
	for {
		up, readable, err := sys.WaitPeer(w.fd, wake, data)
		switch {
		case err != nil || up:
			w.cancel()
			return
		case !readable:
			return // woken: the request has ended
		case w.aborted():
			w.cancel()
			return
		}
		data = false
	}
}

// aborted reports whether the bytes waiting on the connection are
// FCGI_ABORT_REQUEST for the request.
func (w *hangupWatch) aborted() bool {
	var b [fcgi.HeaderLen]byte
	n, err := sys.Peek(w.fd, b[:])
	if err != nil || n < len(b) {
		return false
	}
	h := fcgi.ParseHeader(b[:])
	return h.Version == fcgi.Version1 && h.Type == fcgi.TypeAbortRequest && h.ID == w.id
}

// end ends the request: its context is cancelled and a watch stopped.
func (w *hangupWatch) end() {
	w.cancel()
	w.mu.Lock()
	w.ended = true
	started := w.started
	w.mu.Unlock()
	if !started {
		return
	}
	w.wakeW.Write([]byte{0})
	<-w.done
	var b [1]byte
	w.wakeR.Read(b[:])
}
