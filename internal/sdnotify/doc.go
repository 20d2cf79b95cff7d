// Package sdnotify speaks systemd's service notification protocol
// (sd_notify(3)): newline-separated KEY=VALUE assignments sent as one
// datagram to the unix socket named by $NOTIFY_SOCKET, an absolute path or,
// beginning with '@', an abstract socket name. Without $NOTIFY_SOCKET (not
// started by systemd, or by a unit that is not Type=notify) every call is a
// no-op.
//
// [Notifier] sends what php-fpm sends: READY=1 with "Ready to handle
// connections" once the pool listens, and STOPPING=1 and RELOADING=1 (with
// MONOTONIC_USEC, as Type=notify-reload requires) that php-fpm leaves out.
// [Heartbeat] sends php-fpm's periodic status line every systemd_interval,
// or every half of the unit's WatchdogSec= with WATCHDOG=1, as php-fpm
// does:
//
//	READY=1
//	STATUS=Processes active: 0, idle: 2, Requests: 3, slow: 0, Traffic: 0.30req/sec
//
// Files: notify.go (the socket and the messages), heartbeat.go (the status
// line and its interval).
package sdnotify
