package pm

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/fpmshm/fpmshm/pm/errorlog"
)

// ErrorLogSyslog is the error_log that sends the error log to the local
// syslog daemon, as syslog.facility and syslog.ident say, instead of a file.
const ErrorLogSyslog = "syslog"

// The error log's formats, log_format's values.
const (
	// LogFormatFPM is php-fpm's own lines (package pm/errorlog), the
	// default: "[02-Dec-2026 00:05:08] WARNING: [pool www] child 123 ...".
	LogFormatFPM = "fpm"
	// LogFormatText is slog's text handler: time=... level=WARN msg=...
	LogFormatText = "text"
	// LogFormatJSON is slog's JSON handler, one object a line.
	LogFormatJSON = "json"
)

// syslogPath is the syslog daemon's socket.
var syslogPath = errorlog.DefaultSyslogPath

// logSettings are the directives that make the error log: the master's,
// and, handed over, its workers'.
type logSettings struct {
	Syslog   bool       // error_log = syslog
	Level    slog.Level // log_level
	Limit    int        // log_limit
	Format   string     // log_format
	Facility string     // syslog.facility
	Ident    string     // syslog.ident
}

// logSettings returns c's error-log directives, c's defaults set.
func (c *Config) logSettings() logSettings {
	return logSettings{
		Syslog: strings.EqualFold(c.ErrorLog, ErrorLogSyslog),
		Level:  c.LogLevel, Limit: c.LogLimit, Format: c.LogFormat,
		Facility: c.SyslogFacility, Ident: c.SyslogIdent,
	}
}

// NewLogger returns the error log c's directives describe, the one Run
// uses when c.Logger is nil: php-fpm's lines (log_format = fpm, the
// default) or slog's text or JSON, at log_level and above, written to the
// standard error (which Run points at error_log, so the file is the one
// SIGUSR1 reopens), or with error_log = syslog sent to the local syslog
// daemon as syslog.facility and syslog.ident say. c is read with its
// defaults set, and not changed.
func NewLogger(c *Config) *slog.Logger {
	d := *c
	d.SetDefaults()
	return d.logSettings().logger(os.Stderr)
}

// logger returns the error log s describes, written to w unless it goes to
// syslog. A facility that does not parse (Validate refuses it) is
// daemon's.
func (s logSettings) logger(w io.Writer) *slog.Logger {
	switch s.Format {
	case LogFormatText:
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: s.Level}))
	case LogFormatJSON:
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: s.Level}))
	}
	opts := &errorlog.Options{Level: s.Level, Limit: s.Limit}
	if !s.Syslog {
		return slog.New(errorlog.NewHandler(w, opts))
	}
	f, err := errorlog.ParseFacility(s.Facility)
	if err != nil {
		f = errorlog.DefaultFacility
	}
	return slog.New(errorlog.NewSyslogHandler(errorlog.NewSyslog(syslogPath, s.Ident, f), opts))
}

// parseLogLevel parses log_level: alert, error, warning, notice or debug.
func parseLogLevel(s string) (slog.Level, error) { return errorlog.ParseLevel(strings.TrimSpace(s)) }

// formatLogLevel writes log_level as parseLogLevel reads it.
func formatLogLevel(l slog.Level) string { return strings.ToLower(errorlog.LevelName(l)) }

// validLogLevel checks log_level is one of php-fpm's five.
func validLogLevel(l slog.Level) error {
	switch l {
	case errorlog.LevelDebug, errorlog.LevelNotice, errorlog.LevelWarning, errorlog.LevelError, errorlog.LevelAlert:
		return nil
	}
	return fmt.Errorf("(%d) must be alert, error, warning, notice or debug", l)
}

// validLogFormat checks log_format.
func validLogFormat(s string) error {
	switch s {
	case "", LogFormatFPM, LogFormatText, LogFormatJSON:
		return nil
	}
	return fmt.Errorf("(%q) must be fpm, text or json", s)
}

// validFacility checks syslog.facility.
func validFacility(s string) error {
	if s == "" {
		return nil
	}
	_, err := errorlog.ParseFacility(s)
	return err
}

// validateLog checks the error log's directives together: slog's formats
// write to a file, and syslog takes php-fpm's lines.
func (c *Config) validateLog() error {
	if s := c.logSettings(); s.Syslog && (s.Format == LogFormatText || s.Format == LogFormatJSON) {
		return fmt.Errorf("error_log = syslog takes log_format fpm, not %s", s.Format)
	}
	return nil
}
