package fcgi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ErrParamsTooLarge is matched by the error of ReadParams when a request's
// FCGI_PARAMS stream goes past the limit given to NewConn.
var ErrParamsTooLarge = errors.New("fastcgi parameters too large")

// ErrRequestEnded is returned by the Read of a body whose request has
// ended before it was read to its end.
var ErrRequestEnded = errors.New("fastcgi request already ended")

// ErrAborted is matched by the error of ReadParams and of the body's Read
// when the web server sends FCGI_ABORT_REQUEST for the request: its client
// is gone.
var ErrAborted = errors.New("fastcgi request aborted by the web server")

// A Conn is the application's side of a FastCGI connection: it reads one
// request at a time and writes its response. Reset points it at a new
// connection; its buffers stay. A Conn is not safe for concurrent use,
// except that the body may be read while the response is written as long
// as one goroutine does both.
type Conn struct {
	maxParams int
	src       io.Reader // the connection
	br        *bufio.Reader
	w         io.Writer
	out       []byte // records not yet written to w
	open      int    // offset in out of the header of the stream record being filled, -1 if none

	id     uint16 // the request being served, 0 between requests
	params []byte // its FCGI_PARAMS stream, at most maxParams bytes
	mgmt   []byte // a management record's content and answer
	body   *Body  // of the current request; nil before the first
	stdout stream
	stderr stream

	waitLimit   time.Duration // the longest wait for a request in Next; 0: none
	waitEnd     time.Time     // when the current wait ends; zero when none
	deadlineSet bool          // Next set a read deadline on src
	stray       int           // records not of a request read since the wait or the request began
	strayBytes  int           // their bytes, headers included
}

// Request is a request begun by FCGI_BEGIN_REQUEST for the responder role.
type Request struct {
	ID       uint16
	KeepConn bool // FCGI_KEEP_CONN: the web server keeps the connection for another request
}

// keptParams is the largest parameters buffer kept from one request to the next.
const keptParams = 64 << 10

// readBufferSize is how much of the connection one read asks for.
const readBufferSize = 16 << 10

// NewConn returns a Conn whose requests may carry at most maxParams bytes
// of FCGI_PARAMS content (at least one record's worth is allowed).
func NewConn(maxParams int) *Conn {
	c := &Conn{maxParams: max(maxParams, 1), open: -1}
	c.br = bufio.NewReaderSize(connReader{c}, readBufferSize)
	c.out = make([]byte, 0, HeaderLen+MaxContent+MaxPadding+2*HeaderLen)
	c.stdout = stream{c: c, typ: TypeStdout}
	c.stderr = stream{c: c, typ: TypeStderr}
	return c
}

// Reset makes c read from r and write to w, dropping what was buffered of
// the previous connection.
func (c *Conn) Reset(r io.Reader, w io.Writer) {
	c.src, c.deadlineSet = r, false
	c.br.Reset(connReader{c})
	c.w = w
	c.out, c.open = c.out[:0], -1
	c.id = 0
	c.body.end()
}

// Next reads records up to the next FCGI_BEGIN_REQUEST of a responder and
// returns its request. On the way it answers FCGI_GET_VALUES (one
// connection, one request, no multiplexing), answers FCGI_UNKNOWN_TYPE to
// other management records, ends a request of another role with
// FCGI_UNKNOWN_ROLE, and drops records left of a request already ended. It
// returns io.EOF when the peer closes the connection between records.
//
// The wait is bounded: more than MaxStrayRecords records or MaxStrayBytes
// bytes that begin no request end it with a *ProtocolError, and so does
// the wait limit (SetWaitLimit) passing after such a record. While Next
// waits after such a record, it bounds the reads of a connection that has
// a SetReadDeadline method (as a net.Conn) to the wait limit, and clears
// that deadline when the request begins: a caller that bounds its reads
// otherwise sets its bound again after Next.
func (c *Conn) Next() (Request, error) {
	c.id = 0
	c.body.end()
	c.stray, c.strayBytes, c.waitEnd = 0, 0, time.Time{}
	if c.waitLimit > 0 {
		c.waitEnd = time.Now().Add(c.waitLimit)
	}
	for {
		h, err := c.readHeader()
		if err != nil {
			return Request{}, c.waitError(err)
		}
		if h.Type == TypeBeginRequest {
			b, err := c.readContent(h, c.mgmt[:0], MaxContent)
			if err != nil {
				return Request{}, c.waitError(err)
			}
			c.mgmt = b
			if role := uint16(b[0])<<8 | uint16(b[1]); role == RoleResponder {
				return c.begin(h.ID, b[2]&FlagKeepConn != 0)
			}
		}
		if err := c.strayRecord(h); err != nil {
			return Request{}, err
		}
		switch h.Type {
		case TypeBeginRequest: // of another role
			err = c.endOther(h.ID, StatusUnknownRole)
		case TypeAbortRequest, TypeParams, TypeStdin, TypeData:
			err = c.skip(h) // the rest of a request already ended
		default:
			err = c.management(h)
		}
		if err != nil {
			return Request{}, c.waitError(err)
		}
	}
}

