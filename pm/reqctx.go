package pm

import (
	"context"
	"os"
	"sync"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// requestContexts makes the contexts of a worker's FastCGI requests, as
// the handler sees them in r.Context(). A request's context is cancelled
// when the request ends; when the worker is terminated (SIGTERM, which the
// master sends for request_terminate_timeout or process_control_timeout
// before it kills the worker); when a read from or a write to the web
// server fails, or it aborts the request (FCGI_ABORT_REQUEST); and, once
// the handler has asked for the context's Done channel, when the web
// server hangs up (as nginx does when its client goes away): a goroutine
// then waits for that in poll, at no cost to requests whose handler never
// asks.
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

// forConn returns the context of a request on c and its cancel function,
// which the request calls when it ends.
func (rc *requestContexts) forConn(c *conn) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(rc.term)
	c.onFail = cancel
	w := &hangupWatch{rc: rc, fd: c.fd, cancel: cancel}
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
	rc     *requestContexts
	fd     int
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
	go func() {
		defer close(w.done)
		if up, err := sys.WaitHangup(w.fd, int(w.rc.wakeR.Fd())); up || err != nil {
			w.cancel()
		}
	}()
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
	w.rc.wakeW.Write([]byte{0})
	<-w.done
	var b [1]byte
	w.rc.wakeR.Read(b[:])
}
