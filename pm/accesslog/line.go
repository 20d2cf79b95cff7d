package accesslog

import (
	"math"
	"strconv"
	"time"

	"github.com/fpmshm/fpmshm/internal/strftime"
)

const (
	// lineMax is the size of php-fpm's access log buffer: no line
	// is longer.
	lineMax = 1024
	// timeMax is the longest text php-fpm's strftime buffer holds
	// for %t and %T.
	timeMax = 127
	// timeDefault is the time format of %t and %T without an argument.
	timeDefault = "%d/%b/%Y:%H:%M:%S %z"
)

// Append appends e's log line, without the newline, to b. As in
// php-fpm, the line holds at most 1024 bytes: where a value runs past them,
// php-fpm ends the line with 1023 bytes and a NUL, Append with the
// 1023 bytes alone. An empty line is one php-fpm does not write at all.
func (f *Format) Append(b []byte, e *Entry) []byte {
	start := len(b)
	for i := range f.items {
		var direct bool
		b, direct = f.items[i].appendValue(b, e)
		if len(b)-start >= lineMax {
			if direct {
				return b[:start+lineMax]
			}
			return b[:start+lineMax-1]
		}
	}
	return b
}

// appendValue appends what the item prints for e. It reports whether
// php-fpm copies those bytes itself, as it does literal text, "%%" and the
// "-" of a missing %o header, rather than through snprintf, which gives up
// the last byte of a full buffer to a NUL.
func (it *item) appendValue(b []byte, e *Entry) ([]byte, bool) {
	switch it.verb {
	case 0:
		return append(b, it.arg...), true
	case 'o':
		v := lookup(e.Header, it.arg)
		return appendOrDash(b, v), v == ""
	}
	return it.appendPrinted(b, e), false
}

// appendPrinted appends what a directive other than %o prints for e.
func (it *item) appendPrinted(b []byte, e *Entry) []byte {
	switch it.verb {
	case 'C':
		return it.appendCPU(b, e)
	case 'd':
		return it.appendDuration(b, e.Duration)
	case 'e':
		if e.Env != nil {
			if v, ok := e.Env(it.arg); ok {
				return append(b, v...)
			}
		}
		return append(b, '-')
	case 'f':
		return appendOrDash(b, e.Script)
	case 'l':
		return strconv.AppendUint(b, uint64(e.ContentLength), 10)
	case 'm':
		return appendOrDash(b, e.Method)
	case 'M':
		return it.appendMemory(b, e.Memory)
	case 'n':
		return appendOrDash(b, e.Pool)
	case 'p':
		return strconv.AppendInt(b, int64(e.PID), 10)
	case 'P':
		return strconv.AppendInt(b, int64(e.PPID), 10)
	case 'q':
		return append(b, e.Query...)
	case 'Q':
		if e.Query != "" {
			b = append(b, '?')
		}
		return b
	case 'r':
		return append(b, e.URI...)
	case 'R':
		return appendOrDash(b, e.RemoteAddr)
	case 's':
		return strconv.AppendInt(b, int64(e.Status), 10)
	case 't':
		return it.appendTime(b, e.Accepted)
	case 'T':
		return it.appendTime(b, e.Finished)
	case 'u':
		return append(b, e.RemoteUser...)
	}
	return b
}

// appendCPU appends %C: the request's CPU time, total, user or system, in
// percent of its duration.
func (it *item) appendCPU(b []byte, e *Entry) []byte {
	cpu := e.CPUUser + e.CPUSystem
	switch it.unit {
	case "user":
		cpu = e.CPUUser
	case "system":
		cpu = e.CPUSystem
	}
	return appendCPUPercent(b, cpu, e.Duration)
}

// appendDuration appends %d: d in seconds, milliseconds or microseconds.
func (it *item) appendDuration(b []byte, d time.Duration) []byte {
	sec, usec := timeval(d)
	switch it.unit {
	case "milli":
		return strconv.AppendFloat(b, float64(sec)*1000+float64(usec)/1000, 'f', 3, 64)
	case "micro":
		return strconv.AppendUint(b, uint64(sec*1000000+usec), 10)
	}
	return strconv.AppendFloat(b, float64(sec)+float64(usec)/1000000, 'f', 3, 64)
}

// appendMemory appends %M: memory in bytes, kilobytes or megabytes.
func (it *item) appendMemory(b []byte, memory uint64) []byte {
	switch it.unit {
	case "kilo":
		return strconv.AppendUint(b, memory/1024, 10)
	case "mega":
		return strconv.AppendUint(b, memory/1024/1024, 10)
	}
	return strconv.AppendUint(b, memory, 10)
}

// appendTime appends %t or %T: t in the item's strftime format.
func (it *item) appendTime(b []byte, t time.Time) []byte {
	layout := it.arg
	if layout == "" {
		layout = timeDefault
	}
	return strftime.Append(b, layout, t, timeMax)
}

// lookup calls get, which may be nil, for name.
func lookup(get func(string) string, name string) string {
	if get == nil {
		return ""
	}
	return get(name)
}

// appendOrDash appends s, or "-" when s is empty.
func appendOrDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

// timeval splits d, negative taken as zero, into whole seconds and
// microseconds, the struct timeval php-fpm measures a request in.
func timeval(d time.Duration) (sec, usec int64) {
	us := max(d.Microseconds(), 0)
	return us / 1000000, us % 1000000
}

// clockTick is the unit of the CPU times php-fpm reads with times(2).
const clockTick = 10 * time.Millisecond

// appendCPUPercent appends cpu as a percentage of the wall time with two
// decimals, printing what glibc's printf prints when the wall time is zero.
// Like php-fpm, it turns clock ticks into seconds in single precision
// (php-fpm's tick rate is a float).
func appendCPUPercent(b []byte, cpu, wall time.Duration) []byte {
	sec, usec := timeval(wall)
	ticks := float32(float64(cpu) / float64(clockTick))
	pct := float64(ticks/float32(time.Second/clockTick)) / (float64(sec) + float64(usec)/1000000) * 100
	switch {
	case math.IsNaN(pct):
		return append(b, "-nan"...)
	case math.IsInf(pct, 1):
		return append(b, "inf"...)
	case math.IsInf(pct, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, pct, 'f', 2, 64)
}
