package pm

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
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
		return appendStrftime(b, layout, t)
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

// appendStrftime appends t, in its own location, formatted by layout as
// glibc's strftime(3) formats it in the C locale. php-fpm gives strftime
// room for 127 bytes; when the text is longer, glibc stops before the
// first piece that does not fit and php-fpm prints what the buffer held
// before, which appendStrftime leaves out.
func appendStrftime(b []byte, layout string, t time.Time) []byte {
	w := strftimeWriter{buf: b, limit: len(b) + accessTimeMax}
	w.format(layout, newBrokenTime(t))
	return w.buf
}

// brokenTime is a time broken down as a C struct tm.
type brokenTime struct {
	year, mon, mday int // mon is 1 to 12
	hour, min, sec  int
	yday, wday      int // yday counts from 0, wday from Sunday
	zone            string
	offset          int // seconds east of UTC
	unix            int64
}

// newBrokenTime breaks t down in its location.
func newBrokenTime(t time.Time) *brokenTime {
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	zone, offset := t.Zone()
	return &brokenTime{year: year, mon: int(month), mday: day, hour: hour, min: minute, sec: second,
		yday: t.YearDay() - 1, wday: int(t.Weekday()), zone: zone, offset: offset, unix: t.Unix()}
}

// strftimeWriter writes strftime's output up to a limit.
type strftimeWriter struct {
	buf   []byte
	limit int  // the length buf may reach
	full  bool // a piece did not fit: nothing more is written
}

// strftimeSpec is what comes between a '%' and its conversion: flags,
// width and modifier.
type strftimeSpec struct {
	pad   byte // '_', '-', '0' or 0
	upper bool // '^'
	swap  bool // '#'
	width int  // -1 when none
	mod   byte // 'E', 'O' or 0
}

