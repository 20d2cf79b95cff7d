package fcgi_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/internal/fcgi"
)

func TestRequestRoundTrip(t *testing.T) {
	body := strings.Repeat("b", 150000)
	in := new(stream).begin(3, fcgi.RoleResponder, true).params(3, "SCRIPT_NAME", "/x", "LONG", strings.Repeat("v", 300))
	in.rec(fcgi.TypeStdin, 3, []byte(body[:70000-65535])).rec(fcgi.TypeStdin, 3, []byte(body[70000-65535:70000]))
	in.rec(fcgi.TypeStdin, 3, []byte(body[70000:130000])).rec(fcgi.TypeStdin, 3, []byte(body[130000:])).rec(fcgi.TypeStdin, 3, nil)
	var out bytes.Buffer
	c := fcgi.NewConn(1 << 20)
	c.Reset(&in.Buffer, &out)
	req, err := c.Next()
	if err != nil || req.ID != 3 || !req.KeepConn {
		t.Fatalf("Next: %+v %v", req, err)
	}
	params, err := c.ReadParams()
	if err != nil || params["SCRIPT_NAME"] != "/x" || len(params["LONG"]) != 300 {
		t.Fatalf("ReadParams: %v %v", params, err)
	}
	got, err := io.ReadAll(c.Body())
	if err != nil || string(got) != body {
		t.Fatalf("body: %d bytes, %v", len(got), err)
	}
	resp := strings.Repeat("o", 3*fcgi.MaxContent+10)
	io.WriteString(c.Stdout(), resp[:5])
	io.WriteString(c.Stderr(), "warn")
	io.WriteString(c.Stdout(), resp[5:])
	if err := c.EndRequest(7); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr []byte
	recs := records(t, out.Bytes())
	for i, r := range recs {
		if r.ID != 3 {
			t.Errorf("record %d of request %d", i, r.ID)
		}
		switch r.Type {
		case fcgi.TypeStdout:
			if len(r.Content) == 0 && i != len(recs)-2 {
				t.Errorf("empty FCGI_STDOUT record %d before the end", i)
			}
			stdout = append(stdout, r.Content...)
		case fcgi.TypeStderr:
			stderr = append(stderr, r.Content...)
		}
	}
	if string(stdout) != resp || string(stderr) != "warn" {
		t.Errorf("stdout of %d bytes, stderr %q", len(stdout), stderr)
	}
	end := recs[len(recs)-1]
	if end.Type != fcgi.TypeEndRequest || !bytes.Equal(end.Content, []byte{0, 0, 0, 7, fcgi.StatusRequestComplete, 0, 0, 0}) {
		t.Errorf("last record %+v", end)
	}
	if _, err := c.Next(); err != io.EOF {
		t.Errorf("Next at the end of the connection: %v, want io.EOF", err)
	}
}

func TestManagementRolesAndMultiplexing(t *testing.T) {
	var q []byte
	for _, n := range []string{"FCGI_MPXS_CONNS", "FCGI_MAX_REQS", "FCGI_MAX_CONNS", "FCGI_OTHER", "FCGI_MAX_REQS"} {
		q = fcgi.AppendPair(q, n, "")
	}
	in := new(stream).rec(fcgi.TypeGetValues, 0, q).rec(42, 0, nil).begin(7, fcgi.RoleAuthorizer, false)
	in.rec(fcgi.TypeParams, 7, []byte("ignored")).begin(1, fcgi.RoleResponder, false).params(1, "A", "1")
	in.begin(2, fcgi.RoleResponder, false).rec(fcgi.TypeStdin, 2, []byte("other")).rec(fcgi.TypeStdin, 1, []byte("mine")).rec(fcgi.TypeStdin, 1, nil)
	var out bytes.Buffer
	c := fcgi.NewConn(1 << 20)
	c.Reset(&in.Buffer, &out)
	req, err := c.Next()
	if err != nil || req.ID != 1 {
		t.Fatalf("Next: %+v %v", req, err)
	}
	if _, err := c.ReadParams(); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(c.Body()); string(b) != "mine" || err != nil {
		t.Errorf("body %q %v", b, err)
	}
	recs := records(t, out.Bytes())
	if len(recs) != 4 {
		t.Fatalf("%d records written, want 4: %+v", len(recs), recs)
	}
	values := map[string]string{}
	fcgi.ParseParams(recs[0].Content, values)
	if recs[0].Type != fcgi.TypeGetValuesResult || recs[0].ID != 0 || len(values) != 3 ||
		values["FCGI_MPXS_CONNS"] != "0" || values["FCGI_MAX_REQS"] != "1" || values["FCGI_MAX_CONNS"] != "1" {
		t.Errorf("FCGI_GET_VALUES answered %+v %v", recs[0], values)
	}
	if r := recs[1]; r.Type != fcgi.TypeUnknownType || r.ID != 0 || r.Content[0] != 42 {
		t.Errorf("management record of type 42 answered %+v", r)
	}
	if r := recs[2]; r.Type != fcgi.TypeEndRequest || r.ID != 7 || r.Content[4] != fcgi.StatusUnknownRole {
		t.Errorf("the authorizer role answered %+v", r)
	}
	if r := recs[3]; r.Type != fcgi.TypeEndRequest || r.ID != 2 || r.Content[4] != fcgi.StatusCantMpxConn {
		t.Errorf("a second request answered %+v", r)
	}
}

