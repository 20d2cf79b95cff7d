package pm

import (
	"fmt"
	"syscall"
	"time"
)

// goFatalExit is the exit status of a Go program that dies of a fatal
// error: an unrecovered panic, a fault, or SIGSEGV or SIGBUS, which the Go
// runtime turns into a crash report and this status.
const goFatalExit = 2

// crashed reports whether a worker's end counts for
// emergency_restart_threshold: PHP-FPM counts a child ending on SIGSEGV or
// SIGBUS, which a Go worker reports as goFatalExit.
func crashed(e exitEvent) bool {
	ws := e.status
	if e.err != nil {
		return false
	}
	if ws.Signaled() {
		return ws.Signal() == syscall.SIGSEGV || ws.Signal() == syscall.SIGBUS
	}
	return ws.Exited() && ws.ExitStatus() == goFatalExit
}

// noteCrash applies emergency_restart_threshold and
// emergency_restart_interval to a worker's end, counting the crashes of
// every pool of the master: when that many workers have crashed within
// the interval, the master reloads every pool, as PHP-FPM's does, and the
// count starts again.
func (m *master) noteCrash(e exitEvent) {
	n, within := m.cfg.EmergencyRestartThreshold, m.cfg.EmergencyRestartInterval
	if n == 0 || within == 0 || !crashed(e) || m.stopping != running {
		return
	}
	if !m.wide.crashed(m.now(), n, within) {
		return
	}
	m.log.Warn(fmt.Sprintf("failed processes threshold (%d in %d sec) is reached, initiating reload", n, int(within/time.Second)))
	m.reload()
	m.wide.reloadOthers(m.pool)
}

// processMaxReached reports whether process.max, which counts the workers
// of every pool of the master, forbids another worker, logging it, as
// PHP-FPM does, once until a worker can start again. When it does not,
// the worker about to start is counted; one that then fails to start is
// uncounted with m.wide.releaseWorker.
func (m *master) processMaxReached() bool {
	if m.wide.reserveWorker(m.cfg.ProcessMax) {
		m.wide.warnedProcessMax.Store(false)
		return false
	}
	if !m.wide.warnedProcessMax.Swap(true) {
		m.log.Warn("The maximum number of processes has been reached. Please review your configuration and consider raising 'process.max'")
	}
	return true
}
