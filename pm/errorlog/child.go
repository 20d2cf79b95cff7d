package errorlog

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// FlushMarker is what a php-fpm child writes on its standard error at the
// end of every request (fpm_stdio_flush_child): ChildOutput ends a line
// left without a newline there, and logs nothing for the marker itself. A
// worker that wants its partial line logged when a request ends writes it
// too.
const FlushMarker = "\x00fscf\x00"

// msgPrefixMax is the longest "[pool NAME] child PID said into STREAM: "
// php-fpm keeps (zlog.c's MAX_WRAPPING_PREFIX_LENGTH, less its NUL).
const msgPrefixMax = 511

// ChildOutput turns what one worker writes on its standard output and
// standard error into log lines, as php-fpm's catch_workers_output does.
// Decorated (decorate_workers_output = yes, php-fpm's default), each line
// is a WARNING:
//
//	[02-Dec-2026 00:05:08] WARNING: [pool www] child 123 said into stderr: "the line"
//
// undecorated, the line as the worker wrote it, whatever log_level says.
//
// It does what php-fpm 8.2 does with the bytes: a newline ends a line; an
// empty line is dropped; every other byte, NUL and control characters
// included, is kept; a line longer than log_limit allows is wrapped into
// lines of at most log_limit-1 bytes, each decorated; a line still open
// when the worker writes to its other stream, writes FlushMarker, or when
// Close is called, is logged as it is. php-fpm keeps one line in progress
// per worker, not per stream, and so does ChildOutput.
//
// Memory is bounded whatever the worker writes: the line in progress is at
// most log_limit bytes, and longer output goes out as it comes. Writes
// never fail, so the reader of a worker's pipe never stops draining it; a
// failure to write the log is dropped.
//
// With the *Handler of this package the lines are php-fpm's to the byte.
// With another slog.Handler (slog's text or JSON) each line is a record at
// LevelWarning whose message is `child 123 said into stderr: "the line"`
// (undecorated: the line) with a "pool" attribute, wrapped at DefaultLimit
// bytes of message.
type ChildOutput struct {
	mu       sync.Mutex
	h        slog.Handler
	eh       *Handler // h, when it is this package's
	pool     string
	pid      int
	decorate bool
	limit    int
	now      func() time.Time

	stream  string // the stream of the line in progress: "stdout" or "stderr"
	line    []byte // the line in progress: at most room bytes
	room    int    // the most a line can hold, worked out when it starts
	flushAt int    // how much of FlushMarker the last write ended with
}

// NewChildOutput returns a ChildOutput that logs the worker pid of pool
// through h, decorated or not. Its line limit is h's (log_limit) when h is
// a *Handler, DefaultLimit otherwise.
func NewChildOutput(h slog.Handler, pool string, pid int, decorate bool) *ChildOutput {
	c := &ChildOutput{h: h, pool: pool, pid: pid, decorate: decorate, limit: DefaultLimit, now: time.Now}
	if eh, ok := h.(*Handler); ok {
		c.eh, c.limit = eh, eh.limit
	}
	return c
}

// Stdout returns the writer for what the worker writes on its standard
// output, typically the destination of an io.Copy from its pipe.
func (c *ChildOutput) Stdout() io.Writer { return childStream{c, "stdout"} }

// Stderr returns the writer for what the worker writes on its standard
// error.
func (c *ChildOutput) Stderr() io.Writer { return childStream{c, "stderr"} }

// Close logs the line in progress, if any: call it once the worker's
// pipes are closed. The ChildOutput stays usable.
func (c *ChildOutput) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLine()
	return nil
}

type childStream struct {
	c      *ChildOutput
	stream string
}

// Write logs p, always reporting it written.
func (s childStream) Write(p []byte) (int, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.write(s.stream, p)
	return len(p), nil
}

