// Package pm is fpmshm's process manager: PHP-FPM's master and workers in
// Go. A program calls Run with a Config (one pool, PHP-FPM's pool
// directives) and an http.Handler; the master binds the sockets, creates the
// scoreboard and re-executes the program as its workers, which serve the
// handler over FastCGI (and, if configured, HTTP) one request at a time.
//
// Main types: Config (a pool, validated and defaulted by Config.Validate),
// CacheConfig (a shared cache a pool declares), DirectiveError (a bad line
// of a php-fpm.conf file read by LoadFile or LoadINI).
//
// Files, by idea:
//   - run.go: Run, in the master and in a worker; config.go: Config.
//   - master.go, maintenance.go, ondemand.go, reload.go, signals.go: the
//     master loop, pm.max_children/spare-server decisions, reloads, signals;
//     heartbeat.go: the request timeouts; systemd.go: Type=notify.
//   - spawn*.go, handover.go, ready.go, account.go: starting workers and
//     what the master hands each of them.
//   - worker.go, accept.go, held.go, conn.go, reqctx.go, stages.go, board.go:
//     the worker loop, its connections, request contexts and its slot.
//   - serve_fcgi.go, fcgi_response.go, serve_http.go, http_response.go: the
//     FastCGI and HTTP transports.
//   - statuslisten.go, statusconn.go: pm.status_listen, served by the master.
//   - accesslog.go, accessformat.go, slowlog.go, logs.go: the logs;
//     reopen.go: reopening them in place (SIGUSR1).
//   - ini.go: php-fpm.conf files; caches.go: the pool's shared caches.
package pm
