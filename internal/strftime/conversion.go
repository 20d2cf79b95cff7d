package strftime

import (
	"strconv"
)

// conversion writes the conversion c, written as raw; it reports false for
// one glibc does not know (or not with sp's modifier), which is then copied
// as written.
func (w *writer) conversion(c byte, raw string, sp spec, tm *brokenTime) bool {
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
func (w *writer) numeric(c byte, sp spec, tm *brokenTime, hour12 int) bool {
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
