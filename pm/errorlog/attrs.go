package errorlog

import (
	"log/slog"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// special returns the text of a, when a is the attribute key with a value
// that reads as text: a string, or an error or Stringer for "err".
func special(a slog.Attr, key string) (string, bool) {
	if a.Key != key {
		return "", false
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return v.String(), true
	case slog.KindAny:
		if err, ok := v.Any().(error); ok && key == "err" {
			return err.Error(), true
		}
	}
	return "", false
}

// appendAttr appends " key=value" for a, in slog's text form: groups give
// dotted keys under prefix, an empty attribute or group adds nothing, and a
// key or value that would not read back as one word is quoted.
func appendAttr(dst []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return dst
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			dst = appendAttr(dst, prefix, ga)
		}
		return dst
	}
	dst = appendText(append(dst, ' '), prefix+a.Key)
	dst = append(dst, '=')
	if a.Value.Kind() == slog.KindTime {
		return appendText(dst, a.Value.Time().Format(time.RFC3339Nano))
	}
	return appendText(dst, a.Value.String())
}

// appendText appends s, quoted with strconv.Quote when it is empty or holds
// a space, '=', '"', a control or other unprintable character, or invalid
// UTF-8.
func appendText(dst []byte, s string) []byte {
	if needsQuote(s) {
		return strconv.AppendQuote(dst, s)
	}
	return append(dst, s...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r == ' ' || r == '=' || r == '"' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
