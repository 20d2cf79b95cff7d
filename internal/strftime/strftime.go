package strftime

import (
	"math"
	"time"
)

// Append appends t, in its own location, formatted by layout as glibc's
// strftime(3) formats it in the C locale into a buffer of limit bytes of
// text (strftime's maxsize less its terminating NUL). When the text is
// longer, glibc stops before the first piece that does not fit and returns
// 0; Append appends the pieces before that one. A conversion glibc does not
// know is copied as written.
func Append(b []byte, layout string, t time.Time, limit int) []byte {
	w := writer{buf: b, limit: len(b) + limit}
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

// writer writes strftime's output up to a limit.
type writer struct {
	buf   []byte
	limit int  // the length buf may reach
	full  bool // a piece did not fit: nothing more is written
}

// spec is what comes between a '%' and its conversion: flags,
// width and modifier.
type spec struct {
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
func (w *writer) format(layout string, tm *brokenTime) {
	for i := 0; i < len(layout) && !w.full; i++ {
		if layout[i] != '%' {
			w.put(layout[i:i+1], spec{width: -1}, 0)
			continue
		}
		start := i
		sp := spec{width: -1}
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
