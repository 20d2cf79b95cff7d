package pm

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BindFlags declares on fs a flag for each directive of Directives that
// fpmshm implements, named as the directive, that sets c's field as the
// directive does. A pattern's flag is named by what precedes NAME and
// takes NAME=VALUE, and may be repeated: -cache pages=64M. A timeout also
// takes Go's durations ("1.5s"), a switch Go's booleans. A flag's default
// is c's value, or what a zero value stands for.
func BindFlags(fs *flag.FlagSet, c *Config) {
	for i := range directives {
		if d := &directives[i]; d.value != nil {
			fs.Var(&directiveFlag{d, c}, flagName(d), d.Usage)
		}
	}
}

// flagName is a directive's flag: its name, or what precedes NAME in a
// pattern ("cache" for cache.NAME), or the name the table gives it.
func flagName(d *Directive) string {
	if d.flag != "" {
		return d.flag
	}
	prefix, _, pattern := strings.Cut(d.Name, "NAME")
	if pattern {
		return strings.TrimRight(prefix, ".[")
	}
	return d.Name
}

// directiveFlag is a directive as a flag.Value.
type directiveFlag struct {
	d *Directive
	c *Config
}

// String returns the value as the directive sets it, quoted for text as
// the flag package quotes strings; the default's when the field is zero.
func (f *directiveFlag) String() string {
	if f == nil || f.c == nil { // the flag package's zero value
		return ""
	}
	s := f.d.Default
	if !f.d.value.isZero(f.c) {
		s = f.d.value.format(f.c)
	}
	if _, isText := f.d.value.(field[string]); isText && s != "" {
		return strconv.Quote(s)
	}
	return s
}

// Set sets the directive to s (NAME=VALUE for a pattern).
func (f *directiveFlag) Set(s string) error {
	key := f.d.Name
	if f.d.pattern() {
		name, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("%q is not NAME=VALUE", s)
		}
		key, s = strings.Replace(f.d.Name, "NAME", name, 1), v
		if _, ok := f.d.match(key); !ok {
			return fmt.Errorf("%q is not a name for %s", name, f.d.Name)
		}
	}
	err := f.d.Set(f.c, key, s)
	if err == nil {
		return nil
	}
	switch v := f.d.value.(type) { // Go's forms, on a command line
	case field[time.Duration]:
		if d, goErr := time.ParseDuration(s); goErr == nil {
			*v.at(f.c) = d
			return nil
		}
	case field[bool]:
		if b, goErr := strconv.ParseBool(s); goErr == nil {
			return f.d.Set(f.c, key, formatBool(b))
		}
	}
	return err
}

// IsBoolFlag makes a switch's flag take no value: -clear_env.
func (f *directiveFlag) IsBoolFlag() bool {
	_, isBool := f.d.value.(field[bool])
	return isBool
}
