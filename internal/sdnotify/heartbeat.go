package sdnotify

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// DefaultInterval is php-fpm's default systemd_interval.
const DefaultInterval = 10 * time.Second

// Counts are what php-fpm's status line reports, summed over every pool:
// processes active and idle now, and requests (accepted conn) and slow
// requests since the pools started.
type Counts struct {
	Active, Idle   int
	Requests, Slow uint64
}

// StatusLine formats c as php-fpm's STATUS= line, with the traffic (in
// requests a second) given:
//
//	Processes active: 0, idle: 2, Requests: 3, slow: 0, Traffic: 0.30req/sec
func StatusLine(c Counts, traffic float64) string {
	return fmt.Sprintf("Processes active: %d, idle: %d, Requests: %d, slow: %d, Traffic: %.2freq/sec",
		c.Active, c.Idle, c.Requests, c.Slow, traffic)
}

// Heartbeat sends php-fpm's status line to the service manager at a fixed
// interval, working the traffic out from the requests counted since the
// beat before, over the interval (as php-fpm does, not over the time that
// really passed). It is not safe for concurrent use: one goroutine beats.
type Heartbeat struct {
	n        *Notifier
	every    time.Duration
	watchdog bool
	last     uint64
}

// NewHeartbeat returns the heartbeat php-fpm would run with systemd_interval
// set to interval (zero: none; DefaultInterval when the directive is not
// set). When the unit sets WatchdogSec= (WATCHDOG_USEC, for this process)
// and half of it is over a second, the heartbeat beats every half of it
// instead, each beat also saying WATCHDOG=1.
func NewHeartbeat(n *Notifier, interval time.Duration) *Heartbeat {
	h := &Heartbeat{n: n, every: interval}
	if half := watchdogHalf(); half > time.Second {
		h.every, h.watchdog = half, true
	}
	return h
}

// watchdogHalf returns half the watchdog timeout the service manager asks
// this process to keep, in whole milliseconds as php-fpm counts it, or 0.
func watchdogHalf() time.Duration {
	usec, err := strconv.ParseUint(os.Getenv("WATCHDOG_USEC"), 10, 63)
	if err != nil {
		return 0
	}
	if p := os.Getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(os.Getpid()) {
		return 0 // meant for another process
	}
	return time.Duration(usec/2000) * time.Millisecond
}

// Interval returns how often Beat is to be called; zero means never.
func (h *Heartbeat) Interval() time.Duration { return h.every }

// Watchdog reports whether each beat also feeds the service manager's
// watchdog (WATCHDOG=1).
func (h *Heartbeat) Watchdog() bool { return h.watchdog }

// Notice returns the line php-fpm logs (at NOTICE) once it is ready, about
// its heartbeat: "systemd monitor interval set to 10000ms", or "systemd
// monitor disabled".
func (h *Heartbeat) Notice() string {
	if h.every <= 0 {
		return "systemd monitor disabled"
	}
	return fmt.Sprintf("systemd monitor interval set to %dms", h.every.Milliseconds())
}

// Beat sends "READY=1", "WATCHDOG=1" when the watchdog is on, and the
// status line for c, and remembers c.Requests for the next beat's traffic.
func (h *Heartbeat) Beat(c Counts) error {
	var traffic float64
	if ms := h.every.Milliseconds(); ms > 0 && c.Requests >= h.last {
		traffic = float64(c.Requests-h.last) * 1000 / float64(ms)
	}
	h.last = c.Requests
	state := "READY=1\n"
	if h.watchdog {
		state += "WATCHDOG=1\n"
	}
	return h.n.Send(state + "STATUS=" + StatusLine(c, traffic))
}
