package fcgi

import (
	"encoding/binary"
	"io"
)

// stream is the FCGI_STDOUT or FCGI_STDERR stream of the current request.
type stream struct {
	c   *Conn
	typ uint8
}

// Write puts p in the stream. Records go to the connection as the buffer
// fills, and all of them at Flush or EndRequest.
func (s *stream) Write(p []byte) (int, error) { return s.c.writeStream(s.typ, p) }

// Stdout returns the FCGI_STDOUT stream of the current request.
func (c *Conn) Stdout() io.Writer { return &c.stdout }

// Stderr returns the FCGI_STDERR stream of the current request.
func (c *Conn) Stderr() io.Writer { return &c.stderr }

// writeStream adds p to the stream record of type typ being filled,
// starting one when none is or it is of the other stream or full, and
// writing the buffer to the connection when it is full.
func (c *Conn) writeStream(typ uint8, p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if c.open >= 0 && (c.out[c.open+1] != typ || len(c.out)-c.open-HeaderLen == MaxContent) {
			c.closeRecord()
		}
		if c.open < 0 {
			if cap(c.out)-len(c.out) < HeaderLen+8 {
				if err := c.writeOut(); err != nil {
					return n - len(p), err
				}
			}
			c.open = len(c.out)
			c.out = AppendHeader(c.out, typ, c.id, 0, 0)
		}
		room := min(MaxContent-(len(c.out)-c.open-HeaderLen), cap(c.out)-len(c.out)-7) // 7: the most padding
		if room <= 0 {
			c.closeRecord()
			continue
		}
		k := min(room, len(p))
		c.out = append(c.out, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// zeros is padding.
var zeros [8]byte

// closeRecord ends the stream record being filled: its length and padding.
func (c *Conn) closeRecord() {
	if c.open < 0 {
		return
	}
	n := len(c.out) - c.open - HeaderLen
	pad := PaddingFor(n)
	binary.BigEndian.PutUint16(c.out[c.open+4:], uint16(n))
	c.out[c.open+6] = byte(pad)
	c.out = append(c.out, zeros[:pad]...)
	c.open = -1
}

// record adds a whole record to the buffer, writing it to the connection
// now if flush is set.
func (c *Conn) record(typ uint8, id uint16, content []byte, flush bool) error {
	c.closeRecord()
	pad := PaddingFor(len(content))
	if cap(c.out)-len(c.out) < HeaderLen+len(content)+pad {
		if err := c.writeOut(); err != nil {
			return err
		}
	}
	c.out = AppendHeader(c.out, typ, id, len(content), pad)
	c.out = append(c.out, content...)
	c.out = append(c.out, zeros[:pad]...)
	if flush {
		return c.writeOut()
	}
	return nil
}

// Flush writes what the streams of the request hold to the connection.
func (c *Conn) Flush() error {
	c.closeRecord()
	return c.writeOut()
}

// EndRequest ends the current request: the end of its FCGI_STDOUT stream,
// then FCGI_END_REQUEST with appStatus and FCGI_REQUEST_COMPLETE, written
// to the connection at once.
func (c *Conn) EndRequest(appStatus uint32) error {
	if err := c.record(TypeStdout, c.id, nil, false); err != nil {
		return err
	}
	var b [8]byte
	binary.BigEndian.PutUint32(b[:], appStatus)
	b[4] = StatusRequestComplete
	c.body.end()
	return c.record(TypeEndRequest, c.id, b[:], true)
}

// writeOut writes the buffer to the connection; a stream record being
// filled must be closed first.
func (c *Conn) writeOut() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.w.Write(c.out)
	c.out = c.out[:0]
	return err
}
