package fcgitest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
)

// Timeout bounds each Do and ReadResponse of a Client made by Dial.
const Timeout = 10 * time.Second

// Client is one connection to a FastCGI server.
type Client struct {
	Conn net.Conn
	br   *bufio.Reader
}

// Dial connects to the FastCGI server at addr ("unix" network when addr
// starts with "/", else "tcp").
func Dial(addr string) (*Client, error) {
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	c, err := net.DialTimeout(network, addr, Timeout)
	if err != nil {
		return nil, err
	}
	return NewClient(c), nil
}

// NewClient is a Client on connection c.
func NewClient(c net.Conn) *Client { return &Client{Conn: c, br: bufio.NewReader(c)} }

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }

// Request is a FastCGI request.
type Request struct {
	ID       uint16            // 1 when 0
	Role     uint16            // fcgi.RoleResponder when 0
	KeepConn bool              // FCGI_KEEP_CONN
	Params   map[string]string // FCGI_PARAMS, sent in one record
	Body     io.Reader         // FCGI_STDIN, sent in records of at most BodyRecord bytes as it is read, each at once
	// BodyRecord is the most content of one FCGI_STDIN record; MaxContent when 0.
	BodyRecord int
}

// Response is what the server answered to a request.
type Response struct {
	Status         int         // of the CGI Status header, 200 without one
	Header         http.Header // the CGI header, Status included
	Body           []byte      // the FCGI_STDOUT stream after the header
	Stdout         []byte      // the whole FCGI_STDOUT stream
	Stderr         []byte      // the FCGI_STDERR stream
	AppStatus      uint32      // of FCGI_END_REQUEST
	ProtocolStatus uint8       // of FCGI_END_REQUEST
}

// Get is the request a web server sends for a GET of scriptName?query.
func Get(scriptName, query string) *Request {
	uri := scriptName
	if query != "" {
		uri += "?" + query
	}
	return &Request{Params: map[string]string{
		"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
		"SCRIPT_NAME": scriptName, "SCRIPT_FILENAME": scriptName,
		"QUERY_STRING": query, "REQUEST_URI": uri, "SERVER_PROTOCOL": "HTTP/1.1",
		"SERVER_NAME": "fpm", "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1",
	}}
}

// Do sends req and reads its response.
func (c *Client) Do(req *Request) (*Response, error) {
	c.Conn.SetDeadline(time.Now().Add(Timeout))
	if err := c.Send(req); err != nil {
		return nil, err
	}
	return c.ReadResponse(req.id())
}

func (r *Request) id() uint16 {
	if r.ID == 0 {
		return 1
	}
	return r.ID
}

