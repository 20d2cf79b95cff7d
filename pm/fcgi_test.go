package pm

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
	"github.com/fpmshm/fpmshm/scoreboard"
)

// fakeRecorder notes the stages a request goes through.
type fakeRecorder struct{ calls []string }

func (f *fakeRecorder) Accepting()      { f.calls = append(f.calls, "Accepting") }
func (f *fakeRecorder) ReadingHeaders() { f.calls = append(f.calls, "ReadingHeaders") }
func (f *fakeRecorder) RequestInfo(i scoreboard.RequestInfo) {
	f.calls = append(f.calls, fmt.Sprintf("RequestInfo %s %s ?%s user=%s script=%s len=%d", i.Method, i.URI, i.Query, i.User, i.Script, i.ContentLength))
}
func (f *fakeRecorder) Executing() { f.calls = append(f.calls, "Executing") }
func (f *fakeRecorder) End(cpu time.Duration, memory uint64) {
	f.calls = append(f.calls, "End")
	if cpu < 0 { // memory may be 0: the bytes a request allocated
		f.calls = append(f.calls, fmt.Sprintf("bad End(%v, %d)", cpu, memory))
	}
}
func (f *fakeRecorder) Finished() { f.calls = append(f.calls, "Finished") }

// fcgiPair serves one connection with a fcgiServer of handler h and
// recorder rec in a goroutine, and returns the client's end and the
// server's result.
func fcgiPair(t *testing.T, h http.HandlerFunc, rec recorder) (net.Conn, <-chan error) {
	t.Helper()
	return serveOne(t, newTestFCGIServer(h, rec))
}

// newTestFCGIServer is a fcgiServer of handler h and recorder rec.
func newTestFCGIServer(h http.HandlerFunc, rec recorder) *fcgiServer {
	return newFCGIServer(func(w http.ResponseWriter, r *http.Request, _ string) { h(w, r) }, newStages(rec), slog.New(slog.DiscardHandler), defaults.RequestMaxHeaderBytes)
}

// serveOne serves one connection with s in a goroutine and returns the
// client's end and the server's result.
func serveOne(t *testing.T, s *fcgiServer) (net.Conn, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		ln.Close() // only now: closing it earlier resets a connection not yet accepted
		if err != nil {
			done <- err
			return
		}
		done <- s.serveConn(c, func() bool { return false })
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, done
}

// fcgiRequest sends one request on cl, its body in records of at most
// 50000 bytes, and returns its FCGI_STDOUT and the protocol status of its
// FCGI_END_REQUEST.
func fcgiRequest(t *testing.T, cl *fcgitest.Client, id uint16, keep bool, params map[string]string, body ...string) (string, uint8) {
	t.Helper()
	resp, err := cl.Do(&fcgitest.Request{ID: id, KeepConn: keep, Params: params, Body: strings.NewReader(strings.Join(body, "")), BodyRecord: 50000})
	if err != nil {
		t.Fatal(err)
	}
	return string(resp.Stdout), resp.ProtocolStatus
}

