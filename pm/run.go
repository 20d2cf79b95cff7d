package pm

import (
	"context"
	"fmt"
	"net/http"
	"os"
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
// the pool has stopped (nil) or could not start (an error matching
// ErrStart); cancelling ctx stops at once. It logs to cfg.Logger or, when
// that is nil, to the error log cfg's directives describe (NewLogger):
// php-fpm's lines by default.
//
// In a worker (IsWorker reports true), the same call takes up what the
// master handed over and serves handler, the status page and ping, one
// request at a time, over FastCGI and, if configured, HTTP; only cfg.Logger
// is used, the rest comes from the master (with a nil Logger, the error
// log the master's directives describe). A worker handles SIGQUIT (stop
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
		return runWorker(ctx, cfg, func(string) http.Handler { return handler })
	}
	return runMaster(ctx, []Config{cfg})
}

// runPool runs the pool on what res holds until it has stopped. It owns
// what it starts: the master's loop, which takes the spawn settings from
// res and closes those of the last reload, the reader of the ready pipe
// and pm.status_listen's server.
func runPool(ctx context.Context, cfg *Config, res *masterResources, sigs <-chan os.Signal, wide *masterWide, pool int) error {
	log := res.log
	for _, l := range res.ls {
		log.Debug(fmt.Sprintf("listening on %s (%s)", l.addr, l.kind), "pm", cfg.PM.String(), "max_children", cfg.MaxChildren)
	}
	m := newMaster(cfg, res.takeSettings(), log, res.board, res.sp, res.ls)
	m.wide, m.pool = wide, pool
	defer func() { m.set.close() }() // those of the last reload, if any
	ready, stopped := make(chan int, cfg.MaxChildren), make(chan struct{})
	snapshots := make(chan snapshotRequest)
	src := masterSource(snapshots, stopped)
	if cfg.StatusListen != "" {
		ss, err := startStatusServer(cfg, src, log)
		if err != nil {
			return err
		}
		defer ss.close() // after stopped is closed: a request waiting for the master gives up
	}
	defer close(stopped)
	go readReady(res.readyR, ready, stopped)
	if cfg.OnStart != nil {
		cfg.OnStart(&Pool{source: src})
	}
	done := make(chan error, 1)
	ev := events{sigs, res.exits, ready, snapshots, wide.reloads[pool], func() { wide.poolStarted(src) }}
	go func() { done <- m.run(ctx, ev) }() // a goroutine of its own: run locks it to its thread
	return <-done
}
