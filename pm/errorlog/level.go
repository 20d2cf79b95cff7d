package errorlog

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// ErrLevel is returned by ParseLevel for a name php-fpm does not accept.
var ErrLevel = errors.New("invalid value for 'log_level'")

// php-fpm's log levels as slog levels. LevelDebug, LevelWarning and
// LevelError are slog's own; LevelNotice is slog's Info, php-fpm having no
// info level of its own; LevelAlert lies above Error.
const (
	LevelDebug   = slog.LevelDebug
	LevelNotice  = slog.LevelInfo
	LevelWarning = slog.LevelWarn
	LevelError   = slog.LevelError
	LevelAlert   = slog.LevelError + 4
)

// LevelName returns php-fpm's name for the level l falls in: DEBUG below
// LevelNotice, NOTICE up to LevelWarning, WARNING up to LevelError, ERROR up
// to LevelAlert, ALERT from there on.
func LevelName(l slog.Level) string {
	switch {
	case l < LevelNotice:
		return "DEBUG"
	case l < LevelWarning:
		return "NOTICE"
	case l < LevelError:
		return "WARNING"
	case l < LevelAlert:
		return "ERROR"
	default:
		return "ALERT"
	}
}

// ParseLevel reads php-fpm's log_level: alert, error, warning (or warn),
// notice or debug, in any case, as php-fpm accepts them.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return LevelDebug, nil
	case "notice":
		return LevelNotice, nil
	case "warning", "warn":
		return LevelWarning, nil
	case "error":
		return LevelError, nil
	case "alert":
		return LevelAlert, nil
	}
	return 0, fmt.Errorf("%w: %q (want alert, error, warning, notice or debug)", ErrLevel, s)
}
