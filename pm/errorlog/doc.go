// Package errorlog writes php-fpm's error log: a [log/slog.Handler] whose
// lines are byte for byte those php-fpm 8.2 writes, so that fail2ban
// filters, log shippers and grep habits written for php-fpm keep working:
//
//	[02-Dec-2026 00:05:08] WARNING: [pool www] child 123, script '/x.php' (request: "GET /x.php") execution timed out (1.012342 sec), terminating
//
// Levels are php-fpm's five, mapped onto slog's: DEBUG (below
// [LevelNotice]), NOTICE (slog's Info, so Logger.Info writes NOTICE),
// WARNING, ERROR and ALERT (above Error). [ParseLevel] reads php-fpm's
// log_level; the handler drops what is below it (default notice). When
// log_level is debug every line carries php-fpm's debug prefix, with the Go
// function that logged in place of the C one:
//
//	[02-Dec-2026 00:05:08.123456] NOTICE: pid 7, pm.(*master).run(), line 83: ready to handle connections
//
// php-fpm's lines carry no attributes; this handler renders them so that
// nothing a caller logs is lost:
//   - "pool" (outside any group) becomes php-fpm's "[pool NAME] " before the
//     message;
//   - "err" (outside any group) follows the message after ": ", as php-fpm
//     follows a failed system call with its error;
//   - every other attribute follows as " key=value", slog's text form
//     (groups give dotted keys; a value with a space, quote, '=' or control
//     character is quoted), so no attribute can break a line.
//
// A message's newlines end log lines: each line carries the full prefix, so
// text from a client (a query string in a slow-request warning) cannot forge
// a line, where php-fpm writes it raw. A line of 2048 bytes or more is cut,
// as php-fpm cuts it, to log_limit-1 bytes (at most 2047), the last three
// "..."; a shorter one is written whole, even over log_limit.
//
// [NewHandler] writes to a file (php-fpm's error_log = PATH; the master
// points it at its standard error so that SIGUSR1 can reopen the file under
// every writer with dup2). [NewSyslogHandler] sends to the local syslog
// daemon (error_log = syslog) through a [Syslog] with php-fpm's
// syslog.facility and syslog.ident. [ChildOutput] turns what a worker writes
// on its standard output and error into php-fpm's catch_workers_output lines.
//
// A program that prefers slog's own formats uses [log/slog.NewTextHandler]
// or [log/slog.NewJSONHandler] instead of NewHandler: the levels above still
// apply (NOTICE shows as INFO, ALERT as ERROR+4) and [ChildOutput] accepts any
// slog.Handler.
//
// Files: level.go (levels, log_level), handler.go (the Handler), line.go
// (prefixes, line splitting and cutting), attrs.go (attribute rendering),
// facility.go and syslog.go (error_log = syslog), child.go
// (catch_workers_output). testdata/php-fpm-8.2 holds real php-fpm output and
// the script that captured it.
package errorlog
