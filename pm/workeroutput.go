package pm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// PHP-FPM's bounds on a line a worker writes: log_limit, 1024 bytes for a
// whole line of the error log with its newline, and the "[02-Dec-2026
// 17:24:13] WARNING: " its log puts before a message.
const (
	logLimit         = 1024
	phpLogPrefixSize = len("[02-Dec-2026 17:24:13] WARNING: ")
)

// outputLinger is how long a line a worker has begun without ending it
// waits for the rest before it is logged as it is: PHP-FPM logs what is
// left when it has read all the pipe holds.
const outputLinger = 50 * time.Millisecond

// workerOutput is how a worker's standard output and error are caught
// (catch_workers_output): each is a pipe the master reads lines from.
type workerOutput struct {
	pool     string
	decorate bool
	log      *slog.Logger
	raw      io.Writer // where undecorated lines go: the master's standard error
}

// rawWrites serialises the undecorated lines of every worker.
var rawWrites sync.Mutex

// pipes makes the pipes of one worker's standard output and error: the
// write ends go to the worker, the read ends to relay.
func (o *workerOutput) pipes() (r, w [2]*os.File, err error) {
	for i := range 2 {
		if r[i], w[i], err = os.Pipe(); err != nil {
			closeFiles(r[:i]...)
			closeFiles(w[:i]...)
			return r, w, fmt.Errorf("pipe for a worker's standard %s: %w", streamName(i), err)
		}
	}
	return r, w, nil
}

func streamName(i int) string {
	if i == 0 {
		return "stdout"
	}
	return "stderr"
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// relay logs the lines worker pid writes on r, its standard stream i, until
// the pipe closes (the worker and whatever it started with the pipe have
// all exited), then closes r. It holds at most one line's bytes: a longer
// line is logged in pieces, so a worker writing without end costs the
// master nothing but the time to log it.
func (o *workerOutput) relay(r *os.File, pid, i int) {
	defer r.Close()
	prefix := fmt.Sprintf("child %d said into %s: ", pid, streamName(i))
	limit := logLimit - 1 // the newline
	if o.decorate {
		// PHP-FPM's whole line: time, level, "[pool www] ", prefix, quotes.
		limit -= phpLogPrefixSize + len("[pool "+o.pool+"] ") + len(prefix) + 2
		limit = max(limit, 64)
	}
	buf := make([]byte, 0, limit)
	chunk := make([]byte, limit)
	out := make([]byte, 0, limit+1)
	emit := func(line []byte) {
		if o.decorate {
			o.log.Warn(prefix + `"` + string(line) + `"`)
			return
		}
		out = append(append(out[:0], line...), '\n')
		rawWrites.Lock()
		o.raw.Write(out)
		rawWrites.Unlock()
	}
	for {
		if len(buf) > 0 {
			r.SetReadDeadline(time.Now().Add(outputLinger))
		} else {
			r.SetReadDeadline(time.Time{})
		}
		n, err := r.Read(chunk[:limit-len(buf)])
		buf = append(buf, chunk[:n]...)
		for {
			nl := bytes.IndexByte(buf, '\n')
			if nl < 0 {
				break
			}
			emit(buf[:nl])
			buf = append(buf[:0], buf[nl+1:]...)
		}
		if len(buf) == limit || (err != nil && len(buf) > 0) {
			emit(buf)
			buf = buf[:0]
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return
		}
	}
}