// write takes in what the worker wrote on stream.
func (c *ChildOutput) write(stream string, p []byte) {
	if stream != c.stream {
		c.endLine()
		c.stream = stream
	}
	if c.flushAt > 0 {
		rest := FlushMarker[c.flushAt:]
		switch {
		case bytes.HasPrefix(p, []byte(rest)):
			c.flushAt = 0
			c.finish()
			p = p[len(rest):]
		case len(p) < len(rest) && rest[:len(p)] == string(p):
			c.flushAt += len(p)
			return
		default:
			c.add([]byte(FlushMarker[:c.flushAt]))
			c.flushAt = 0
		}
	}
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\n\x00")
		if i < 0 {
			c.add(p)
			return
		}
		c.add(p[:i])
		if p[i] == '\n' {
			c.finish()
			p = p[i+1:]
			continue
		}
		switch rest := p[i:]; {
		case bytes.HasPrefix(rest, []byte(FlushMarker)):
			c.finish()
			p = rest[len(FlushMarker):]
		case len(rest) < len(FlushMarker) && FlushMarker[:len(rest)] == string(rest):
			c.flushAt = len(rest)
			return
		default:
			c.add(rest[:1])
			p = rest[1:]
		}
	}
}

// endLine logs the line in progress, with any part of FlushMarker held
// back from the last write, which turned out not to be one.
func (c *ChildOutput) endLine() {
	if c.flushAt > 0 {
		c.add([]byte(FlushMarker[:c.flushAt]))
		c.flushAt = 0
	}
	c.finish()
}

// add appends b to the line in progress, logging it first each time it is
// full and more is to come.
func (c *ChildOutput) add(b []byte) {
	for len(b) > 0 {
		if len(c.line) == 0 {
			c.room = c.roomNow()
			if cap(c.line) < c.room {
				c.line = make([]byte, 0, c.room)
			}
		} else if len(c.line) >= c.room {
			c.finish()
			continue
		}
		n := min(c.room-len(c.line), len(b))
		c.line = append(c.line, b[:n]...)
		b = b[n:]
	}
}

// finish logs the line in progress, unless it is empty.
func (c *ChildOutput) finish() {
	if len(c.line) > 0 {
		c.log(c.line)
	}
	c.line = c.line[:0]
}

// msgPrefix returns "[pool NAME] child PID said into STREAM: ", cut as
// php-fpm cuts it; without the pool when the pool goes in an attribute.
func (c *ChildOutput) msgPrefix(withPool bool) []byte {
	var b []byte
	if withPool {
		b = append(append(append(b, "[pool "...), c.pool...), "] "...)
	}
	b = strconv.AppendInt(append(b, "child "...), int64(c.pid), 10)
	b = append(append(append(b, " said into "...), c.stream...), ": "...)
	return b[:min(len(b), msgPrefixMax)]
}

// roomNow returns how many bytes of the worker's line fit on one log line
// of at most limit-1 bytes, after what goes before and after it.
func (c *ChildOutput) roomNow() int {
	used := 0
	if c.decorate {
		used = len(c.msgPrefix(c.eh != nil)) + 2 // and the quotes
		if c.eh != nil {
			used += len(c.eh.prefix(nil, LevelWarning, c.now(), 0))
		}
	}
	return max(c.limit-1-used, 1)
}

// log writes one line of the worker's output.
func (c *ChildOutput) log(line []byte) {
	t := c.now()
	ctx := context.Background()
	if c.eh == nil {
		msg := string(line)
		if c.decorate {
			if !c.h.Enabled(ctx, LevelWarning) {
				return
			}
			msg = string(c.msgPrefix(false)) + `"` + msg + `"`
		}
		r := slog.NewRecord(t, LevelWarning, msg, 0)
		r.AddAttrs(slog.String("pool", c.pool))
		c.h.Handle(ctx, r)
		return
	}
	out := line
	if c.decorate {
		if !c.eh.Enabled(ctx, LevelWarning) {
			return
		}
		out = c.eh.prefix(nil, LevelWarning, t, 0)
		out = append(append(out, c.msgPrefix(true)...), '"')
		out = append(append(out, line...), '"')
	}
	c.eh.out.emit(LevelWarning, t, [][]byte{out})
}