func TestMalformedRecords(t *testing.T) {
	begin := func() *stream { return new(stream).begin(1, fcgi.RoleResponder, false) }
	cases := []struct {
		name string
		in   []byte
		at   string // the call that fails: next, params or body
	}{
		{"version 2", []byte{2, fcgi.TypeBeginRequest, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, "next"},
		{"short begin", new(stream).rec(fcgi.TypeBeginRequest, 1, []byte{0, 1, 0, 0, 0, 0, 0}).Bytes(), "next"},
		{"begin of request 0", new(stream).begin(0, fcgi.RoleResponder, false).Bytes(), "next"},
		{"stdout from the web server", new(stream).rec(fcgi.TypeStdout, 1, []byte("x")).Bytes(), "next"},
		{"get values of a request", new(stream).rec(fcgi.TypeGetValues, 1, nil).Bytes(), "next"},
		{"unknown type of a request", new(stream).rec(42, 1, nil).Bytes(), "next"},
		{"header cut short", []byte{1, fcgi.TypeBeginRequest, 0}, "next"},
		{"content cut short", []byte{1, fcgi.TypeBeginRequest, 0, 1, 0, 8, 0, 0, 0, 1}, "next"},
		{"padding cut short", []byte{1, fcgi.TypeBeginRequest, 0, 1, 0, 8, 4, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, "next"},
		{"stdin before the params end", begin().rec(fcgi.TypeStdin, 1, []byte("x")).Bytes(), "params"},
		{"params pair cut short", begin().rec(fcgi.TypeParams, 1, []byte{5, 1, 'A'}).rec(fcgi.TypeParams, 1, nil).Bytes(), "params"},
		{"params cut short", begin().rec(fcgi.TypeParams, 1, []byte{1, 1, 'A', 'B'}).Bytes(), "params"},
		{"params in the body", begin().params(1).rec(fcgi.TypeParams, 1, []byte{0, 0}).Bytes(), "body"},
		{"body cut short", cut(begin().params(1).rec(fcgi.TypeStdin, 1, []byte("abcdef")), 3), "body"},
		{"body ends without its end", begin().params(1).rec(fcgi.TypeStdin, 1, []byte("abcdef")).Bytes(), "body"},
	}
	for _, tc := range cases {
		c := fcgi.NewConn(1 << 20)
		c.Reset(bytes.NewReader(tc.in), io.Discard)
		_, err := c.Next()
		at := "next"
		if err == nil {
			at = "params"
			_, err = c.ReadParams()
		}
		if err == nil {
			at = "body"
			_, err = io.ReadAll(c.Body())
		}
		var pe *fcgi.ProtocolError
		if at != tc.at || !errors.Is(err, fcgi.ErrProtocol) || !errors.As(err, &pe) {
			t.Errorf("%s: failed at %s with %v, want a *ProtocolError at %s", tc.name, at, err, tc.at)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

// cut is s without its last n bytes.
func cut(s *stream, n int) []byte { return s.Bytes()[:s.Len()-n] }

// endless is a FCGI_PARAMS stream that never ends, counting what is read of it.
type endless struct {
	rec  []byte
	off  int
	read int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], e.rec[e.off:])
		n += k
		e.off = (e.off + k) % len(e.rec)
	}
	e.read += n
	return n, nil
}

func TestParamsLimit(t *testing.T) {
	const limit = 1 << 20
	var head stream
	head.begin(1, fcgi.RoleResponder, false)
	content := fcgi.AppendPair(nil, "HTTP_X", strings.Repeat("x", fcgi.MaxContent-20))
	var rec stream
	rec.rec(fcgi.TypeParams, 1, content)
	src := &endless{rec: rec.Bytes()}
	c := fcgi.NewConn(limit)
	c.Reset(io.MultiReader(&head.Buffer, src), io.Discard)
	if _, err := c.Next(); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.ReadParams()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, fcgi.ErrParamsTooLarge) || !strings.Contains(err.Error(), "1048576 bytes") {
		t.Fatalf("an endless FCGI_PARAMS stream: %v, want ErrParamsTooLarge naming the limit", err)
	}
	if src.read > limit+fcgi.MaxContent+64<<10 {
		t.Errorf("read %d bytes of the stream for a limit of %d", src.read, limit)
	}
	// The buffer doubles up to the limit: what it allocated in all is
	// below twice the limit, what it keeps at most the limit.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 2*limit+fcgi.MaxContent {
		t.Errorf("allocated %d bytes for a limit of %d", grown, limit)
	}
	t.Logf("read %d bytes, allocated %d", src.read, after.TotalAlloc-before.TotalAlloc)
}

