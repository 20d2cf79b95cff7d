package status

import (
	"fmt"
	"strconv"
	"strings"
)

// Format is one of the status page's output formats.
type Format uint8

// The formats, in the order php-fpm tries them: the first whose key is in
// the query string wins, and Text is what remains.
const (
	Text Format = iota
	HTML
	XML
	JSON
	OpenMetrics
)

// String returns the query key that selects f ("text" for Text, which has none).
func (f Format) String() string {
	switch f {
	case Text:
		return "text"
	case HTML:
		return "html"
	case XML:
		return "xml"
	case JSON:
		return "json"
	case OpenMetrics:
		return "openmetrics"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ContentType returns the Content-Type value php-fpm sends with f, byte for
// byte (php-fpm's SAPI appends ";charset=UTF-8" to the text/ types).
func (f Format) ContentType() string {
	switch f {
	case HTML:
		return "text/html;charset=UTF-8"
	case XML:
		return "text/xml;charset=UTF-8"
	case JSON:
		return "application/json"
	case OpenMetrics:
		return "application/openmetrics-text; version=1.0.0; charset=utf-8"
	}
	return "text/plain;charset=UTF-8"
}

// Version selects the php-fpm release whose field set is rendered.
type Version uint8

// The supported field sets. The zero Version means PHP84.
const (
	PHP82 Version = 82 // php-fpm 8.2 and 8.3
	PHP84 Version = 84 // php-fpm 8.4: adds the pool's "memory peak"
)

// String returns v as "8.2" or "8.4".
func (v Version) String() string {
	v = v.orDefault()
	return fmt.Sprintf("%d.%d", v/10, v%10)
}

// ParseVersion parses "8.2", "8.3" (the 8.2 field set) or "8.4".
// If s names no supported version, the error says which are.
func ParseVersion(s string) (Version, error) {
	switch strings.TrimSpace(s) {
	case "8.2", "8.3":
		return PHP82, nil
	case "8.4", "":
		return PHP84, nil
	}
	return 0, fmt.Errorf("status: unsupported php-fpm version %q (want 8.2, 8.3 or 8.4)", s)
}

func (v Version) orDefault() Version {
	if v == PHP82 {
		return PHP82
	}
	return PHP84
}

// hasMemoryPeak reports whether v prints the pool's memory peak.
func (v Version) hasMemoryPeak() bool { return v.orDefault() >= PHP84 }