// begin makes request id the current one, ending the wait for it.
func (c *Conn) begin(id uint16, keepConn bool) (Request, error) {
	c.id, c.params, c.body = id, c.params[:0], &Body{c: c}
	if cap(c.params) > keptParams {
		c.params = nil // one large request does not keep its buffer
	}
	c.stray, c.strayBytes, c.waitEnd = 0, 0, time.Time{}
	if c.deadlineSet {
		c.deadlineSet = false
		if err := c.src.(readDeadliner).SetReadDeadline(time.Time{}); err != nil {
			return Request{}, fmt.Errorf("fastcgi: clear the read deadline of the wait for a request: %w", err)
		}
	}
	return Request{ID: id, KeepConn: keepConn}, nil
}

// SetWaitLimit bounds the wait of Next for a request, from its call, to d
// (0, the default, sets no limit) once the web server has sent a record
// that begins none: a management record, a record of a request already
// ended, a request of another role. A connection on which nothing arrives
// is left to the caller's read timeout.
func (c *Conn) SetWaitLimit(d time.Duration) { c.waitLimit = max(d, 0) }

// The most records, and bytes of them, headers included, that Next reads
// while it waits for a request, and that are read while a request is
// served for other requests or management: a web server sends a few at
// most (nginx none); a peer that sends more is holding the worker.
const (
	MaxStrayRecords = 256
	MaxStrayBytes   = 1 << 20
)

// readDeadliner is a connection whose reads can be bounded by a deadline.
type readDeadliner interface{ SetReadDeadline(time.Time) error }

// connReader reads the connection of c for its buffer, within the wait
// limit once Next has read a record that begins no request.
type connReader struct{ c *Conn }

func (r connReader) Read(p []byte) (int, error) {
	c := r.c
	if c.stray > 0 && !c.waitEnd.IsZero() {
		if !time.Now().Before(c.waitEnd) {
			return 0, os.ErrDeadlineExceeded
		}
		if d, ok := c.src.(readDeadliner); ok { // before each read: it may bound each read from when it is set
			if err := d.SetReadDeadline(c.waitEnd); err != nil {
				return 0, err
			}
			c.deadlineSet = true
		}
	}
	return c.src.Read(p)
}

// strayRecord counts a record of h that is not of the current request, or
// read while none is begun, and fails when there have been too many.
func (c *Conn) strayRecord(h Header) error {
	c.stray++
	c.strayBytes += HeaderLen + int(h.Len) + int(h.Pad)
	if c.stray <= MaxStrayRecords && c.strayBytes <= MaxStrayBytes {
		return nil
	}
	while := "while no request was begun"
	if c.id != 0 {
		while = fmt.Sprintf("during request %d", c.id)
	}
	return &ProtocolError{Type: h.Type, ID: h.ID, Reason: fmt.Sprintf(
		"%d records (%d bytes) of management or of other requests %s, past the limit of %d records or %d bytes",
		c.stray, c.strayBytes, while, MaxStrayRecords, MaxStrayBytes)}
}

// waitError is err, a failure of Next, or a *ProtocolError when the wait
// limit passed after records that began no request.
func (c *Conn) waitError(err error) error {
	if c.stray > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return &ProtocolError{Reason: fmt.Sprintf("no FCGI_BEGIN_REQUEST within %s, after %d records (%d bytes) of management or of requests already ended",
			c.waitLimit, c.stray, c.strayBytes)}
	}
	return err
}

// ReadParams reads the FCGI_PARAMS stream of the current request and
// returns its pairs. Past the limit it stops reading and returns an error
// matching ErrParamsTooLarge: the rest of the stream is left unread, so the
// connection can carry nothing but the response to this request.
func (c *Conn) ReadParams() (map[string]string, error) {
	for {
		h, err := c.readHeader()
		if err == io.EOF {
			return nil, readError("record header", io.ErrUnexpectedEOF)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case h.ID == c.id && h.Type == TypeParams:
			if h.Len == 0 {
				if err := c.skip(h); err != nil {
					return nil, err
				}
				params := make(map[string]string, 32)
				if err := ParseParams(c.params, params); err != nil {
					return nil, err
				}
				return params, nil
			}
			if len(c.params)+int(h.Len) > c.maxParams {
				return nil, fmt.Errorf("%w: request %d sent more than %d bytes of FCGI_PARAMS", ErrParamsTooLarge, c.id, c.maxParams)
			}
			if c.params, err = c.readContent(h, c.params, c.maxParams); err != nil {
				return nil, err
			}
		case h.ID == c.id && h.Type == TypeAbortRequest:
			if err := c.skip(h); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("request %d, while sending its parameters: %w", c.id, ErrAborted)
		case h.ID == c.id:
			return nil, &ProtocolError{Type: h.Type, ID: h.ID, Reason: "before the end of FCGI_PARAMS"}
		default:
			if err := c.other(h); err != nil {
				return nil, err
			}
		}
	}
}