// Send writes req: FCGI_BEGIN_REQUEST, FCGI_PARAMS and FCGI_STDIN.
func (c *Client) Send(req *Request) error {
	id := req.id()
	role := req.Role
	if role == 0 {
		role = fcgi.RoleResponder
	}
	flags := byte(0)
	if req.KeepConn {
		flags = fcgi.FlagKeepConn
	}
	w := bufio.NewWriterSize(c.Conn, 64<<10)
	WriteRecord(w, fcgi.TypeBeginRequest, id, []byte{byte(role >> 8), byte(role), flags, 0, 0, 0, 0, 0})
	var p []byte
	for k, v := range req.Params {
		p = fcgi.AppendPair(p, k, v)
	}
	for len(p) > 0 {
		n := min(len(p), fcgi.MaxContent)
		WriteRecord(w, fcgi.TypeParams, id, p[:n])
		p = p[n:]
	}
	WriteRecord(w, fcgi.TypeParams, id, nil)
	if req.Body != nil {
		size := req.BodyRecord
		if size <= 0 || size > fcgi.MaxContent {
			size = fcgi.MaxContent
		}
		buf := make([]byte, size)
		for {
			n, err := req.Body.Read(buf)
			if n > 0 { // sent at once: the server may answer before the body ends
				if err := WriteRecord(w, fcgi.TypeStdin, id, buf[:n]); err != nil {
					return err
				}
				if err := w.Flush(); err != nil {
					return err
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("read the request body: %w", err)
			}
		}
	}
	WriteRecord(w, fcgi.TypeStdin, id, nil)
	return w.Flush()
}

// ReadResponse reads the records of request id up to its FCGI_END_REQUEST.
// A record of another request is an error.
func (c *Client) ReadResponse(id uint16) (*Response, error) {
	resp := &Response{}
	for {
		rec, err := c.ReadRecord()
		if err != nil {
			return nil, fmt.Errorf("read the response to request %d (%d bytes of stdout so far): %w", id, len(resp.Stdout), err)
		}
		if rec.ID != id {
			return nil, fmt.Errorf("a record of type %d for request %d in the response to request %d", rec.Type, rec.ID, id)
		}
		switch rec.Type {
		case fcgi.TypeStdout:
			resp.Stdout = append(resp.Stdout, rec.Content...)
		case fcgi.TypeStderr:
			resp.Stderr = append(resp.Stderr, rec.Content...)
		case fcgi.TypeEndRequest:
			if len(rec.Content) != 8 {
				return nil, fmt.Errorf("FCGI_END_REQUEST of %d bytes", len(rec.Content))
			}
			resp.AppStatus = binary.BigEndian.Uint32(rec.Content)
			resp.ProtocolStatus = rec.Content[4]
			return resp, resp.parse()
		default:
			return nil, fmt.Errorf("a record of type %d in the response", rec.Type)
		}
	}
}

// parse splits the CGI response in Stdout into Status, Header and Body.
func (r *Response) parse() error {
	if r.ProtocolStatus != fcgi.StatusRequestComplete && len(r.Stdout) == 0 {
		return nil
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(r.Stdout)))
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return fmt.Errorf("read the CGI header of %.200q: %w", r.Stdout, err)
	}
	r.Header = http.Header(h)
	_, r.Body, _ = bytes.Cut(r.Stdout, []byte("\r\n\r\n"))
	r.Status = http.StatusOK
	if st := h.Get("Status"); st != "" {
		code, _, _ := strings.Cut(st, " ")
		if r.Status, err = strconv.Atoi(code); err != nil {
			return fmt.Errorf("bad CGI Status %q", st)
		}
	}
	return nil
}

// Record is one FastCGI record.
type Record struct {
	Type    uint8
	ID      uint16
	Content []byte
}

// ReadRecord reads the next record the server sent.
func (c *Client) ReadRecord() (Record, error) {
	var hb [fcgi.HeaderLen]byte
	if _, err := io.ReadFull(c.br, hb[:]); err != nil {
		return Record{}, err
	}
	h := fcgi.ParseHeader(hb[:])
	if h.Version != fcgi.Version1 {
		return Record{}, fmt.Errorf("a record of version %d", h.Version)
	}
	b := make([]byte, int(h.Len)+int(h.Pad))
	if _, err := io.ReadFull(c.br, b); err != nil {
		return Record{}, fmt.Errorf("a record of %d+%d bytes cut short: %w", h.Len, h.Pad, err)
	}
	return Record{Type: h.Type, ID: h.ID, Content: b[:h.Len]}, nil
}

// WriteRecord writes one record of at most fcgi.MaxContent bytes to w,
// padded to a multiple of 8.
func WriteRecord(w io.Writer, typ uint8, id uint16, content []byte) error {
	pad := fcgi.PaddingFor(len(content))
	b := fcgi.AppendHeader(make([]byte, 0, fcgi.HeaderLen+len(content)+pad), typ, id, len(content), pad)
	b = append(append(b, content...), make([]byte, pad)...)
	_, err := w.Write(b)
	return err
}

// WriteRecord writes one record to the connection.
func (c *Client) WriteRecord(typ uint8, id uint16, content []byte) error {
	return WriteRecord(c.Conn, typ, id, content)
}

// Closed waits up to Timeout for the server to close the connection,
// dropping what it sends first. It returns nil when the server closed it,
// a reset included: a server that closes with the client's records unread
// makes the kernel answer with a reset instead of an end of file.
func (c *Client) Closed() error {
	c.Conn.SetReadDeadline(time.Now().Add(Timeout))
	_, err := io.Copy(io.Discard, c.br)
	if errors.Is(err, syscall.ECONNRESET) {
		return nil
	}
	return err
}
