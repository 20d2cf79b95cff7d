package status

import (
	"strconv"
	"strings"
)

// Query is what a status request asks for, read from its query string.
type Query struct {
	Format Format
	Full   bool // the "full" key: one record per process
	// Refresh is the period in seconds of the live HTML page, asked for with
	// "refresh=N" next to "html"; 0 means php-fpm's static page. A refresh
	// key without a valid number means DefaultRefresh.
	Refresh int
}

// DefaultRefresh is the live page's period when "refresh" has no valid value.
const DefaultRefresh = 5

// maxRefresh bounds the live page's period (one hour).
const maxRefresh = 3600

// ParseQuery reads a raw query string (QUERY_STRING, without the '?') the
// way php-fpm reads $_GET: the format is chosen by the presence of a key,
// whatever its value or position, trying html, xml, json and openmetrics in
// that order; Text otherwise. Keys are decoded and normalised as PHP does
// ("%68tml", "html[]=1" and "html%00x" all name "html"; "HTML" does not).
func ParseQuery(raw string) Query {
	keys := phpKeys(raw)
	var q Query
	switch {
	case keys.has("html"):
		q.Format = HTML
	case keys.has("xml"):
		q.Format = XML
	case keys.has("json"):
		q.Format = JSON
	case keys.has("openmetrics"):
		q.Format = OpenMetrics
	}
	q.Full = keys.has("full")
	if v, ok := keys["refresh"]; ok && q.Format == HTML {
		q.Refresh = parseRefresh(v)
	}
	return q
}

func parseRefresh(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return DefaultRefresh
	}
	return min(n, maxRefresh)
}

// keySet maps each key php would register in $_GET to its first value.
type keySet map[string]string

func (k keySet) has(name string) bool { _, ok := k[name]; return ok }

// phpKeys splits raw on '&' (php's arg_separator.input) and registers each
// variable's name as php_register_variable_ex does.
func phpKeys(raw string) keySet {
	keys := keySet{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		name, val, _ := strings.Cut(part, "=")
		name = phpVarName(phpURLDecode(name))
		if name == "" {
			continue
		}
		if _, seen := keys[name]; !seen {
			keys[name] = phpURLDecode(val)
		}
	}
	return keys
}

// phpVarName returns the $_GET key PHP registers for the decoded variable
// name: cut at a NUL byte (PHP handles C strings), leading spaces dropped,
// ' ' and '.' turned into '_' up to the first '[', and "name[...]" naming
// the array "name" when a ']' follows; without one, that '[' and any ' ',
// '.' or '[' after it become '_'.
func phpVarName(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimLeft(s, " ")
	b := []byte(s)
	for i, c := range b {
		switch c {
		case ' ', '.':
			b[i] = '_'
		case '[':
			if strings.IndexByte(s[i+1:], ']') >= 0 {
				return string(b[:i])
			}
			for j := i; j < len(b); j++ {
				if b[j] == ' ' || b[j] == '.' || b[j] == '[' {
					b[j] = '_'
				}
			}
			return string(b)
		}
	}
	return string(b)
}

// phpURLDecode decodes as PHP's urldecode: '+' is a space, "%XX" a byte,
// and a '%' not followed by two hex digits stays as it is.
func phpURLDecode(s string) string {
	if !strings.ContainsAny(s, "+%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
