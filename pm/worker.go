package pm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/pm/accesslog"
	"github.com/fpmshm/fpmshm/pm/errorlog"
	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shm"
)

// worker is one worker process: it serves the handler (and the status page
// and ping) on the sockets the master handed over, one request at a time.
type worker struct {
	cfg     workerConfig
	log     *slog.Logger
	handler http.Handler

	board    *scoreboard.Board
	stages   *stages
	access   *accesslog.Log // nil without access.log
	slow     *slowlog       // nil without slowlog
	acc      *acceptor
	fcgi     *fcgiServer
	http     *httpServer
	held     held
	contexts *requestContexts
	served   int
	yielded  time.Time // see yieldToRuntime
}

// earlyQuit receives a worker's SIGQUIT from the start of the process, not
// only once Run is called: the master may retire a worker that has just
// started (a reload), and Go's own response to SIGQUIT is to print every
// goroutine's stack and exit.
var earlyQuit = make(chan os.Signal, 1)

// earlyTerm receives a worker's SIGTERM from the start of the process: the
// master's word that the request in flight has run out of time
// (request_terminate_timeout, process_control_timeout). The worker cancels
// the request's context and exits once it ends; the master kills it after
// a short grace if it does not.
var earlyTerm = make(chan os.Signal, 1)

func init() {
	if IsWorker() {
		signal.Notify(earlyQuit, syscall.SIGQUIT)
		signal.Notify(earlyTerm, syscall.SIGTERM)
		signal.Notify(traceRequests, traceSignal)
	}
}

// runWorker is Run in a worker process, serving the handler its pool's
// name gives (the master names it in the hand-over). It returns nil when the worker
// stops as asked (SIGQUIT, ctx, pm.max_requests); it exits the process at
// once if the master dies.
func runWorker(ctx context.Context, cfg Config, handler func(pool string) http.Handler) error {
	h, err := readHandover()
	if err != nil {
		return err
	}
	if err := sayReady(h.readyFD); err != nil { // SIGQUIT is handled since init
		return err
	}
	if cfg.Logger == nil {
		cfg.Logger = h.cfg.Log.logger(h.errorLogFile())
	}
	log := cfg.logger().With("pool", h.cfg.Pool, "pid", os.Getpid())
	go watchMaster(h.parentFD, log)
	if h.logsFD >= 0 {
		go takeLogs(h.logsFD, h.errorLog, h.accessFD, h.slowlogFD, log)
	}
	term, terminate := context.WithCancel(context.Background())
	defer terminate()
	w := &worker{cfg: h.cfg, log: log, handler: handler(h.cfg.Pool)}
	if err := w.setup(h, term); err != nil {
		return err
	}
	defer w.close()
	if w.slow != nil {
		done := make(chan struct{})
		defer close(done)
		go w.slow.run(done)
	}

	defer signal.Stop(earlyQuit)
	defer signal.Stop(earlyTerm)
	go func() {
		select {
		case <-earlyQuit:
		case <-earlyTerm:
			log.Debug("SIGTERM: stopping now; a request in flight has its context cancelled")
			terminate()
		case <-ctx.Done():
		}
		w.stop()
	}()
	return w.serve()
}

// watchMaster exits the process when the master's end of the pipe closes:
// the master is gone, and a worker must not outlive it.
func watchMaster(fd int, log *slog.Logger) {
	f := os.NewFile(uintptr(fd), "fpmshm-master")
	syscall.CloseOnExec(fd)
	io.Copy(io.Discard, f)
	log.Error("the master process is gone; exiting")
	os.Exit(1)
}

// setup takes up the scoreboard slot and the sockets.
func (w *worker) setup(h *handover, term context.Context) error {
	var rec recorder
	board, err := openBoard(h.board)
	if err != nil {
		return err
	}
	w.board = board
	if err := inheritCaches(h.cfg.Caches); err != nil {
		return err
	}
	slot, err := board.Slot(h.slot)
	if err != nil {
		return fmt.Errorf("worker: take up scoreboard slot %d: %w", h.slot, err)
	}
	if !h.cfg.NoScoreboard {
		rec = slot
	}
	w.stages = newStages(rec)
	if w.acc, err = newAcceptor(h.listeners); err != nil {
		return err
	}
	if err := w.acc.allowOnly(h.cfg.AllowedClients, w.log); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	rt := newRouter(&h.cfg, withCacheStats(board), w.log, w.handler)
	w.fcgi = newFCGIServer(rt.serve, w.stages, w.log, h.cfg.RequestMaxHeaderBytes)
	w.fcgi.fc.SetWaitLimit(h.cfg.FirstByteTimeout)
	if w.contexts, err = newRequestContexts(term); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	w.http = newHTTPServer(rt.serve, w.stages, &w.held, w.log, h.cfg.FirstByteTimeout, term)
	if h.cfg.AccessFormat != "" {
		if w.access, err = newAccessLog(h.accessFD, h.cfg.AccessFormat, h.cfg.Pool, w.log); err != nil {
			return err
		}
		w.fcgi.access, w.http.access = w.access, w.access
	}
	if h.slowlogFD >= 0 {
		w.slow = newSlowlog(h.slowlogFD, h.cfg.Pool, board, w.log)
	}
	return nil
}

