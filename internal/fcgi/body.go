package fcgi

import (
	"errors"
	"fmt"
	"io"
)

// Body is the body of the current request: its FCGI_STDIN stream, read
// from the connection as the reader asks for it and never held whole.
// Read returns io.EOF at the end of the stream, an error matching
// ErrAborted if the web server aborts the request, and a *ProtocolError
// or the connection's read error if the connection fails.
type Body struct {
	c    *Conn
	left int // content bytes of the current FCGI_STDIN record not yet read
	pad  int // its padding
	done bool
	err  error
}

// end makes the body unreadable: its request has ended. b may be nil.
func (b *Body) end() {
	if b != nil {
		b.left, b.done, b.err = 0, false, ErrRequestEnded
	}
}

// Read reads up to len(p) bytes of the body.
func (b *Body) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for b.left == 0 {
		if b.done {
			return 0, io.EOF
		}
		if b.err != nil {
			return 0, b.err
		}
		b.err = b.next()
	}
	n, err := b.c.br.Read(p[:min(len(p), b.left)])
	b.left -= n
	if n == 0 && err != nil {
		b.err = cutShort(Header{Type: TypeStdin, ID: b.c.id, Len: uint16(b.left), Pad: uint8(b.pad)}, "content", err)
		b.left = 0
		return 0, b.err
	}
	if b.left == 0 && b.pad > 0 {
		if _, err := b.c.br.Discard(b.pad); err != nil {
			b.err = cutShort(Header{Type: TypeStdin, ID: b.c.id, Pad: uint8(b.pad)}, "padding", err)
		}
	}
	return n, nil
}

// Close does nothing: what the reader leaves of the body is read by Drain.
func (b *Body) Close() error { return nil }

// Drain reads and drops the rest of the body, so the connection can carry
// the next request. An aborted request is not an error of the connection:
// Drain returns nil for it.
func (b *Body) Drain() error {
	for !b.done && b.err == nil {
		if b.left > 0 {
			if err := b.c.skip(Header{Type: TypeStdin, ID: b.c.id, Len: uint16(b.left), Pad: uint8(b.pad)}); err != nil {
				b.err = err
			}
			b.left = 0
			continue
		}
		b.err = b.next()
	}
	if b.done || errors.Is(b.err, ErrAborted) {
		return nil
	}
	return b.err
}

// next reads records up to the next FCGI_STDIN record of the request,
// handling those of other requests and management records on the way.
func (b *Body) next() error {
	c := b.c
	h, err := c.readHeader()
	if err == io.EOF {
		return readError("record header", io.ErrUnexpectedEOF)
	}
	if err != nil {
		return err
	}
	switch {
	case h.ID == c.id && h.Type == TypeStdin:
		if h.Len == 0 {
			b.done = true
			return c.skip(h)
		}
		b.left, b.pad = int(h.Len), int(h.Pad)
		return nil
	case h.ID == c.id && h.Type == TypeAbortRequest:
		if err := c.skip(h); err != nil {
			return err
		}
		return fmt.Errorf("request %d, while sending its body: %w", c.id, ErrAborted)
	case h.ID == c.id && h.Type == TypeData:
		return c.skip(h) // a filter's data: not asked for
	case h.ID == c.id:
		return &ProtocolError{Type: h.Type, ID: h.ID, Reason: "in the FCGI_STDIN stream"}
	default:
		return c.other(h)
	}
}
