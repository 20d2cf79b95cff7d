package status

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/fcgi"
	"net/http/httptest"
	"net/textproto"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

// TestHTTPWire reads the raw HTTP/1.0 replies of a real server and checks
// that php-fpm's header lines appear in them byte for byte (names too,
// with PHPHeaderCase) and that the body is php-fpm's.
func TestHTTPWire(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			srv := httptest.NewServer(&Handler{Source: fixed(s.snap), PHPHeaderCase: true})
			defer srv.Close()
			head, body := rawGet(t, srv.Listener.Addr().String(), "/status?"+s.query)
			want := readGolden(t, path.Join(goldenDir(PHP84), s.name+".txt"))
			for _, kv := range want.headers {
				if line := kv[0] + ": " + kv[1] + "\r\n"; !strings.Contains(head, "\r\n"+line) {
					t.Errorf("reply lacks %q:\n%s", line, head)
				}
			}
			if strings.Count(strings.ToLower(head), "\r\ncontent-type:") != 1 {
				t.Errorf("want exactly one content type:\n%s", head)
			}
			if !bytes.Equal(body, want.body) {
				t.Errorf("body differs\n got: %q\nwant: %q", body, want.body)
			}
		})
	}
}

func rawGet(t *testing.T, addr, target string) (head string, body []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET "+target+" HTTP/1.0\r\nHost: fpm\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	h, b, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no end of headers in %q", raw)
	}
	return string(h) + "\r\n", b
}

// TestFastCGI serves the samples, the 500 reply and ping through
// net/http/fcgi and reads them as a FastCGI client reads php-fpm's:
// CGI header lines, a blank line, the body.
func TestFastCGI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var current atomic.Pointer[http.Handler]
	serve := func(h http.Handler) { current.Store(&h) }
	go fcgi.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*current.Load()).ServeHTTP(w, r) }))

	for _, phpCase := range []bool{false, true} {
		for _, s := range samples() {
			serve(&Handler{Source: fixed(s.snap), Version: PHP82, PHPHeaderCase: phpCase})
			want := readGolden(t, path.Join(goldenDir(PHP82), s.name+".txt"))
			code, hdr, rawHead, body := fcgiGet(t, ln.Addr().String(), "/status", s.query)
			checkFCGIReply(t, s.name, code, hdr, rawHead, body, 200, want, phpCase)
		}
		serve(&Handler{Source: failing(), PHPHeaderCase: phpCase, Logger: discardLogger()})
		code, hdr, rawHead, body := fcgiGet(t, ln.Addr().String(), "/status", "json")
		checkFCGIReply(t, "error", code, hdr, rawHead, body, 500,
			golden{phpErrorHeaders, []byte(errorBody)}, phpCase)

		p := Ping("pong")
		p.PHPHeaderCase = phpCase
		serve(p)
		code, hdr, rawHead, body = fcgiGet(t, ln.Addr().String(), "/ping", "")
		checkFCGIReply(t, "ping", code, hdr, rawHead, body, 200, readGolden(t, "ping.txt"), phpCase)
	}
}

func checkFCGIReply(t *testing.T, name string, code int, hdr textproto.MIMEHeader, rawHead string, body []byte, wantCode int, want golden, exact bool) {
	t.Helper()
	if code != wantCode {
		t.Errorf("%s: status %d, want %d", name, code, wantCode)
	}
	for _, kv := range want.headers {
		if got := hdr.Values(kv[0]); len(got) != 1 || got[0] != kv[1] {
			t.Errorf("%s: header %s = %q, want %q", name, kv[0], got, kv[1])
		}
		if line := kv[0] + ": " + kv[1] + "\r\n"; exact && !strings.Contains(rawHead, line) {
			t.Errorf("%s: reply lacks %q:\n%s", name, line, rawHead)
		}
	}
	if !bytes.Equal(body, want.body) {
		t.Errorf("%s: body differs\n got: %q\nwant: %q", name, body, want.body)
	}
}

// fcgiGet sends one FastCGI responder request as a web server would for
// scriptName?query and returns the CGI reply split as a client splits it.
func fcgiGet(t *testing.T, addr, scriptName, query string) (code int, hdr textproto.MIMEHeader, rawHead string, body []byte) {
	t.Helper()
	cl, err := fcgitest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := cl.Do(fcgitest.Get(scriptName, query))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Stderr) > 0 {
		t.Errorf("stderr: %q", resp.Stderr)
	}
	// The server closes the connection after the request (no keep-alive
	// flag): wait for that, so no socket of it outlives the test.
	if err := cl.Closed(); err != nil {
		t.Fatalf("waiting for the server to close the connection: %v", err)
	}
	head, _, _ := bytes.Cut(resp.Stdout, []byte("\r\n\r\n"))
	return resp.Status, textproto.MIMEHeader(resp.Header), string(head) + "\r\n", resp.Body
}
