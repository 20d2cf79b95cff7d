package status

import (
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// phpJSONString escapes s as PHP's json_encode does with
// JSON_INVALID_UTF8_IGNORE, without the surrounding quotes: '/' becomes
// "\/", every non-ASCII character a lowercase \uXXXX (surrogate pairs above
// U+FFFF), and bytes that are not UTF-8 are dropped. php-fpm escapes its
// request URI this way.
func phpJSONString(s string) string {
	var b strings.Builder
	for _, r := range invalidUTF8Dropped(s) {
		switch {
		case r == '/':
			b.WriteString(`\/`)
		case r >= utf8.RuneSelf:
			if r > 0xFFFF {
				r -= 0x10000
				writeU(&b, 0xD800+(r>>10))
				writeU(&b, 0xDC00+(r&0x3FF))
				continue
			}
			writeU(&b, r)
		default:
			writeJSONASCII(&b, byte(r))
		}
	}
	return b.String()
}

// jsonString escapes only what JSON requires ('"', '\\' and control
// characters), so that a string php-fpm prints raw, and validly, comes out
// the same; bytes that are not UTF-8 become U+FFFD.
func jsonString(s string) string {
	if !needsJSONEscape(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if r < utf8.RuneSelf {
			writeJSONASCII(&b, byte(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func needsJSONEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return !utf8.ValidString(s)
}

func writeJSONASCII(b *strings.Builder, c byte) {
	switch c {
	case '"':
		b.WriteString(`\"`)
	case '\\':
		b.WriteString(`\\`)
	case '\b':
		b.WriteString(`\b`)
	case '\f':
		b.WriteString(`\f`)
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	default:
		if c < 0x20 {
			writeU(b, rune(c))
			return
		}
		b.WriteByte(c)
	}
}

func writeU(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xF])
	}
}

func invalidUTF8Dropped(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "")
}

// markupText escapes s for the HTML and XML pages as php-fpm escapes the
// query string there (htmlentities with neither quote escaped): '&', '<'
// and '>' become entities, quotes stay. Bytes that are not UTF-8, and in
// XML the control characters XML 1.0 forbids, become U+FFFD.
func markupText(s string, xml bool) string {
	if !needsMarkupEscape(s, xml) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case xml && r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsMarkupEscape(s string, xml bool) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '&' || c == '<' || c == '>':
			return true
		case xml && c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return true
		}
	}
	return !utf8.ValidString(s)
}

// labelValue escapes s as an OpenMetrics label value: '\\', '"' and newline.
func labelValue(s string) string {
	return labelReplacer.Replace(strings.ToValidUTF8(s, "\uFFFD"))
}

var labelReplacer = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