func TestAbort(t *testing.T) {
	in := new(stream).begin(1, fcgi.RoleResponder, true).params(1, "A", "1").rec(fcgi.TypeStdin, 1, []byte("part"))
	in.rec(fcgi.TypeAbortRequest, 1, nil).begin(2, fcgi.RoleResponder, false).params(2).rec(fcgi.TypeStdin, 2, nil)
	c := fcgi.NewConn(1 << 20)
	c.Reset(&in.Buffer, io.Discard)
	c.Next()
	c.ReadParams()
	b, err := io.ReadAll(c.Body())
	if string(b) != "part" || !errors.Is(err, fcgi.ErrAborted) {
		t.Errorf("body of an aborted request: %q %v, want ErrAborted", b, err)
	}
	if err := c.Body().Drain(); err != nil {
		t.Errorf("Drain of an aborted request: %v", err)
	}
	if req, err := c.Next(); err != nil || req.ID != 2 {
		t.Errorf("the request after an aborted one: %+v %v", req, err)
	}

	in = new(stream).begin(1, fcgi.RoleResponder, true).rec(fcgi.TypeAbortRequest, 1, nil)
	c.Reset(&in.Buffer, io.Discard)
	c.Next()
	if _, err := c.ReadParams(); !errors.Is(err, fcgi.ErrAborted) {
		t.Errorf("abort while sending the parameters: %v, want ErrAborted", err)
	}
}

// TestStaleBody: the body of an ended request, read by a handler's
// goroutine left behind, fails instead of taking the next request's body.
func TestStaleBody(t *testing.T) {
	in := new(stream).begin(1, fcgi.RoleResponder, true).params(1).rec(fcgi.TypeStdin, 1, []byte("first")).rec(fcgi.TypeStdin, 1, nil)
	in.begin(2, fcgi.RoleResponder, false).params(2).rec(fcgi.TypeStdin, 2, []byte("second")).rec(fcgi.TypeStdin, 2, nil)
	c := fcgi.NewConn(1 << 20)
	c.Reset(&in.Buffer, io.Discard)
	c.Next()
	c.ReadParams()
	stale := c.Body()
	stale.Drain()
	c.EndRequest(0)
	c.Next()
	c.ReadParams()
	if n, err := stale.Read(make([]byte, 10)); !errors.Is(err, fcgi.ErrRequestEnded) {
		t.Errorf("the body of an ended request read %d bytes, %v; want ErrRequestEnded", n, err)
	}
	if b, err := io.ReadAll(c.Body()); string(b) != "second" || err != nil {
		t.Errorf("the next request's body: %q %v", b, err)
	}
}

