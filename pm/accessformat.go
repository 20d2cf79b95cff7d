package pm

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fpmshm/fpmshm/internal/strftime"
)

// defaultAccessFormat is php-fpm's access.format when a pool sets none.
const defaultAccessFormat = "%R - %u %t \"%m %r\" %s"

const (
	// accessLineMax is the size of php-fpm's access log buffer: no line
	// is longer.
	accessLineMax = 1024
	// accessArgMax is how much of a %{...} argument php-fpm keeps.
	accessArgMax = 128
	// accessTimeMax is the longest text php-fpm's strftime buffer holds
	// for %t and %T.
	accessTimeMax = 127
	// accessTimeDefault is the time format of %t and %T without an argument.
	accessTimeDefault = "%d/%b/%Y:%H:%M:%S %z"
)

// accessEntry is what the access log knows of one finished request.
type accessEntry struct {
	Pool string
	PID  int
	PPID int
	// RemoteAddr is what %R prints. php-fpm prints there the address of
	// the peer of the FastCGI connection (the web server, or "-" on a unix
	// socket), not the REMOTE_ADDR parameter.
	RemoteAddr string
	// RemoteUser is what %u prints. php-fpm prints there the user of the
	// request's HTTP Basic authorization, not the REMOTE_USER parameter.
	RemoteUser string
	Method     string
	// URI is the request URI without the query, as the scoreboard shows
	// it (SCRIPT_NAME, for php-fpm).
	URI           string
	Query         string
	Script        string // SCRIPT_FILENAME
	ContentLength int64
	Status        int
	Accepted      time.Time // when the request was received
	Finished      time.Time // when the log line is written
	Duration      time.Duration
	CPUUser       time.Duration
	CPUSystem     time.Duration
	Memory        uint64 // bytes the request allocated (php-fpm: its peak memory)
	// Env returns a request variable (FastCGI parameter) by name, and
	// whether the request has it. It may be nil.
	Env func(name string) (string, bool)
	// Header returns a response header by name, "" when absent. php-fpm
	// looks the name up exactly (case-sensitively) among the headers the
	// script set, takes the first, and does not see Content-Type. It may
	// be nil.
	Header func(name string) string
}

// accessFormat is a compiled access.format.
type accessFormat struct {
	items []accessItem
}

// accessItem is one piece of an access.format: literal text or a directive.
type accessItem struct {
	verb byte   // the directive's letter; 0 for literal text
	arg  string // the literal text, the %e or %o name, or the %t or %T strftime format
	unit string // the unit of %C, %d or %M
}

// accessUnits maps the modifiers php-fpm accepts for %C, %d and %M,
// lower-cased, to the unit they select; "" is the default.
var accessUnits = map[byte]map[string]string{
	'C': {"": "total", "total": "total", "user": "user", "system": "system"},
	'd': {"": "seconds", "seconds": "seconds", "milliseconds": "milli", "milli": "milli",
		"miliseconds": "milli", "mili": "milli", "microseconds": "micro", "micro": "micro"},
	'M': {"": "bytes", "bytes": "bytes", "kilobytes": "kilo", "kilo": "kilo", "megabytes": "mega", "mega": "mega"},
}

// accessUnitNames is how php-fpm's error lists the modifiers of %C, %d and %M.
var accessUnitNames = map[byte]string{
	'C': "'total', 'user' or 'system'",
	'd': "'seconds', 'milli', 'milliseconds', 'micro' or 'microseconds'",
	'M': "'bytes', 'kilo', 'kilobytes', 'mega' or 'megabytes'",
}

// parseAccessFormat compiles an access.format value. Where php-fpm refuses
// a format at start-up, so does it, with an error that quotes the
// directive and gives php-fpm's reason:
// an unknown letter, a '{' without its '}' and a letter after it, a
// modifier %C, %d or %M does not know, %e or %o without a name, and an
// argument on a letter that takes none. Like php-fpm, it ignores a '%'
// ending the format, keeps the last of several {arguments} and at most
// 128 bytes of one, and takes an empty argument for none.
func parseAccessFormat(s string) (*accessFormat, error) {
	f := &accessFormat{}
	for i := 0; i < len(s); {
		if s[i] != '%' {
			j := i + 1
			for j < len(s) && s[j] != '%' {
				j++
			}
			f.addText(s[i:j])
			i = j
			continue
		}
		start := i
		i++
		var arg string
		for i < len(s) && s[i] == '{' {
			end := i + 1
			for end < len(s) && s[end] != '}' {
				end++
			}
			if end+1 >= len(s) {
				return nil, fmt.Errorf("%q: missing closing embrace", s[start:])
			}
			arg = s[i+1 : end]
			if len(arg) > accessArgMax {
				arg = arg[:accessArgMax]
			}
			i = end + 1
		}
		if i == len(s) {
			break
		}
		verb := s[i]
		i++
		it, err := accessDirective(verb, arg)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s[start:i], err)
		}
		if verb == '%' {
			f.addText("%")
		} else {
			f.items = append(f.items, it)
		}
	}
	return f, nil
}

