package errorlog

import (
	"bytes"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// prefix appends what php-fpm puts before a message at level, logged at t
// from the call at pc, each form ending in a space. To a file:
//
//	[02-Dec-2026 00:05:08] NOTICE:
//	[02-Dec-2026 00:05:08.123456] NOTICE: pid 7, pm.(*master).run(), line 83:
//
// the second when log_level is debug; a zero t leaves the time out, as
// php-fpm's children do. To syslog, which stamps its own time and pid:
//
//	[NOTICE]
//	[NOTICE] pm.(*master).run(), line 83:
func (h *Handler) prefix(dst []byte, level slog.Level, t time.Time, pc uintptr) []byte {
	debug := h.debug()
	if h.out.syslog != nil {
		dst = append(append(append(dst, '['), LevelName(level)...), "] "...)
	} else {
		if !t.IsZero() {
			dst = t.AppendFormat(append(dst, '['), "02-Jan-2006 15:04:05")
			if debug {
				dst = t.AppendFormat(dst, ".000000")
			}
			dst = append(dst, "] "...)
		}
		dst = append(append(dst, LevelName(level)...), ": "...)
		if debug {
			dst = strconv.AppendInt(append(dst, "pid "...), int64(h.pid), 10)
			dst = append(dst, ", "...)
		}
	}
	if debug {
		fn, line := h.source(pc)
		dst = append(append(dst, fn...), "(), line "...)
		dst = append(strconv.AppendInt(dst, int64(line), 10), ": "...)
	}
	return dst
}

// caller returns the function (package-qualified, without its import path)
// and line of the call at pc. With no pc it returns what php-fpm prints
// for a line that has no C function behind it: "(null)" and line 0.
func caller(pc uintptr) (string, int) {
	if pc == 0 {
		return "(null)", 0
	}
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	if f.Function == "" {
		return "(null)", 0
	}
	return f.Function[strings.LastIndexByte(f.Function, '/')+1:], f.Line
}

// splitLines splits a message at its newlines, leaving out empty lines (a
// final newline, a blank line) but keeping one line when all are empty.
func splitLines(msg []byte) [][]byte {
	var lines [][]byte
	for l := range bytes.SplitSeq(msg, []byte{'\n'}) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	if lines == nil {
		lines = [][]byte{nil}
	}
	return lines
}

// cut shortens a line of messageMax bytes or more as php-fpm does (zlog.c):
// to limit-1 bytes, the last three of them "...". A shorter line, even one
// over limit, is left whole.
func cut(line []byte, limit int) []byte {
	if len(line) < messageMax {
		return line
	}
	return append(line[:limit-4], "..."...)
}
