package strftime

import (
	"strings"
	"testing"
	"time"
)

// TestAppend checks the conversions against what glibc
// 2.36's strftime printed for the same times in America/St_Johns.
func TestAppend(t *testing.T) {
	nst := time.FixedZone("NST", -(3*3600 + 30*60))
	sunday := time.Unix(1609724289, 0).In(nst) // 2021-01-03 22:08:09, ISO week 53 of 2020
	monday := time.Unix(1735567506, 0).In(nst) // 2024-12-30 10:35:06, ISO week 1 of 2025
	for _, c := range []struct {
		layout string
		t      time.Time
		want   string
	}{
		{"%a %A %b %B %h", sunday, "Sun Sunday Jan January Jan"},
		{"%c", sunday, "Sun Jan  3 22:08:09 2021"},
		{"%C %y %Y %G %g %V", sunday, "20 21 2021 2020 20 53"},
		{"%G %g %V %U %W %j", monday, "2025 25 01 52 53 365"},
		{"%U %W %j %u %w", sunday, "01 00 003 7 0"},
		{"%d %e %D %F %x", sunday, "03  3 01/03/21 2021-01-03 01/03/21"},
		{"%H %I %k %l %M %S %p %P", sunday, "22 10 22 10 08 09 PM pm"},
		{"%H %I %k %l %p %P", monday, "10 10 10 10 AM am"},
		{"%r|%R|%T|%X", sunday, "10:08:09 PM|22:08|22:08:09|22:08:09"},
		{"%s %z %Z", sunday, "1609724289 -0330 NST"},
		{"%n%t%%", sunday, "\n\t%"},
		{"%Ec %EY %Oe %OH %Ob", sunday, "Sun Jan  3 22:08:09 2021 2021  3 22 Jan"},
		{"%^a %^B %#a %#Z %#p %^P %^c", sunday, "SUN JANUARY SUN nst pm pm SUN JAN  3 22:08:09 2021"},
		{"%_m|%-m|%-d|%0e|%5d|%-5d|%_5d|%05e", sunday, " 1|1|3|03|00003|    3|    3|00003"},
		{"%3Y|%6Y|%_6Y|%12c|%012T|%^10b", sunday, "2021|002021|  2021|Sun Jan  3 22:08:09 2021|000022:08:09|       JAN"},
		{"%8z|%_8z", sunday, "       -00000330|       -     330"},
		{"%q|%5q|%^q|%Ed|%EH|%OY|%#Eb", sunday, "%q|  %5q|%^Q|%Ed|%EH|%OY|%#EB"},
		{"%E%|%5E%", sunday, "%|    %"},
		{"%", sunday, "%"},
		{"%_", sunday, "%_"},
		{"%5", sunday, "   %5"},
		{"%-O", sunday, "%-O"},
		{"100%%", sunday, "100%"},
		{"%d/%b/%Y:%H:%M:%S %z", sunday, "03/Jan/2021:22:08:09 -0330"},
		// A buffer of 127 bytes, php-fpm's: glibc stops before the piece
		// that does not fit.
		{strings.Repeat("%Y", 31) + "%d", sunday, strings.Repeat("2021", 31) + "03"},
		{strings.Repeat("%Y", 32), sunday, strings.Repeat("2021", 31)},
		{strings.Repeat("%Y", 31) + "abcd", sunday, strings.Repeat("2021", 31) + "abc"},
		{"%127Y", sunday, strings.Repeat("0", 123) + "2021"},
		{"%128Y", sunday, ""},
		{"%2147483648Y", sunday, ""},
		{"%99999999999Y", sunday, ""},
		{"x%c%c%c%c%c", sunday, "x" + strings.Repeat("Sun Jan  3 22:08:09 2021", 5)},
	} {
		if got := string(Append(nil, c.layout, c.t, 127)); got != c.want {
			t.Errorf("%q at %v:\n got %q\nwant %q", c.layout, c.t, got, c.want)
		}
	}
	if got := string(Append([]byte("at "), "%Y", sunday, 127)); got != "at 2021" {
		t.Errorf("appending to %q gave %q", "at ", got)
	}
}
