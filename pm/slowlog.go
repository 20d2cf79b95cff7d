package pm

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// traceSignal is how the master asks a worker serving a request past
// request_slowlog_timeout to write its stacks to the slowlog (PHP-FPM's
// master traces its child with ptrace instead).
const traceSignal = syscall.SIGUSR1

// traceRequests receives traceSignal from the start of a worker's process,
// as earlyQuit does SIGQUIT: without a slowlog the signal is ignored, never
// fatal.
var traceRequests = make(chan os.Signal, 1)

// slowlog writes a worker's traces to the slowlog the master opened: for
// each, PHP-FPM's header (time, pool, pid, script) and then, in place of
// the script's backtrace, the stacks of all the worker's goroutines, in one
// write(2), so that traces of several workers do not interleave.
type slowlog struct {
	f     *os.File
	pool  string
	board *scoreboard.Board // the worker's, to find the script it serves
	log   *slog.Logger
}

// newSlowlog takes up the slowlog handed over as fd.
func newSlowlog(fd int, pool string, board *scoreboard.Board, log *slog.Logger) *slowlog {
	syscall.CloseOnExec(fd) // not for the handler's own children
	return &slowlog{f: os.NewFile(uintptr(fd), "slowlog"), pool: pool, board: board, log: log}
}

// run writes a trace each time the master asks, until done is closed.
func (s *slowlog) run(done <-chan struct{}) {
	for {
		select {
		case <-traceRequests:
			if err := s.trace(time.Now()); err != nil {
				s.log.Error("write to the slowlog", "err", err)
			}
		case <-done:
			return
		}
	}
}

// trace writes one trace taken at now.
func (s *slowlog) trace(now time.Time) error {
	b := fmt.Appendf(nil, "\n[%s]  [pool %s] pid %d\nscript_filename = %s\n",
		now.Format("02-Jan-2006 15:04:05"), s.pool, os.Getpid(), s.script())
	b = append(b, allStacks()...)
	_, err := s.f.Write(b)
	return err
}

// script is the SCRIPT_FILENAME of the request this worker serves, as its
// scoreboard slot shows it; "" when unknown.
func (s *slowlog) script() string {
	snap, err := s.board.Snapshot(true)
	if err != nil {
		return ""
	}
	for _, p := range snap.Procs {
		if p.PID == os.Getpid() {
			return p.Script
		}
	}
	return ""
}

// allStacks returns the stacks of all goroutines, as a panic prints them.
func allStacks() []byte {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// close closes the worker's descriptor of the slowlog.
func (s *slowlog) close() { s.f.Close() }
