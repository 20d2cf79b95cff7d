package fcgi

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// fuzzMaxParams is small, so that inputs reach the limit.
const fuzzMaxParams = 200

// FuzzReader serves whatever a web server may send, as a worker does, and
// checks that nothing panics, that every error is one of the package's
// (ErrProtocol, ErrParamsTooLarge, ErrAborted, or io.EOF between
// requests), that the buffers stay within their bounds, and that what is
// written back is well-formed records.
func FuzzReader(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		c := NewConn(fuzzMaxParams)
		outCap := cap(c.out)
		c.Reset(bytes.NewReader(in), &out)
		requests := 0
		for ; requests <= len(in)/HeaderLen; requests++ {
			if !fuzzRequest(t, c, len(in)) {
				break
			}
			if cap(c.params) > fuzzMaxParams || cap(c.mgmt) > 2*MaxContent || cap(c.out) != outCap {
				t.Fatalf("buffers grew: params %d, management %d, output %d (was %d)", cap(c.params), cap(c.mgmt), cap(c.out), outCap)
			}
		}
		if requests > len(in)/HeaderLen {
			t.Fatalf("%d requests from %d bytes", requests, len(in))
		}
		checkRecords(t, out.Bytes())
	})
}

// fuzzRequest serves one request of c and reports whether the connection
// can carry another.
func fuzzRequest(t *testing.T, c *Conn, inLen int) bool {
	req, err := c.Next()
	if err != nil {
		if err != io.EOF {
			mustBeProtocolError(t, "Next", err)
		}
		return false
	}
	if req.ID == 0 {
		t.Fatalf("request id 0")
	}
	params, err := c.ReadParams()
	if errors.Is(err, ErrParamsTooLarge) || errors.Is(err, ErrAborted) {
		return false
	}
	if err != nil {
		mustBeProtocolError(t, "ReadParams", err)
		return false
	}
	size := 0
	for k, v := range params {
		size += len(k) + len(v)
	}
	if size > fuzzMaxParams {
		t.Fatalf("%d bytes of parameters past a limit of %d", size, fuzzMaxParams)
	}
	n, err := io.CopyBuffer(io.Discard, c.Body(), make([]byte, 7))
	if n > int64(inLen) {
		t.Fatalf("a body of %d bytes from %d bytes of input", n, inLen)
	}
	if err != nil && !errors.Is(err, ErrAborted) {
		mustBeProtocolError(t, "Body.Read", err)
		return false
	}
	if err := c.Body().Drain(); err != nil {
		t.Fatalf("Drain after the body was read: %v", err)
	}
	c.Stdout().Write([]byte("Status: 200 OK\r\n\r\nbody"))
	c.Stderr().Write([]byte("a warning"))
	if err := c.EndRequest(0); err != nil {
		t.Fatalf("EndRequest to a buffer: %v", err)
	}
	return req.KeepConn
}

func mustBeProtocolError(t *testing.T, call string, err error) {
	t.Helper()
	var pe *ProtocolError
	if !errors.Is(err, ErrProtocol) || !errors.As(err, &pe) || pe.Reason == "" {
		t.Fatalf("%s: %v (%T), want a *ProtocolError", call, err, err)
	}
}

// checkRecords checks that b is whole records an application may send.
func checkRecords(t *testing.T, b []byte) {
	t.Helper()
	for len(b) > 0 {
		if len(b) < HeaderLen {
			t.Fatalf("%d bytes after the last record", len(b))
		}
		h := ParseHeader(b)
		n := HeaderLen + int(h.Len) + int(h.Pad)
		if h.Version != Version1 || len(b) < n || (int(h.Len)+int(h.Pad))%8 != 0 || h.Pad > 7 {
			t.Fatalf("bad record written: %+v", h)
		}
		switch h.Type {
		case TypeStdout, TypeStderr:
		case TypeEndRequest:
			if h.Len != 8 || h.ID == 0 {
				t.Fatalf("bad FCGI_END_REQUEST %+v", h)
			}
		case TypeGetValuesResult, TypeUnknownType:
			if h.ID != 0 {
				t.Fatalf("a management answer for request %d", h.ID)
			}
		default:
			t.Fatalf("a record of type %d written", h.Type)
		}
		b = b[n:]
	}
}