// addText appends literal text, joining it to literal text before it.
func (f *accessFormat) addText(s string) {
	if n := len(f.items); n > 0 && f.items[n-1].verb == 0 {
		f.items[n-1].arg += s
		return
	}
	f.items = append(f.items, accessItem{arg: s})
}

// accessDirective checks the directive %{arg}verb as php-fpm does.
func accessDirective(verb byte, arg string) (accessItem, error) {
	it := accessItem{verb: verb}
	switch verb {
	case 'C', 'd', 'M':
		unit, ok := accessUnits[verb][asciiLower(arg)]
		if !ok {
			return it, fmt.Errorf("only %s are allowed as a modifier for %%%c ('%s')", accessUnitNames[verb], verb, arg)
		}
		it.unit = unit
	case 'e':
		if arg == "" {
			return it, fmt.Errorf("the name of the environment variable must be set between embraces for %%%c", verb)
		}
		it.arg = arg
	case 'o':
		if arg == "" {
			return it, fmt.Errorf("the name of the header must be set between embraces for %%%c", verb)
		}
		it.arg = arg
	case 't', 'T':
		it.arg = arg
	case '%', 'f', 'l', 'm', 'n', 'p', 'P', 'q', 'Q', 'r', 'R', 's', 'u':
		if arg != "" {
			return it, fmt.Errorf("embrace is not allowed for modifier %%%c", verb)
		}
	default:
		return it, errors.New("invalid token")
	}
	return it, nil
}

// asciiLower lower-cases the ASCII letters of s, as strcasecmp compares.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// appendEntry appends e's log line, without the newline, to b. As in
// php-fpm, the line holds at most 1024 bytes: where a value runs past them,
// php-fpm ends the line with 1023 bytes and a NUL, appendEntry with the
// 1023 bytes alone. An empty line is one php-fpm does not write at all.
func (f *accessFormat) appendEntry(b []byte, e *accessEntry) []byte {
	start := len(b)
	for i := range f.items {
		var direct bool
		b, direct = f.items[i].appendValue(b, e)
		if len(b)-start >= accessLineMax {
			if direct {
				return b[:start+accessLineMax]
			}
			return b[:start+accessLineMax-1]
		}
	}
	return b
}

// appendValue appends what the item prints for e. It reports whether
// php-fpm copies those bytes itself, as it does literal text, "%%" and the
// "-" of a missing %o header, rather than through snprintf, which gives up
// the last byte of a full buffer to a NUL.
func (it *accessItem) appendValue(b []byte, e *accessEntry) ([]byte, bool) {
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
func (it *accessItem) appendPrinted(b []byte, e *accessEntry) []byte {
	switch it.verb {
	case 'C':
		cpu := e.CPUUser + e.CPUSystem
		switch it.unit {
		case "user":
			cpu = e.CPUUser
		case "system":
			cpu = e.CPUSystem
		}
		return appendCPUPercent(b, cpu, e.Duration)
	case 'd':
		sec, usec := timeval(e.Duration)
		switch it.unit {
		case "milli":
			return strconv.AppendFloat(b, float64(sec)*1000+float64(usec)/1000, 'f', 3, 64)
		case "micro":
			return strconv.AppendUint(b, uint64(sec*1000000+usec), 10)
		}
		return strconv.AppendFloat(b, float64(sec)+float64(usec)/1000000, 'f', 3, 64)
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
		switch it.unit {
		case "kilo":
			return strconv.AppendUint(b, e.Memory/1024, 10)
		case "mega":
			return strconv.AppendUint(b, e.Memory/1024/1024, 10)
		}
		return strconv.AppendUint(b, e.Memory, 10)
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
	case 't', 'T':
		t := e.Accepted
		if it.verb == 'T' {
			t = e.Finished
		}
		layout := it.arg
		if layout == "" {
			layout = accessTimeDefault
		}
		return strftime.Append(b, layout, t, accessTimeMax)
	case 'u':
		return append(b, e.RemoteUser...)
	}
	return b
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
