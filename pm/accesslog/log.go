package accesslog

import (
	"io"
	"log/slog"
	"os"
	"time"
)

// Log writes a pool's access log (access.log): one line per request in
// its Format, each in one Write to a file opened for appending, so that
// the lines of all the pool's workers, each with its own Log on the same
// file, interleave whole. A Log is used by one goroutine at a time.
type Log struct {
	w         io.WriteCloser
	format    *Format
	pool      string
	pid, ppid int
	log       *slog.Logger
	buf       []byte
	failing   bool // the last write failed (logged once per episode)
}

// New returns the access log of pool written to w in format by this
// process; a write that fails is logged to log.
func New(w io.WriteCloser, format *Format, pool string, log *slog.Logger) *Log {
	return &Log{w: w, format: format, pool: pool, pid: os.Getpid(), ppid: os.Getppid(), log: log}
}

// Write completes e with what the log knows (the pool, the pids, the time
// now and the request's duration up to it) and writes its line. A failed
// write is logged, once until writes succeed again; the request is not
// affected. An entry whose line is empty writes nothing, as in php-fpm.
func (l *Log) Write(e *Entry) {
	e.Pool, e.PID, e.PPID = l.pool, l.pid, l.ppid
	e.Finished = time.Now()
	e.Duration = e.Finished.Sub(e.Accepted)
	l.buf = l.format.Append(l.buf[:0], e)
	if len(l.buf) == 0 {
		return
	}
	l.buf = append(l.buf, '\n')
	_, err := l.w.Write(l.buf)
	switch {
	case err != nil && !l.failing:
		l.log.Error("write to the access log", "err", err)
		l.failing = true
	case err == nil:
		l.failing = false
	}
}

// Close closes the log's writer.
func (l *Log) Close() error { return l.w.Close() }
