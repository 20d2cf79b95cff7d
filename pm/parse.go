package pm

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// parseErrorLog parses error_log: a file, or syslog (in any case, as
// php-fpm reads it) for the syslog daemon.
func parseErrorLog(s string) (string, error) {
	if strings.EqualFold(s, ErrorLogSyslog) {
		return ErrorLogSyslog, nil
	}
	return s, nil
}

// ParseSize parses a size in bytes as PHP's ini does: a whole number,
// optionally followed by K, M or G (in either case) for KiB, MiB or GiB.
func ParseSize(s string) (int, error) {
	n, ok := parseBytes(s, math.MaxInt32)
	if !ok {
		return 0, fmt.Errorf("%q is not a size in bytes below 2G (such as 1048576, 512K or 1M)", s)
	}
	return n, nil
}

// parseBytes parses a size as ParseSize does, up to most bytes.
func parseBytes(s string, most int64) (int, bool) {
	t := strings.TrimSpace(s)
	shift := 0
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		}
	}
	if shift > 0 {
		t = t[:len(t)-1]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > most>>shift || n<<shift > math.MaxInt {
		return 0, false
	}
	return int(n << shift), true
}

// ParseMode parses listen.mode: octal permission bits, such as 0660.
func ParseMode(s string) (os.FileMode, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 8, 32)
	if err != nil || n > 0o777 {
		return 0, fmt.Errorf("%q is not a file mode (octal permission bits such as 0660)", s)
	}
	return os.FileMode(n), nil
}

// parseBool parses a yes/no directive as PHP's ini does: yes, on, true or
// 1; no, off, false, 0 or nothing.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "on", "true", "1":
		return true, nil
	case "no", "off", "false", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", s)
}

// ParsePM parses the pm directive: static, dynamic or ondemand.
func ParsePM(s string) (PM, error) {
	switch strings.TrimSpace(s) {
	case "static":
		return Static, nil
	case "dynamic":
		return Dynamic, nil
	case "ondemand":
		return Ondemand, nil
	}
	return 0, fmt.Errorf("%q is not static, dynamic or ondemand", s)
}

// ParseDuration parses a timeout as PHP-FPM does: a whole number with an
// optional unit s (the default), m, h or d: "30", "30s", "2m".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	unit := time.Second
	if s != "" {
		switch s[len(s)-1] {
		case 's':
			s = s[:len(s)-1]
		case 'm':
			s, unit = s[:len(s)-1], time.Minute
		case 'h':
			s, unit = s[:len(s)-1], time.Hour
		case 'd':
			s, unit = s[:len(s)-1], 24*time.Hour
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a timeout (a whole number with an optional s, m, h or d)", s)
	}
	return time.Duration(n) * unit, nil
}

// parseCount parses a non-negative whole number.
func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative whole number", s)
	}
	return n, nil
}

// parseBacklog parses listen.backlog; -1 means the system's maximum, as
// in PHP-FPM on Linux (see listenBacklog).
func parseBacklog(s string) (int, error) {
	if strings.TrimSpace(s) == "-1" {
		return -1, nil
	}
	n, err := parseCount(s)
	if err == nil && n == 0 {
		err = fmt.Errorf("%q: the backlog must be positive", s)
	}
	return n, err
}