// openBoard takes up the scoreboard segment the master handed over.
func openBoard(name string) (*scoreboard.Board, error) {
	seg, err := shm.Inherited(name)
	if err != nil {
		return nil, fmt.Errorf("worker: take up the scoreboard segment %q: %w", name, err)
	}
	b, err := scoreboard.Open(seg)
	if err != nil {
		seg.Free()
		return nil, fmt.Errorf("worker: %w", err)
	}
	return b, nil
}

// serve is the worker's loop, as a PHP-FPM child's: wait for a connection
// (Idle), then serve its requests in turn, each read (Reading headers),
// run (Running) and ended (Finishing), until the worker is told to stop.
// The loop sets the stages of waiting (here and in waitForRequest); the
// request sets its own once read (fcgiServer.serveRequest, httpServer).
func (w *worker) serve() error {
	for {
		w.stages.accepting()
		fd, kind, err := w.acc.next()
		if errors.Is(err, errStopped) {
			return nil
		}
		if err != nil {
			return err
		}
		switch kind {
		case kindFastCGI:
			w.serveFastCGI(newConn(fd))
		case kindHTTP:
			w.serveHTTP(fd)
		}
		if w.held.stopped() {
			return nil
		}
	}
}

// serveFastCGI serves the requests of a FastCGI connection in turn until
// the web server closes it, a request ends without FCGI_KEEP_CONN, or the
// worker is to stop. Waiting for a request, on a new connection or a kept
// one, is PHP-FPM's Reading headers stage: the worker counts as busy, and
// the wait lasts at most request_first_byte_timeout.
func (w *worker) serveFastCGI(c *conn) {
	defer c.Close()
	if err := c.setRecvTimeout(w.cfg.FirstByteTimeout); err != nil {
		w.log.Error("fastcgi connection", "err", err)
		return
	}
	w.fcgi.start(c)
	for {
		if !w.waitForRequest(c) {
			return // stopping: no request has begun on c
		}
		id, keep, err := w.fcgi.readBegin()
		if err == nil { // each read of the request waits at most request_first_byte_timeout again
			err = c.setRecvTimeout(w.cfg.FirstByteTimeout)
		}
		if !w.held.begun() || err != nil {
			w.endWait(err)
			return
		}
		ctx, end := w.contexts.forConn(c, id)
		broken, err := w.fcgi.serveRequest(ctx, id, end)
		stop := w.requestDone()
		if err != nil {
			w.fcgi.logBroken(err)
			w.log.Debug("fastcgi connection ended with an error", "err", err)
		}
		if err != nil || broken || !keep || stop {
			return
		}
	}
}

// waitForRequest enters the Reading headers stage, in which the worker
// waits for a request on c, a new connection or a kept one: it counts as
// busy, so dynamic and ondemand pools spawn for other clients, and a
// stopping worker hangs c up. It reports false if the worker is stopping.
func (w *worker) waitForRequest(c hangUpper) bool {
	w.stages.begin()
	w.yieldToRuntime()
	return w.held.waitFor(c)
}

// yieldToRuntime lets the Go scheduler see the worker's goroutine change
// hands every yieldEvery. A goroutine that only ever blocks in system
// calls keeps its P without a scheduling tick; after 10ms the runtime's
// monitor takes it for a long-running goroutine, takes the P from it in
// its next system call, and goes back to waking every 20µs: thousands of
// wake-ups a second per worker, the costliest thing in a busy worker's
// profile. A yield costs a wake-up of another thread, so it is not made
// for every request.
func (w *worker) yieldToRuntime() {
	if now := time.Now(); now.Sub(w.yielded) >= yieldEvery {
		w.yielded = now
		runtime.Gosched()
	}
}

// yieldEvery is how often a busy worker yields: well within the runtime
// monitor's 10ms.
const yieldEvery = 5 * time.Millisecond

// endWait logs why a wait for a request ended without one, unless the web
// server simply closed the connection.
func (w *worker) endWait(err error) {
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.log.Debug("closing a connection that sent no request within request_first_byte_timeout",
			"timeout", w.cfg.FirstByteTimeout)
	case errors.Is(err, fcgi.ErrProtocol):
		w.fcgi.logBroken(err)
	default:
		w.log.Debug("fastcgi connection ended while waiting for a request", "err", err)
	}
}

// serveHTTP serves an HTTP connection.
func (w *worker) serveHTTP(fd int) {
	c, err := netConn(fd)
	if err != nil {
		w.log.Error("http connection", "err", err)
		return
	}
	if !w.waitForRequest(closer{c}) {
		c.Close()
		return
	}
	answered := w.http.serveConn(c)
	w.held.begun()
	if answered {
		w.requestDone()
	}
}

// requestDone counts a served request and reports whether pm.max_requests
// is reached, after which the worker stops.
func (w *worker) requestDone() bool {
	w.served++
	if w.cfg.CatchOutput { // the master logs a line left open by the request, as php-fpm's
		io.WriteString(os.Stderr, errorlog.FlushMarker)
	}
	if w.cfg.MaxRequests > 0 && w.served >= w.cfg.MaxRequests {
		w.log.Debug("pm.max_requests reached; exiting", "requests", w.served)
		w.held.stop()
	}
	return w.held.stopped()
}

// stop makes the worker exit once its current request is answered; a
// connection on which no request has begun is closed at once.
func (w *worker) stop() {
	w.acc.stop()
	w.held.stop()
}

func (w *worker) close() {
	w.acc.close()
	w.contexts.close()
	w.http.close()
	w.board.Close()
	closeCaches()
	if w.access != nil {
		w.access.Close()
	}
	if w.slow != nil {
		w.slow.close()
	}
}
