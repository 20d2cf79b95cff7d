package errorlog

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"
)

// Limits on a line's length, in bytes, newline excluded.
const (
	// DefaultLimit is php-fpm's default log_limit.
	DefaultLimit = 1024
	// MinLimit is the smallest log_limit php-fpm accepts ("log_limit must
	// be greater than 512"); a smaller Options.Limit is raised to it.
	MinLimit = 513
	// messageMax is the size of php-fpm's buffer for one message
	// (zlog.c's MAX_BUF_LENGTH): a line this long or longer is cut.
	messageMax = 2048
)

// Options configure a Handler. The zero value is php-fpm's defaults.
type Options struct {
	// Level is log_level: records below it are dropped. Nil means
	// LevelNotice. A *slog.LevelVar lets a reload change it in place.
	// At LevelDebug or below every line carries php-fpm's debug prefix.
	Level slog.Leveler

	// Limit is log_limit: a worker's output (ChildOutput) is wrapped into
	// lines of at most Limit-1 bytes, and a message line of 2048 bytes or
	// more is cut to min(Limit, 2048)-1. Zero means DefaultLimit; a value
	// below MinLimit is raised to MinLimit.
	Limit int
}

// Handler is a slog.Handler that writes php-fpm's error-log lines. It is
// safe for concurrent use, and writes each record with one Write (or, to
// syslog, one datagram per line), so that lines from several goroutines, or
// several processes appending to one file, never interleave.
type Handler struct {
	out    *output
	level  slog.Leveler
	limit  int
	pid    int                            // in the debug prefix of file lines
	source func(pc uintptr) (string, int) // the function and line of a record's call

	pool   string // from WithAttrs: the "[pool NAME] " prefix
	err    string // from WithAttrs: the ": err" suffix
	attrs  []byte // from WithAttrs: " key=value" already rendered
	groups string // from WithGroup: "g.h." before later keys
}

// output is where a Handler and everything derived from it writes, with the
// lock that keeps their writes whole.
type output struct {
	mu     sync.Mutex
	w      io.Writer // error_log = PATH
	syslog *Syslog   // error_log = syslog
	buf    []byte
}

// NewHandler returns a Handler that writes php-fpm's lines to w, usually
// the master's standard error pointed at error_log. opts may be nil.
func NewHandler(w io.Writer, opts *Options) *Handler {
	return newHandler(&output{w: w}, opts)
}

// NewSyslogHandler returns a Handler that sends php-fpm's lines to the
// syslog daemon through s (error_log = syslog). Each line goes at its own
// severity (DEBUG as debug, NOTICE as notice, WARNING as warning, ERROR as
// err, ALERT as alert) with php-fpm's "[LEVEL] " before it. php-fpm 8.2
// sends every line at the severity of log_level instead, so that a syslog
// rule on severity sees its warnings as notices; this is the one way the
// datagrams differ from its own. A worker's output (ChildOutput) goes to
// syslog too, as warnings; php-fpm 8.2 loses it when it logs to syslog.
// opts may be nil.
func NewSyslogHandler(s *Syslog, opts *Options) *Handler {
	return newHandler(&output{syslog: s}, opts)
}

func newHandler(out *output, opts *Options) *Handler {
	h := &Handler{out: out, level: LevelNotice, limit: DefaultLimit, pid: os.Getpid(), source: caller}
	if opts != nil {
		if opts.Level != nil {
			h.level = opts.Level
		}
		if opts.Limit != 0 {
			h.limit = max(opts.Limit, MinLimit)
		}
	}
	return h
}

// Enabled reports whether l is at or above the handler's level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// debug reports whether lines carry php-fpm's debug prefix: whether the
// handler's level is debug.
func (h *Handler) debug() bool { return h.level.Level() < LevelNotice }

// Handle writes r as one log line, or one per line of its message.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	pool, errText := h.pool, h.err
	attrs := slices.Clip(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		if h.groups == "" {
			if s, ok := special(a, "pool"); ok {
				pool = s
				return true
			}
			if s, ok := special(a, "err"); ok {
				errText = s
				return true
			}
		}
		attrs = appendAttr(attrs, h.groups, a)
		return true
	})
	body := []byte(r.Message)
	if errText != "" {
		body = append(append(body, ": "...), errText...)
	}
	body = append(body, attrs...)

	prefix := h.prefix(nil, r.Level, r.Time, r.PC)
	if pool != "" {
		prefix = append(append(append(prefix, "[pool "...), pool...), "] "...)
	}
	limit := min(h.limit, messageMax)
	var lines [][]byte
	for _, l := range splitLines(body) {
		lines = append(lines, cut(append(slices.Clip(prefix), l...), limit))
	}
	return h.out.emit(r.Level, r.Time, lines)
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.attrs = slices.Clip(h.attrs)
	for _, a := range attrs {
		if h.groups == "" {
			if s, ok := special(a, "pool"); ok {
				h2.pool = s
				continue
			}
			if s, ok := special(a, "err"); ok {
				h2.err = s
				continue
			}
		}
		h2.attrs = appendAttr(h2.attrs, h.groups, a)
	}
	return &h2
}

// WithGroup returns a handler that puts later attributes in group name:
// their keys are written name.key.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.groups += name + "."
	return &h2
}

// emit writes lines, each complete but for its newline: to a file with one
// Write, to syslog one datagram each, at level's severity and time t.
func (o *output) emit(level slog.Level, t time.Time, lines [][]byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.syslog != nil {
		var first error
		for _, l := range lines {
			if err := o.syslog.send(severity(level), t, l); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	o.buf = o.buf[:0]
	for _, l := range lines {
		o.buf = append(append(o.buf, l...), '\n')
	}
	_, err := o.w.Write(o.buf)
	if cap(o.buf) > 64<<10 {
		o.buf = nil // one huge record does not pin its buffer
	}
	return err
}
