package pm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/status"
)

// worker is one worker process: it serves the handler (and the status page
// and ping) on the sockets the master handed over, one request at a time.
type worker struct {
	cfg     workerConfig
	log     *slog.Logger
	handler http.Handler
	status  http.Handler
	ping    http.Handler

	board  *scoreboard.Board
	stages *stages
	access *accessLog // nil without access.log
	slow   *slowlog   // nil without slowlog
	acc    *acceptor
	fcgi   *fcgiServer
	http   *httpServer
	served int
}

// earlyQuit receives a worker's SIGQUIT from the start of the process, not
// only once Run is called: the master may retire a worker that has just
// started (a reload), and Go's own response to SIGQUIT is to print every
// goroutine's stack and exit.
var earlyQuit = make(chan os.Signal, 1)

func init() {
	if IsWorker() {
		signal.Notify(earlyQuit, syscall.SIGQUIT)
		signal.Notify(traceRequests, traceSignal)
	}
}

// runWorker is Run in a worker process. It returns nil when the worker
// stops as asked (SIGQUIT, ctx, pm.max_requests); it exits the process at
// once if the master dies.
func runWorker(ctx context.Context, cfg Config, handler http.Handler) error {
	h, err := readHandover()
	if err != nil {
		return err
	}
	if err := sayReady(h.readyFD); err != nil { // SIGQUIT is handled since init
		return err
	}
	log := cfg.logger().With("pool", h.cfg.Pool, "pid", os.Getpid())
	go watchMaster(h.parentFD, log)
	w := &worker{cfg: h.cfg, log: log, handler: handler}
	if err := w.setup(h); err != nil {
		return err
	}
	defer w.close()
	if w.slow != nil {
		done := make(chan struct{})
		defer close(done)
		go w.slow.run(done)
	}

	defer signal.Stop(earlyQuit)
	go func() {
		select {
		case <-earlyQuit:
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
func (w *worker) setup(h *handover) error {
	var rec recorder
	board, err := openBoard(h.board)
	if err != nil {
		return err
	}
	w.board = board
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
	if h.cfg.StatusPath != "" {
		w.status = &status.Handler{Source: board, Logger: w.log}
	}
	if h.cfg.PingPath != "" {
		w.ping = status.Ping(h.cfg.PingResponse)
	}
	w.fcgi = newFCGIServer(w.dispatch, w.stages, w.log, h.cfg.RequestMaxHeaderBytes)
	w.http = newHTTPServer(w.dispatch, w.stages, w.log)
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

// dispatch routes a request by its SCRIPT_NAME, as PHP-FPM does: the
// status page and ping by exact match, everything else to the handler.
func (w *worker) dispatch(rw http.ResponseWriter, r *http.Request, scriptName string) {
	switch {
	case w.status != nil && scriptName == w.cfg.StatusPath:
		w.status.ServeHTTP(rw, r)
	case w.ping != nil && scriptName == w.cfg.PingPath:
		w.ping.ServeHTTP(rw, r)
	default:
		w.handler.ServeHTTP(rw, r)
	}
}

// serve accepts and serves connections until told to stop.
func (w *worker) serve() error {
	w.stages.accepting()
	for {
		c, kind, err := w.acc.next()
		if errors.Is(err, errStopped) {
			return nil
		}
		if err != nil {
			return err
		}
		stop := false
		switch kind {
		case kindFastCGI:
			if err := w.fcgi.serveConn(c, func() bool { stop = w.requestDone(); return stop }); err != nil {
				w.log.Debug("fastcgi connection ended with an error", "err", err)
			}
		case kindHTTP:
			if w.http.serveConn(c) {
				stop = w.requestDone()
			}
		}
		if stop {
			w.log.Debug("pm.max_requests reached; exiting", "requests", w.served)
			return nil
		}
	}
}

// requestDone counts a served request, marks the worker idle, and reports
// whether pm.max_requests is reached.
func (w *worker) requestDone() bool {
	w.served++
	w.stages.accepting()
	return w.cfg.MaxRequests > 0 && w.served >= w.cfg.MaxRequests
}

// stop makes the worker exit once its current request is answered.
func (w *worker) stop() {
	w.acc.stop()
	w.fcgi.stopIdle()
}

func (w *worker) close() {
	w.acc.close()
	w.http.close()
	w.board.Close()
	if w.access != nil {
		w.access.close()
	}
	if w.slow != nil {
		w.slow.close()
	}
}