func TestFastCGIRequest(t *testing.T) {
	rec := &fakeRecorder{}
	c, done := fcgiPair(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Header.Get("X-Test"))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s %s [%s] %s", r.Method, r.URL.RequestURI(), Params(r)["SCRIPT_FILENAME"], body, r.RemoteAddr)
	}, rec)
	cl := fcgitest.NewClient(c)
	params := map[string]string{
		"REQUEST_METHOD": "POST", "SCRIPT_NAME": "/app.php", "SCRIPT_FILENAME": "/srv/app.php",
		"REQUEST_URI": "/app.php?a=1", "QUERY_STRING": "a=1", "CONTENT_LENGTH": "11",
		"SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_USER": "mallory", "HTTP_X_TEST": "yes",
		"HTTP_AUTHORIZATION": "Basic Ym9iOnNlY3JldA==", // bob:secret: the scoreboard's user, as PHP-FPM's
		"REMOTE_ADDR":        "10.0.0.1", "REMOTE_PORT": "5555",
	}
	out, status := fcgiRequest(t, cl, 1, true, params, "hello ", "world")
	want := "Status: 201 Created\r\nContent-Type: text/plain; charset=utf-8\r\nX-Echo: yes\r\n\r\n" + // sniffed, as net/http
		"POST /app.php?a=1 /srv/app.php [hello world] 10.0.0.1:5555"
	if out != want || status != fcgi.StatusRequestComplete {
		t.Errorf("response %q (status %d), want %q", out, status, want)
	}
	wantCalls := "RequestInfo POST /app.php ?a=1 user=bob script=/srv/app.php len=11|Executing|End|Finished"
	if got := strings.Join(rec.calls, "|"); got != wantCalls {
		t.Errorf("stages %s, want %s", got, wantCalls)
	}

	// A second request on the kept connection, whose body spans records.
	big := strings.Repeat("x", 200000)
	out, _ = fcgiRequest(t, cl, 2, false, map[string]string{"SCRIPT_NAME": "/b", "QUERY_STRING": "big"}, big[:50000], big[50000:100000], big[100000:150000], big[150000:])
	if !strings.HasPrefix(out, "Status: 201 Created\r\n") || !strings.Contains(out, "GET /b?big  ["+big+"]") {
		t.Errorf("second request: %.200q", out)
	}
	if err := <-done; err != nil {
		t.Errorf("serveConn after a request without FCGI_KEEP_CONN: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the connection was not closed after the last request: %v", err)
	}
}

func TestFastCGIManagementAndRoles(t *testing.T) {
	c, done := fcgiPair(t, func(w http.ResponseWriter, r *http.Request) {}, nil)
	cl := fcgitest.NewClient(c)
	var q []byte
	q = fcgi.AppendPair(q, "FCGI_MPXS_CONNS", "")
	q = fcgi.AppendPair(q, "FCGI_MAX_REQS", "")
	cl.WriteRecord(fcgi.TypeGetValues, 0, q)
	cl.WriteRecord(fcgi.TypeBeginRequest, 7, []byte{0, fcgi.RoleAuthorizer, 0, 0, 0, 0, 0, 0})
	rec, err := cl.ReadRecord()
	if err != nil || rec.Type != fcgi.TypeGetValuesResult {
		t.Fatalf("FCGI_GET_VALUES answered %v %v", rec.Type, err)
	}
	values := map[string]string{}
	fcgi.ParseParams(rec.Content, values)
	if values["FCGI_MPXS_CONNS"] != "0" || values["FCGI_MAX_REQS"] != "1" || len(values) != 2 {
		t.Errorf("FCGI_GET_VALUES_RESULT %v", values)
	}
	rec, err = cl.ReadRecord()
	if err != nil || rec.Type != fcgi.TypeEndRequest || rec.ID != 7 || rec.Content[4] != fcgi.StatusUnknownRole {
		t.Errorf("the authorizer role: %v %v %v", rec.Type, rec.Content, err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Errorf("serveConn after the peer closed: %v", err)
	}
}

func TestFastCGIHandlerPanics(t *testing.T) {
	rec := &fakeRecorder{}
	c, done := fcgiPair(t, func(w http.ResponseWriter, r *http.Request) { panic("boom") }, rec)
	out, _ := fcgiRequest(t, fcgitest.NewClient(c), 1, true, map[string]string{"SCRIPT_NAME": "/p"})
	if !strings.HasPrefix(out, "Status: 500 Internal Server Error\r\n") {
		t.Errorf("response to a panicking handler: %q", out)
	}
	if err := <-done; err != nil {
		t.Errorf("serveConn: %v", err)
	}
	if got := strings.Join(rec.calls, "|"); !strings.HasSuffix(got, "End|Finished") {
		t.Errorf("stages after a panic: %s", got)
	}
}