// Body returns the body of the current request. Once the request is
// ended (EndRequest, Next, Reset), reading it fails with ErrRequestEnded,
// so a reader left behind cannot take the bytes of the next request.
func (c *Conn) Body() *Body { return c.body }

// other handles a record that is not the current request's.
func (c *Conn) other(h Header) error {
	if err := c.strayRecord(h); err != nil {
		return err
	}
	switch h.Type {
	case TypeBeginRequest:
		if err := c.skip(h); err != nil {
			return err
		}
		return c.endOther(h.ID, StatusCantMpxConn)
	case TypeAbortRequest, TypeParams, TypeStdin, TypeData:
		return c.skip(h) // of a request refused or ended
	default:
		return c.management(h)
	}
}

// management answers a management record: FCGI_GET_VALUES with the values
// asked for that this side knows, any other type with FCGI_UNKNOWN_TYPE.
func (c *Conn) management(h Header) error {
	if h.Type != TypeGetValues {
		if err := c.skip(h); err != nil {
			return err
		}
		return c.answer(TypeUnknownType, []byte{h.Type, 0, 0, 0, 0, 0, 0, 0})
	}
	asked, err := c.readContent(h, c.mgmt[:0], MaxContent)
	if err != nil {
		return err
	}
	c.mgmt = asked
	var known [len(managementValues)]bool
	for b := asked; len(b) > 0; {
		name, _, rest, err := nextPair(b)
		if err != nil {
			return err
		}
		for i, v := range managementValues {
			known[i] = known[i] || string(name) == v[0]
		}
		b = rest
	}
	answer := c.mgmt[len(asked):]
	for i, v := range managementValues {
		if known[i] {
			answer = AppendPair(answer, v[0], v[1])
		}
	}
	return c.answer(TypeGetValuesResult, answer)
}

// managementValues are the FCGI_GET_VALUES variables this side answers:
// one connection, one request, no multiplexing.
var managementValues = [...][2]string{{"FCGI_MAX_CONNS", "1"}, {"FCGI_MAX_REQS", "1"}, {"FCGI_MPXS_CONNS", "0"}}

// endOther ends request id, not the current one, with a protocol status.
func (c *Conn) endOther(id uint16, protocolStatus uint8) error {
	return c.record(TypeEndRequest, id, []byte{0, 0, 0, 0, protocolStatus, 0, 0, 0}, true)
}

// answer sends a management record.
func (c *Conn) answer(typ uint8, content []byte) error {
	return c.record(typ, 0, content, true)
}

// readHeader reads and checks the next record header. It returns io.EOF
// when the connection ends before it.
func (c *Conn) readHeader() (Header, error) {
	b, err := c.br.Peek(HeaderLen)
	if err != nil {
		if len(b) == 0 && errors.Is(err, io.EOF) {
			return Header{}, io.EOF
		}
		return Header{}, readError("record header", err)
	}
	h := ParseHeader(b)
	c.br.Discard(HeaderLen)
	if err := checkFromWebServer(h); err != nil {
		return Header{}, err
	}
	return h, nil
}

// readContent appends the content of the record of h to b, growing b to
// at most limit bytes, and skips its padding.
func (c *Conn) readContent(h Header, b []byte, limit int) ([]byte, error) {
	n := len(b)
	b = grow(b, int(h.Len), limit)
	if _, err := io.ReadFull(c.br, b[n:]); err != nil {
		return b[:n], cutShort(h, "content", err)
	}
	if _, err := c.br.Discard(int(h.Pad)); err != nil {
		return b[:n], cutShort(h, "padding", err)
	}
	return b, nil
}

// skip reads past the content and padding of the record of h.
func (c *Conn) skip(h Header) error {
	if _, err := c.br.Discard(int(h.Len) + int(h.Pad)); err != nil {
		return cutShort(h, "content", err)
	}
	return nil
}

// grow extends b by n bytes, reallocating only when its capacity is short,
// to a capacity of at most limit (len(b)+n must not be above it).
func grow(b []byte, n, limit int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), min(len(b)+max(n, cap(b)), limit))
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// readError is a failed read of the connection: a *ProtocolError when it
// ended in the middle of a record, else the read error, wrapped.
func readError(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &ProtocolError{Reason: what + " cut short", Err: io.ErrUnexpectedEOF}
	}
	return fmt.Errorf("fastcgi: read %s: %w", what, err)
}

// cutShort is a failed read of part of the record of h: a *ProtocolError
// when the connection ended, else the read error, wrapped.
func cutShort(h Header, part string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &ProtocolError{Type: h.Type, ID: h.ID, Reason: fmt.Sprintf("%s of a record of %d+%d bytes cut short", part, h.Len, h.Pad), Err: io.ErrUnexpectedEOF}
	}
	return fmt.Errorf("fastcgi: read the %s of a record of type %s, request %d: %w", part, typeName(h.Type), h.ID, err)
}
