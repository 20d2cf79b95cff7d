package strftime

import (
	"math"
	"strconv"
)

// sub writes a conversion glibc spells as another format, as one piece.
func (w *writer) sub(layout string, sp spec, tm *brokenTime) {
	inner := writer{limit: math.MaxInt}
	inner.format(layout, tm)
	w.put(string(inner.buf), sp, 0)
}

// number writes v with at least digits digits, padded as glibc pads:
// zeros, or spaces for spacePad conversions, unless a flag says otherwise.
func (w *writer) number(v, digits int, spacePad bool, sp spec) {
	if spacePad && sp.pad != '0' && sp.pad != '-' {
		sp.pad = '_'
	}
	w.signed(strconv.Itoa(v), max(digits, sp.width), sp)
}

// signed writes the decimal number s padded to digits digits, then to the
// width as any piece is.
func (w *writer) signed(s string, digits int, sp spec) {
	if sp.pad != '-' {
		if padding := digits - len(s); padding > 0 {
			if sp.pad == '_' {
				if !w.fits(padding) {
					return
				}
				w.buf = appendRepeat(w.buf, ' ', padding)
				sp.width = max(sp.width-padding, 0)
			} else {
				if !w.fits(digits) {
					return
				}
				if s[0] == '-' {
					w.buf = append(w.buf, '-')
					s = s[1:]
				}
				w.buf = appendRepeat(w.buf, '0', padding)
				sp.width = 0
			}
		}
	}
	w.put(s, sp, 0)
}

// fits reports whether n more bytes fit; when not, nothing more is written.
func (w *writer) fits(n int) bool {
	if n > w.limit-len(w.buf) {
		w.full = true
	}
	return !w.full
}

// put writes s as one piece, padded on the left to sp.width, upper-cased
// for '^' or as caseTo says ('U' upper, 'L' lower, which wins).
func (w *writer) put(s string, sp spec, caseTo byte) {
	padding := max(sp.width-len(s), 0)
	if !w.fits(len(s) + padding) {
		return
	}
	if sp.pad == '0' {
		w.buf = appendRepeat(w.buf, '0', padding)
	} else {
		w.buf = appendRepeat(w.buf, ' ', padding)
	}
	if sp.upper && caseTo == 0 {
		caseTo = 'U'
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case caseTo == 'L' && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case caseTo == 'U' && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		w.buf = append(w.buf, c)
	}
}

// appendRepeat appends n copies of c.
func appendRepeat(b []byte, c byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, c)
	}
	return b
}
