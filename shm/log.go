package shm

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
)

var logger atomic.Pointer[slog.Logger]

// SetLogger sets where the package logs, as PHP-FPM's zlog does: failures
// at error level, allocations and frees at debug level. The package is
// silent until it is given a logger; nil makes it silent again.
func SetLogger(l *slog.Logger) { logger.Store(l) }

func logError(e *Error) {
	if l := logger.Load(); l != nil {
		l.LogAttrs(context.Background(), slog.LevelError, e.Error(),
			slog.String("op", e.Op), slog.Int("size", e.Size), slog.Int64("offset", e.Offset))
	}
}

// logDebug logs, at debug level, the message made of msg's parts, which
// are joined only when debug logging is on.
func logDebug(name string, size int, msg ...string) {
	if l := logger.Load(); l != nil && l.Enabled(context.Background(), slog.LevelDebug) {
		l.LogAttrs(context.Background(), slog.LevelDebug, strings.Join(msg, ""),
			slog.String("name", name), slog.Int("size", size), slog.Int64("allocated", Allocated()))
	}
}