// The names strftime prints in the C locale.
var (
	cWeekdays = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	cMonths   = [12]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

// format writes layout for tm.
func (w *strftimeWriter) format(layout string, tm *brokenTime) {
	for i := 0; i < len(layout) && !w.full; i++ {
		if layout[i] != '%' {
			w.put(layout[i:i+1], strftimeSpec{width: -1}, 0)
			continue
		}
		start := i
		sp := strftimeSpec{width: -1}
	flags:
		for i++; i < len(layout); i++ {
			switch c := layout[i]; c {
			case '_', '-', '0':
				sp.pad = c
			case '^':
				sp.upper = true
			case '#':
				sp.swap = true
			default:
				break flags
			}
		}
		if i < len(layout) && isDigit(layout[i]) {
			sp.width = 0
			for ; i < len(layout) && isDigit(layout[i]); i++ {
				sp.width = min(sp.width*10+int(layout[i]-'0'), math.MaxInt32)
			}
		}
		if i < len(layout) && (layout[i] == 'E' || layout[i] == 'O') {
			sp.mod = layout[i]
			i++
		}
		if i == len(layout) {
			// glibc copies a conversion cut short by the end as it is.
			w.put(layout[start:], sp, 0)
			return
		}
		// glibc copies a bad conversion back to the nearest '%', which is
		// the conversion itself for a "%%" with a modifier.
		raw := layout[start : i+1]
		if layout[i] == '%' {
			raw = "%"
		}
		if !w.conversion(layout[i], raw, sp, tm) {
			w.put(raw, sp, 0)
		}
	}
}

// conversion writes the conversion c, written as raw; it reports false for
// one glibc does not know (or not with sp's modifier), which is then copied
// as written.
func (w *strftimeWriter) conversion(c byte, raw string, sp strftimeSpec, tm *brokenTime) bool {
	hour12 := tm.hour
	if hour12 > 12 {
		hour12 -= 12
	} else if hour12 == 0 {
		hour12 = 12
	}
	upperIfSwap := byte(0)
	if sp.swap {
		upperIfSwap = 'U'
	}
	switch c {
	case '%':
		if sp.mod != 0 {
			return false
		}
		w.put("%", sp, 0)
	case 'a', 'A':
		if sp.mod != 0 {
			return false
		}
		name := cWeekdays[tm.wday]
		if c == 'a' {
			name = name[:3]
		}
		w.put(name, sp, upperIfSwap)
	case 'b', 'h', 'B':
		if sp.mod == 'E' {
			// glibc upper-cases a bad %#Eb or %#Eh as it copies it.
			sp.upper = sp.upper || sp.swap && c != 'B'
			w.put(raw, sp, 0)
			return true
		}
		name := cMonths[tm.mon-1]
		if c != 'B' {
			name = name[:3]
		}
		w.put(name, sp, upperIfSwap)
	case 'c':
		if sp.mod == 'O' {
			return false
		}
		w.sub("%a %b %e %H:%M:%S %Y", sp, tm)
	case 'x', 'D':
		if sp.mod == 'O' || c == 'D' && sp.mod != 0 {
			return false
		}
		w.sub("%m/%d/%y", sp, tm)
	case 'X':
		if sp.mod == 'O' {
			return false
		}
		w.sub("%H:%M:%S", sp, tm)
	case 'F':
		if sp.mod != 0 {
			return false
		}
		w.sub("%Y-%m-%d", sp, tm)
	case 'R':
		w.sub("%H:%M", sp, tm)
	case 'T':
		w.sub("%H:%M:%S", sp, tm)
	case 'r':
		w.sub("%I:%M:%S %p", sp, tm)
	case 'C':
		w.number(tm.year/100-b2i(tm.year%100 < 0), 1, false, sp)
	case 'y':
		w.number(((tm.year-1900)%100+100)%100, 2, false, sp)
	case 'Y':
		if sp.mod == 'O' {
			return false
		}
		w.number(tm.year, 1, false, sp)
	case 's':
		w.signed(strconv.FormatInt(tm.unix, 10), 1, sp)
	case 'u':
		w.number((tm.wday+6)%7+1, 1, false, sp)
	case 'n':
		w.put("\n", sp, 0)
	case 't':
		w.put("\t", sp, 0)
	case 'p', 'P':
		ampm := "AM"
		if tm.hour > 11 {
			ampm = "PM"
		}
		lower := c == 'P' || sp.swap
		if lower {
			w.put(ampm, sp, 'L')
		} else {
			w.put(ampm, sp, 0)
		}
	case 'Z':
		if sp.swap {
			w.put(tm.zone, sp, 'L')
		} else {
			w.put(tm.zone, sp, 0)
		}
	case 'z':
		diff := tm.offset
		if diff < 0 {
			w.put("-", sp, 0)
			diff = -diff
		} else {
			w.put("+", sp, 0)
		}
		diff /= 60
		w.number(diff/60*100+diff%60, 4, false, sp)
	default:
		if sp.mod == 'E' {
			return false
		}
		return w.numeric(c, sp, tm, hour12)
	}
	return true
}

// numeric writes the numeric conversions that refuse the E modifier.
func (w *strftimeWriter) numeric(c byte, sp strftimeSpec, tm *brokenTime, hour12 int) bool {
	switch c {
	case 'd':
		w.number(tm.mday, 2, false, sp)
	case 'e':
		w.number(tm.mday, 2, true, sp)
	case 'H':
		w.number(tm.hour, 2, false, sp)
	case 'I':
		w.number(hour12, 2, false, sp)
	case 'k':
		w.number(tm.hour, 2, true, sp)
	case 'l':
		w.number(hour12, 2, true, sp)
	case 'j':
		w.number(tm.yday+1, 3, false, sp)
	case 'M':
		w.number(tm.min, 2, false, sp)
	case 'm':
		w.number(tm.mon, 2, false, sp)
	case 'S':
		w.number(tm.sec, 2, false, sp)
	case 'U':
		w.number((tm.yday-tm.wday+7)/7, 2, false, sp)
	case 'W':
		w.number((tm.yday-(tm.wday+6)%7+7)/7, 2, false, sp)
	case 'w':
		w.number(tm.wday, 1, false, sp)
	case 'V', 'g', 'G':
		year, days := isoWeek(tm)
		switch c {
		case 'g':
			w.number((year%100+100)%100, 2, false, sp)
		case 'G':
			w.number(year, 1, false, sp)
		default:
			w.number(days/7+1, 2, false, sp)
		}
	default:
		return false
	}
	return true
}

// isoWeek returns tm's ISO 8601 week-based year and the days from the
// start of its first week to tm.
func isoWeek(tm *brokenTime) (year, days int) {
	year = tm.year
	days = isoWeekDays(tm.yday, tm.wday)
	if days < 0 {
		year--
		days = isoWeekDays(tm.yday+365+b2i(isLeap(year)), tm.wday)
	} else if d := isoWeekDays(tm.yday-365-b2i(isLeap(year)), tm.wday); d >= 0 {
		year++
		days = d
	}
	return year, days
}

// isoWeekDays is the number of days from the first day of the first ISO
// week of a year to its day yday, a weekday wday.
func isoWeekDays(yday, wday int) int {
	const bigEnoughMultipleOf7 = (366/7 + 2) * 7
	return yday - (yday-wday+4+bigEnoughMultipleOf7)%7 + 3
}

// isLeap reports whether year is a leap year.
func isLeap(year int) bool {
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// sub writes a conversion glibc spells as another format, as one piece.
func (w *strftimeWriter) sub(layout string, sp strftimeSpec, tm *brokenTime) {
	inner := strftimeWriter{limit: math.MaxInt}
	inner.format(layout, tm)
	w.put(string(inner.buf), sp, 0)
}

// number writes v with at least digits digits, padded as glibc pads:
// zeros, or spaces for spacePad conversions, unless a flag says otherwise.
func (w *strftimeWriter) number(v, digits int, spacePad bool, sp strftimeSpec) {
	if spacePad && sp.pad != '0' && sp.pad != '-' {
		sp.pad = '_'
	}
	w.signed(strconv.Itoa(v), max(digits, sp.width), sp)
}

// signed writes the decimal number s padded to digits digits, then to the
// width as any piece is.
func (w *strftimeWriter) signed(s string, digits int, sp strftimeSpec) {
	if sp.pad != '-' {
		if padding := digits - len(s); padding > 0 {
			if sp.pad == '_' {
				if !w.fits(padding) {
					return
				}
				w.buf = appendRepeat(w.buf, ' ', padding)
				sp.width = max(sp.width-padding, 0)
			} else {
				if !w.fits(digits) {
					return
				}
				if s[0] == '-' {
					w.buf = append(w.buf, '-')
					s = s[1:]
				}
				w.buf = appendRepeat(w.buf, '0', padding)
				sp.width = 0
			}
		}
	}
	w.put(s, sp, 0)
}

// fits reports whether n more bytes fit; when not, nothing more is written.
func (w *strftimeWriter) fits(n int) bool {
	if n > w.limit-len(w.buf) {
		w.full = true
	}
	return !w.full
}

// put writes s as one piece, padded on the left to sp.width, upper-cased
// for '^' or as caseTo says ('U' upper, 'L' lower, which wins).
func (w *strftimeWriter) put(s string, sp strftimeSpec, caseTo byte) {
	padding := max(sp.width-len(s), 0)
	if !w.fits(len(s) + padding) {
		return
	}
	if sp.pad == '0' {
		w.buf = appendRepeat(w.buf, '0', padding)
	} else {
		w.buf = appendRepeat(w.buf, ' ', padding)
	}
	if sp.upper && caseTo == 0 {
		caseTo = 'U'
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case caseTo == 'L' && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case caseTo == 'U' && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		w.buf = append(w.buf, c)
	}
}

// appendRepeat appends n copies of c.
func appendRepeat(b []byte, c byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, c)
	}
	return b
}
