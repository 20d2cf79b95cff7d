// Package pm is fpmshm's process manager: PHP-FPM's master and workers in
// Go. A program calls Run with a Config (one pool, PHP-FPM's pool
// directives) and an http.Handler, or RunPools with a Config for each of
// several pools (php-fpm.conf's [www] and [api]); the master binds the
// sockets, creates the scoreboards and re-executes the program as its
// workers, which serve the handler over FastCGI (and, if configured, HTTP)
// one request at a time.
//
// Main types: Config (a pool, defaulted by Config.SetDefaults and checked
// by Config.Validate), Directive (one of php-fpm.conf's directives: the
// table in directives.go names each once, with its default, its parser
// and whether a reload can change it; package pm/fpmconf reads the files,
// BindFlags makes them flags), CacheConfig (a shared cache a pool
// declares).
//
// Files, by idea:
//   - run.go: Run, in the master and in a worker; pools.go: RunPools,
//     several pools in one master, each with its own loop; pool.go: Pool,
//     what Config.OnStart gives the master's program; resources.go: what
//     the master opens and closes for a pool; masterwide.go: what the
//     pools of one master share (process.max, emergency restarts,
//     systemd's status line); config.go: Config.
//   - master.go, maintenance.go, ondemand.go, reload.go, signals.go: the
//     master loop, pm.max_children/spare-server decisions, reloads, signals;
//     heartbeat.go: the request timeouts; systemd.go: Type=notify.
//   - spawn*.go, handover.go, ready.go, account.go: starting workers and
//     what the master hands each of them; limits*.go: their rlimits and
//     nice value; workeroutput.go: their output (catch_workers_output);
//     crashes.go: emergency restarts and process.max.
//   - worker.go, accept.go, held.go, conn.go, reqctx.go, stages.go, board.go:
//     the worker loop, its connections, request contexts and its slot.
//   - serve_fcgi.go, fcgi_response.go, serve_http.go, http_response.go: the
//     FastCGI and HTTP transports, which fill the access log's entries;
//     route.go: the status page, ping and the handler, by SCRIPT_NAME.
//   - statuslisten.go, statusconn.go: pm.status_listen, served by the master.
//   - access.go (the worker's side of package accesslog), slowlog.go,
//     logs.go: the logs; reopen.go: reopening them in place (SIGUSR1).
//   - directives.go: the directives; directive_values.go: their values in
//     a Config; directive_flags.go: as flags; parse.go: PHP-FPM's forms
//     of sizes, modes and timeouts; parse_process.go: of client addresses,
//     rlimits and nice values. caches.go: the pool's shared caches.
//   - errorlog.go: the error log the directives describe (php-fpm's lines,
//     package errorlog, or slog's); check.go, configdump.go: what
//     fpmshm serve -t checks and -tt prints.
package pm
