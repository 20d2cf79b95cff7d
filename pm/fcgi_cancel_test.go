package pm

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

// TestWriteFailureCancelsRequest: when a write of the response to the web
// server fails (it has gone), by Write or by Flush, the request's context
// is cancelled, as it is when a read of the body fails.
func TestWriteFailureCancelsRequest(t *testing.T) {
	for _, flush := range []bool{false, true} {
		seen := make(chan error, 1)
		var ctx context.Context
		s := newTestFCGIServer(func(w http.ResponseWriter, r *http.Request) {
			chunk := []byte(strings.Repeat("x", 200<<10)) // more than the connection's buffer: Write sends
			if flush {
				chunk = chunk[:1<<10] // Flush alone sends
			}
			for deadline := time.Now().Add(5 * time.Second); ctx.Err() == nil && time.Now().Before(deadline); {
				w.Write(chunk)
				if flush {
					w.(http.Flusher).Flush()
				}
			}
			seen <- ctx.Err()
		}, nil)
		c := goneWebServer(t)
		s.start(c)
		id, _, err := s.readBegin()
		if err != nil {
			t.Fatal(err)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(context.Background())
		s.serveRequest(ctx, id, cancel)
		if err := <-seen; err != context.Canceled {
			t.Errorf("flush %v: the request's context after a failed write: %v, want it cancelled", flush, err)
		}
		cancel()
	}
}

// goneWebServer returns the worker's end of a connection on which the web
// server sent a request and then closed it.
func goneWebServer(t *testing.T) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cl, err := fcgitest.Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := cl.Send(fcgitest.Get("/", "")); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	return c
}
