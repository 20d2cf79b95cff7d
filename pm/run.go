package pm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shm"
)

// Run runs a pool of worker processes serving handler, as PHP-FPM runs a
// pool of PHP children.
//
// In the master (the process a user starts), Run validates cfg, binds the
// listening sockets, creates the scoreboard in shared memory and spawns
// the workers by re-executing the current program with the same arguments,
// handing each the sockets and the scoreboard as descriptors. It then
// manages them as cfg says (see Config) and handles PHP-FPM's signals:
// SIGTERM and SIGINT stop at once, SIGQUIT stops gracefully, SIGUSR2
// replaces the workers without closing the sockets, with the configuration
// cfg.Reload gives if it is set, SIGUSR1 reopens the logs. It returns when
// the pool has stopped (nil) or could not start; cancelling ctx stops at
// once.
//
// In a worker (IsWorker reports true), the same call takes up what the
// master handed over and serves handler, the status page and ping, one
// request at a time, over FastCGI and, if configured, HTTP; only cfg.Logger
// is used, the rest comes from the master. A worker handles SIGQUIT (stop
// after the request in flight) and SIGUSR1 (write its stacks to the
// slowlog) from its start, so the handler cannot use these two signals. It
// returns nil when the worker has stopped as asked; the program should
// then exit. A worker exits by itself, without returning, when the master
// dies.
//
// Each worker records PHP-FPM's request stages in the pool's scoreboard,
// with, for each request, PHP-FPM's "last request cpu" (the CPU time the
// worker process used from the start of the request, when its headers are
// read, to its end, over the request's duration, in percent: up to 100 per
// core) and "last request memory", which for a Go request is the bytes it
// allocated on the heap, live or already collected (PHP-FPM's is the
// script's peak memory). The access log's %C and %M print the same.
//
// The program must therefore reach Run the same way in the master and in
// the workers, before doing anything only a master should do.
func Run(ctx context.Context, cfg Config, handler http.Handler) error {
	if handler == nil {
		handler = http.NotFoundHandler()
	}
	if IsWorker() {
		return runWorker(ctx, cfg, handler)
	}
	return runMaster(ctx, cfg)
}

// runMaster is Run in the master. Its signals are handled from its first
// line: one that comes while the pool starts is acted on once it has
// started, and the pid file, which tells the world where to send them, is
// written only once they are handled.
func runMaster(ctx context.Context, cfg Config) (err error) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, masterSignals...)
	defer signal.Stop(sigs)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := redirectStderr(cfg.ErrorLog); err != nil {
		return fmt.Errorf("pool %s: open error_log: %w", cfg.Pool, err)
	}
	log := cfg.logger().With("pool", cfg.Pool)
	set, notices, err := cfg.spawnSettings(os.Geteuid())
	if err != nil {
		return err
	}
	defer func() { set.close() }()
	logNotices(log, append(cfg.Notices, notices...))
	ls, err := openListeners(&cfg)
	if err != nil {
		return err
	}
	defer closeListeners(ls)
	var qlen uint64
	for _, l := range ls {
		_, s := l.queue()
		qlen += s
	}
	board, err := scoreboard.New(scoreboard.Config{Pool: cfg.Pool, PM: cfg.PM, MaxChildren: cfg.MaxChildren, ListenQueueLen: qlen, NoDump: true})
	if err != nil {
		return err
	}
	defer board.Close()
	if err := makeCaches(&cfg); err != nil {
		return err
	}
	defer closeCaches()
	log.Info(fmt.Sprintf("%d bytes have been reserved in SHM", shm.Allocated()))

	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("master pipe: %w", err)
	}
	defer pipeR.Close()
	defer pipeW.Close() // only closed when the master ends: the workers then see EOF

	readyR, readyW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("ready pipe: %w", err)
	}
	defer readyR.Close()
	defer readyW.Close()

	exits := make(chan exitEvent, cfg.MaxChildren)
	sp, err := newExecSpawner(ls, pipeR, readyW, board.Segment(), exits)
	if err != nil {
		return err
	}
	if cfg.PIDFile != "" {
		if err := writePIDFile(cfg.PIDFile); err != nil {
			return err
		}
		defer removePIDFile(cfg.PIDFile)
	}
	log.Info("fpmshm is running", "pid", os.Getpid(), "pm", cfg.PM.String(), "max_children", cfg.MaxChildren)
	for _, l := range ls {
		log.Info("ready to handle connections", "listen", l.addr, "protocol", l.kind)
	}
	ready, stopped := make(chan int, cfg.MaxChildren), make(chan struct{})
	snapshots := make(chan snapshotRequest)
	src := masterSource(snapshots, stopped)
	if cfg.StatusListen != "" {
		l, err := listen(kindFastCGI, cfg.StatusListen, &cfg)
		if err != nil {
			return err
		}
		ss := newStatusServer(l, &cfg, src, log)
		go ss.run()
		defer ss.close() // after stopped is closed: a request waiting for the master gives up
		log.Info("ready to handle status requests", "listen", l.addr, "protocol", l.kind)
	}
	defer close(stopped)
	go readReady(readyR, ready, stopped)
	m := newMaster(&cfg, set, log, board, sp, ls)
	defer func() { m.set.close() }() // those of the last reload, if any
	if cfg.OnStart != nil {
		cfg.OnStart(&Pool{source: src})
	}
	done := make(chan error, 1)
	go func() { done <- m.run(ctx, events{sigs, exits, ready, snapshots}) }() // a goroutine of its own: run locks it to its thread
	return <-done
}

// openListeners binds the FastCGI and HTTP sockets.
func openListeners(cfg *Config) ([]*listener, error) {
	var ls []*listener
	for _, want := range []struct{ kind, addr string }{{kindFastCGI, cfg.Listen}, {kindHTTP, cfg.HTTPListen}} {
		if want.addr == "" {
			continue
		}
		l, err := listen(want.kind, want.addr, cfg)
		if err != nil {
			closeListeners(ls)
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

func closeListeners(ls []*listener) {
	for _, l := range ls {
		l.Close()
	}
}

// writePIDFile writes this process's id to path.
func writePIDFile(path string) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// removePIDFile removes path if it still holds this process's id.
func removePIDFile(path string) {
	if pid, err := ReadPIDFile(path); err == nil && pid == os.Getpid() {
		os.Remove(path)
	}
}

// ReadPIDFile reads the process id a master wrote to path.
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid < 1 {
		return 0, fmt.Errorf("pid file %s: %w", path, errors.Join(errBadPID, err))
	}
	return pid, nil
}

var errBadPID = errors.New("does not hold a process id")
