package accesslog

import (
	"errors"
	"fmt"
)

// DefaultFormat is php-fpm's access.format when a pool sets none.
const DefaultFormat = "%R - %u %t \"%m %r\" %s"

// argMax is how much of a %{...} argument php-fpm keeps.
const argMax = 128

// Format is a compiled access.format.
type Format struct {
	items []item
}

// item is one piece of an access.format: literal text or a directive.
type item struct {
	verb byte   // the directive's letter; 0 for literal text
	arg  string // the literal text, the %e or %o name, or the %t or %T strftime format
	unit string // the unit of %C, %d or %M
}

// units maps the modifiers php-fpm accepts for %C, %d and %M,
// lower-cased, to the unit they select; "" is the default.
var units = map[byte]map[string]string{
	'C': {"": "total", "total": "total", "user": "user", "system": "system"},
	'd': {"": "seconds", "seconds": "seconds", "milliseconds": "milli", "milli": "milli",
		"miliseconds": "milli", "mili": "milli", "microseconds": "micro", "micro": "micro"},
	'M': {"": "bytes", "bytes": "bytes", "kilobytes": "kilo", "kilo": "kilo", "megabytes": "mega", "mega": "mega"},
}

// unitNames is how php-fpm's error lists the modifiers of %C, %d and %M.
var unitNames = map[byte]string{
	'C': "'total', 'user' or 'system'",
	'd': "'seconds', 'milli', 'milliseconds', 'micro' or 'microseconds'",
	'M': "'bytes', 'kilo', 'kilobytes', 'mega' or 'megabytes'",
}

// ParseFormat compiles an access.format value. Where php-fpm refuses
// a format at start-up, so does it, with an error that quotes the
// directive and gives php-fpm's reason:
// an unknown letter, a '{' without its '}' and a letter after it, a
// modifier %C, %d or %M does not know, %e or %o without a name, and an
// argument on a letter that takes none. Like php-fpm, it ignores a '%'
// ending the format, keeps the last of several {arguments} and at most
// 128 bytes of one, and takes an empty argument for none.
func ParseFormat(s string) (*Format, error) {
	f := &Format{}
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
			if len(arg) > argMax {
				arg = arg[:argMax]
			}
			i = end + 1
		}
		if i == len(s) {
			break
		}
		verb := s[i]
		i++
		it, err := directive(verb, arg)
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
func (f *Format) addText(s string) {
	if n := len(f.items); n > 0 && f.items[n-1].verb == 0 {
		f.items[n-1].arg += s
		return
	}
	f.items = append(f.items, item{arg: s})
}

// directive checks the directive %{arg}verb as php-fpm does.
func directive(verb byte, arg string) (item, error) {
	it := item{verb: verb}
	switch verb {
	case 'C', 'd', 'M':
		unit, ok := units[verb][asciiLower(arg)]
		if !ok {
			return it, fmt.Errorf("only %s are allowed as a modifier for %%%c ('%s')", unitNames[verb], verb, arg)
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
