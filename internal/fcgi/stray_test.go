package fcgi_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
)

// TestStrayRecordLimits: records that begin no request, before a request
// or while one is served (of other requests, or management), are bounded
// in count and in bytes; up to the limits a request still follows.
func TestStrayRecordLimits(t *testing.T) {
	big := make([]byte, fcgi.MaxContent)
	getValues := func(s *stream, n int) *stream {
		for range n {
			s.rec(fcgi.TypeGetValues, 0, nil)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		in   *stream
		// where the limit must strike: "" (nowhere), "next", "params", "body"
		fails string
	}{
		{"records_up_to_the_limit", getValues(new(stream), fcgi.MaxStrayRecords).begin(1, fcgi.RoleResponder, false).params(1).rec(fcgi.TypeStdin, 1, nil), ""},
		{"records_before_a_request", getValues(new(stream), fcgi.MaxStrayRecords+1).begin(1, fcgi.RoleResponder, false), "next"},
		{"bytes_before_a_request", func() *stream {
			s := new(stream)
			for range fcgi.MaxStrayBytes/fcgi.MaxContent + 1 {
				s.rec(fcgi.TypeStdin, 9, big) // of a request already ended
			}
			return s.begin(1, fcgi.RoleResponder, false)
		}(), "next"},
		{"roles_refused", func() *stream {
			s := new(stream)
			for i := range fcgi.MaxStrayRecords + 1 {
				s.begin(uint16(i+2), fcgi.RoleAuthorizer, false)
			}
			return s.begin(1, fcgi.RoleResponder, false)
		}(), "next"},
		{"other_requests_in_params", func() *stream {
			s := new(stream).begin(1, fcgi.RoleResponder, false)
			for range fcgi.MaxStrayRecords + 1 {
				s.rec(fcgi.TypeStdin, 2, []byte("x"))
			}
			return s.params(1)
		}(), "params"},
		{"counted_afresh_in_a_request", getValues(getValues(new(stream), fcgi.MaxStrayRecords).begin(1, fcgi.RoleResponder, false).params(1), fcgi.MaxStrayRecords).rec(fcgi.TypeStdin, 1, nil), ""},
		{"other_requests_in_body", func() *stream {
			s := getValues(new(stream), fcgi.MaxStrayRecords).begin(1, fcgi.RoleResponder, false).params(1)
			for i := range fcgi.MaxStrayRecords + 1 {
				s.begin(uint16(i+2), fcgi.RoleResponder, false)
			}
			return s.rec(fcgi.TypeStdin, 1, nil)
		}(), "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fcgi.NewConn(1 << 20)
			c.Reset(&tc.in.Buffer, io.Discard)
			_, err := c.Next()
			if tc.fails == "next" {
				mustExceed(t, "Next", err)
				return
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			_, err = c.ReadParams()
			if tc.fails == "params" {
				mustExceed(t, "ReadParams", err)
				return
			}
			if err != nil {
				t.Fatalf("ReadParams: %v", err)
			}
			_, err = io.ReadAll(c.Body())
			if tc.fails == "body" {
				mustExceed(t, "the body", err)
				return
			}
			if err != nil {
				t.Fatalf("the body: %v", err)
			}
		})
	}
}

func mustExceed(t *testing.T, what string, err error) {
	t.Helper()
	var pe *fcgi.ProtocolError
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "past the limit of 256 records or 1048576 bytes") {
		t.Fatalf("%s: %v, want a *ProtocolError naming the limit", what, err)
	}
}

// TestWaitLimit: records that begin no request, sent slowly, hold Next no
// longer than its wait limit, whether they keep coming or stop: the read
// that waits after them is bounded by the limit (the pipe's read
// deadline); on a connection without deadlines, the reads after it fail.
func TestWaitLimit(t *testing.T) {
	const limit = 300 * time.Millisecond
	for _, tc := range []struct {
		sent      int
		deadlines bool
	}{{2, true}, {1000, true}, {1000, false}} {
		srv, cl := net.Pipe()
		go io.Copy(io.Discard, cl) // the answers
		go func() {
			for range tc.sent {
				if _, err := cl.Write(new(stream).rec(fcgi.TypeGetValues, 0, nil).Bytes()); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		c := fcgi.NewConn(1 << 20)
		c.SetWaitLimit(limit)
		if tc.deadlines {
			c.Reset(srv, srv)
		} else {
			c.Reset(struct{ io.Reader }{srv}, srv)
		}
		start := time.Now()
		_, err := c.Next()
		took := time.Since(start)
		var pe *fcgi.ProtocolError
		if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "no FCGI_BEGIN_REQUEST within 300ms") || took < limit || took > limit+time.Second {
			t.Errorf("%+v: %d records 50ms apart: Next returned %v after %v, want a *ProtocolError after %v", tc, tc.sent, err, took, limit)
		}
		srv.Close()
		cl.Close()
	}
}
