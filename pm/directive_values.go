package pm

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fpmshm/fpmshm/status"
)

// value is how a directive reads its text into its Config field and
// writes the field back as text.
type value interface {
	// set parses s into c's field; name is the NAME a pattern matched.
	set(c *Config, name, s string) error
	// format returns c's value as the directive would set it; "" for an
	// empty string, map or Env.
	format(c *Config) string
	isZero(c *Config) bool
	// validate checks c's value, which a program may have set without
	// parsing it; its error starts with the value: "(0) must be positive".
	validate(c *Config) error
	// keep sets next's field to running's and reports whether that
	// changed it.
	keep(running, next *Config) bool
}

// field is a directive setting one Config field of type T.
type field[T comparable] struct {
	at    func(*Config) *T
	read  func(string) (T, error)
	show  func(T) string
	check func(T) error // nil: every value is valid
}

// valid returns f, whose values check checks.
func (f field[T]) valid(check func(T) error) field[T] {
	f.check = check
	return f
}

func (f field[T]) validate(c *Config) error {
	if f.check == nil {
		return nil
	}
	return f.check(*f.at(c))
}

func (f field[T]) set(c *Config, _, s string) error {
	v, err := f.read(s)
	if err != nil {
		return err
	}
	*f.at(c) = v
	return nil
}

func (f field[T]) format(c *Config) string { return f.show(*f.at(c)) }

func (f field[T]) isZero(c *Config) bool {
	var zero T
	return *f.at(c) == zero
}

func (f field[T]) keep(running, next *Config) bool {
	r, n := f.at(running), f.at(next)
	if *r == *n {
		return false
	}
	*n = *r
	return true
}

// text is a field taking the directive's text as it is.
func text(at func(*Config) *string) field[string] {
	return field[string]{at, func(s string) (string, error) { return s, nil }, identity, nil}
}

// count is a field of a non-negative whole number.
func count(at func(*Config) *int) field[int] { return field[int]{at, parseCount, formatInt, nil} }

// duration is a field of a timeout, in PHP-FPM's form, never negative.
func duration(at func(*Config) *time.Duration) field[time.Duration] {
	return field[time.Duration]{at, ParseDuration, formatDuration, func(d time.Duration) error {
		if d < 0 {
			return fmt.Errorf("(%s) must not be negative", d)
		}
		return nil
	}}
}

// systemdInterval is systemd_interval's field. php-fpm's 0 (no status
// lines) is held as a negative interval, so that an unset Config's zero
// takes the default.
func systemdInterval() field[time.Duration] {
	at := func(c *Config) *time.Duration { return &c.SystemdInterval }
	parse := func(s string) (time.Duration, error) {
		d, err := ParseDuration(s)
		if err == nil && d == 0 {
			d = -1
		}
		return d, err
	}
	show := func(d time.Duration) string {
		if d < 0 {
			return "0"
		}
		return formatDuration(d)
	}
	return field[time.Duration]{at, parse, show, nil}
}

// boolean is a yes/no field.
func boolean(at func(*Config) *bool) field[bool] { return field[bool]{at, parseBool, formatBool, nil} }

// statusVersion is status.version's field.
func statusVersion() field[status.Version] {
	return field[status.Version]{func(c *Config) *status.Version { return &c.StatusVersion }, status.ParseVersion, status.Version.String, func(v status.Version) error {
		if v != 0 && v != status.PHP82 && v != status.PHP84 {
			return fmt.Errorf("(%d) must be %d (php-fpm 8.2 and 8.3) or %d (8.4)", v, status.PHP82, status.PHP84)
		}
		return nil
	}}
}

// atLeast checks a number is least or more: "must be positive" for 1,
// "must not be negative" for 0.
func atLeast(least int) func(int) error {
	return func(n int) error {
		switch {
		case n >= least:
			return nil
		case least == 1:
			return fmt.Errorf("(%d) must be positive", n)
		case least == 0:
			return fmt.Errorf("(%d) must not be negative", n)
		}
		return fmt.Errorf("(%d) must be %d or more", n, least)
	}
}

// between checks a number is within [least, most].
func between(least, most int) func(int) error {
	return func(n int) error {
		if n < least || n > most {
			return fmt.Errorf("(%d) must be between %d and %d", n, least, most)
		}
		return nil
	}
}

// validBacklog checks listen.backlog: positive, or -1 for the system's
// maximum.
func validBacklog(n int) error {
	if n == -1 {
		return nil
	}
	if n < 1 {
		return fmt.Errorf("(%d) must be positive, or -1 for the system's maximum", n)
	}
	return nil
}

// validPM checks a process manager mode.
func validPM(m PM) error {
	if m != Static && m != Dynamic && m != Ondemand {
		return fmt.Errorf("(%d) must be static, dynamic or ondemand", m)
	}
	return nil
}

// validMode checks a socket's permissions are permission bits.
func validMode(m os.FileMode) error {
	if m&^os.ModePerm != 0 {
		return fmt.Errorf("(%#o) must be permission bits (at most 0777)", uint32(m))
	}
	return nil
}

func identity(s string) string { return s }
func formatInt(n int) string   { return strconv.Itoa(n) }

// formatMode writes listen.mode as ParseMode reads it: 0660.
func formatMode(m os.FileMode) string { return fmt.Sprintf("%04o", uint32(m)) }

// formatBool writes a switch as PHP's ini does.
func formatBool(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// formatDuration writes d as ParseDuration reads it, in its largest whole
// unit ("90s", "2m", "1d"); d.String() when it is not whole seconds.
func formatDuration(d time.Duration) string {
	if d%time.Second != 0 {
		return d.String()
	}
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if d != 0 && d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.unit
		}
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// cachesValue is cache.NAME: Config.Caches, one cache per NAME.
type cachesValue struct{}

func (cachesValue) set(c *Config, name, s string) error { return c.SetCache(name, s) }
func (cachesValue) format(c *Config) string             { return describeCaches(c.Caches) }
func (cachesValue) isZero(c *Config) bool               { return len(c.Caches) == 0 }
func (cachesValue) validate(*Config) error              { return nil } // with the other caches: validateCaches

func (cachesValue) keep(running, next *Config) bool {
	if maps.Equal(running.Caches, next.Caches) {
		return false
	}
	next.Caches = maps.Clone(running.Caches)
	return true
}

// envValue is env[NAME]: Config.Env, one variable per NAME.
type envValue struct{}

func (envValue) set(c *Config, name, s string) error {
	if c.Env == nil {
		c.Env = map[string]string{}
	}
	c.Env[name] = s
	return nil
}

func (envValue) format(c *Config) string {
	var vars []string
	for _, name := range slices.Sorted(maps.Keys(c.Env)) {
		vars = append(vars, name+"="+c.Env[name])
	}
	return strings.Join(vars, " ")
}

func (envValue) isZero(c *Config) bool  { return len(c.Env) == 0 }
func (envValue) validate(*Config) error { return nil }

func (envValue) keep(running, next *Config) bool {
	if maps.Equal(running.Env, next.Env) {
		return false
	}
	next.Env = maps.Clone(running.Env)
	return true
}