// TestReuseAllocations checks that serving a request allocates only its
// parameters and its Body: reading the body, the response and the records
// reuse the Conn's buffers.
func TestReuseAllocations(t *testing.T) {
	body := bytes.Repeat([]byte("b"), 200000)
	in := new(stream).begin(1, fcgi.RoleResponder, true).params(1, "SCRIPT_NAME", "/x")
	for off := 0; off < len(body); off += 50000 {
		in.rec(fcgi.TypeStdin, 1, body[off:off+50000])
	}
	in.rec(fcgi.TypeStdin, 1, nil)
	wire := in.Bytes()
	resp := bytes.Repeat([]byte("o"), 300000)
	c := fcgi.NewConn(1 << 20)
	r := bytes.NewReader(nil)
	buf := make([]byte, 32<<10)
	var params int
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(wire)
		c.Reset(r, io.Discard)
		c.Next()
		p, _ := c.ReadParams()
		params = len(p)
		for {
			if _, err := c.Body().Read(buf); err != nil {
				break
			}
		}
		c.Stdout().Write(resp)
		c.EndRequest(0)
	})
	name, value := []byte("SCRIPT_NAME"), []byte("/x")
	own := testing.AllocsPerRun(20, func() {
		m := make(map[string]string, 32)
		m[string(name)] = string(value)
		sink = m
	})
	if params != 1 || allocs > own+1 { // +1: the Body
		t.Errorf("%v allocations per request of %d parameters, want at most the %v of its map and one for its body", allocs, params, own)
	}
}

// sink keeps a map on the heap, as the parameters handed to a handler are.
var sink map[string]string

// BenchmarkRequest serves a request as nginx sends a GET (a dozen
// parameters, an empty body) and answers a small page, on a reused Conn.
func BenchmarkRequest(b *testing.B) {
	in := new(stream).begin(1, fcgi.RoleResponder, false).params(1,
		"QUERY_STRING", "", "REQUEST_METHOD", "GET", "CONTENT_TYPE", "", "CONTENT_LENGTH", "",
		"SCRIPT_NAME", "/index.php", "REQUEST_URI", "/index.php", "DOCUMENT_URI", "/index.php",
		"DOCUMENT_ROOT", "/srv", "SERVER_PROTOCOL", "HTTP/1.1", "REMOTE_ADDR", "127.0.0.1",
		"REMOTE_PORT", "51234", "SERVER_ADDR", "127.0.0.1", "SERVER_PORT", "80", "HTTP_HOST", "localhost",
		"HTTP_USER_AGENT", "wrk", "SCRIPT_FILENAME", "/srv/index.php").rec(fcgi.TypeStdin, 1, nil)
	wire := in.Bytes()
	page := []byte("Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, world\n")
	c := fcgi.NewConn(1 << 20)
	r := bytes.NewReader(nil)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(wire)
		c.Reset(r, io.Discard)
		c.Next()
		c.ReadParams()
		c.Body().Drain()
		c.Stdout().Write(page)
		c.EndRequest(0)
	}
}

// TestCommonParamNames: the names a web server sends with every request
// cost no allocation, and parse as any other name.
func TestCommonParamNames(t *testing.T) {
	var b []byte
	for _, n := range []string{"REQUEST_METHOD", "SCRIPT_FILENAME", "HTTP_HOST", "QUERY_STRING"} {
		b = fcgi.AppendPair(b, n, "")
	}
	b = fcgi.AppendPair(b, "HTTP_X_OWN", "v")
	m := make(map[string]string, 8)
	if err := fcgi.ParseParams(b, m); err != nil || len(m) != 5 || m["HTTP_X_OWN"] != "v" {
		t.Fatalf("ParseParams: %v %v", m, err)
	}
	allocs := testing.AllocsPerRun(20, func() { fcgi.ParseParams(b, m) })
	if allocs > 2 { // the name and value of HTTP_X_OWN
		t.Errorf("%v allocations to parse 4 common names and another pair, want 2", allocs)
	}
}
