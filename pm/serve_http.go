package pm

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fpmshm/fpmshm/pm/accesslog"
)

// httpServer serves plain HTTP/1.1 the way the workers serve FastCGI: the
// worker hands it one connection at a time and waits until it is closed.
// Keep-alive is off, so each connection carries one request and the worker
// is free again as soon as it has answered.
type httpServer struct {
	srv  *http.Server
	ln   *connQueue
	done chan struct{} // one value each time the current connection ends

	requests int            // requests answered on the current connection
	access   *accesslog.Log // nil without access.log
}

// newHTTPServer is an httpServer of serve. The worker sets the Reading
// headers stage before it hands a connection over; a connection whose
// request header is not read within headerTimeout is closed. A request
// whose header is read has begun on the connection held waits on.
// Requests' contexts derive from base.
func newHTTPServer(serve func(http.ResponseWriter, *http.Request, string), st *stages, held *held, log *slog.Logger,
	headerTimeout time.Duration, base context.Context) *httpServer {
	h := &httpServer{ln: newConnQueue(), done: make(chan struct{}, 1)}
	h.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.requests++
			held.begun()
			var began time.Time
			if h.access != nil {
				began = time.Now()
			}
			user, _, _ := r.BasicAuth()
			st.info(r, r.URL.Path, "", user)
			hw := &httpResponse{w: w}
			func() {
				defer st.end()
				serve(hw, r, r.URL.Path)
			}()
			if h.access != nil {
				logRequest(h.access, httpEntry(r, began, user, hw), st)
			}
		}),
		ReadHeaderTimeout: headerTimeout,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateClosed || s == http.StateHijacked {
				h.done <- struct{}{}
			}
		},
	}
	h.srv.SetKeepAlivesEnabled(false)
	go h.srv.Serve(h.ln)
	return h
}

// serveConn serves c and returns when it is closed (or hijacked),
// reporting whether a request was answered on it.
func (h *httpServer) serveConn(c net.Conn) bool {
	h.requests = 0
	h.ln.conns <- c
	<-h.done
	return h.requests > 0
}

// close stops the server; the connection being served is not cut.
func (h *httpServer) close() { h.ln.Close() }

// httpEntry is the access log entry of a request served over HTTP, where
// the CGI variables %{NAME}e asks for are derived from the request.
func httpEntry(r *http.Request, began time.Time, user string, w *httpResponse) *accesslog.Entry {
	peer := peerHost(r.RemoteAddr)
	return &accesslog.Entry{
		RemoteAddr: peer, RemoteUser: user, Method: r.Method, URI: r.URL.Path, Query: r.URL.RawQuery,
		ContentLength: max(r.ContentLength, 0), Status: w.status(), Accepted: began,
		Env:    func(name string) (string, bool) { return cgiVariable(r, peer, name) },
		Header: accesslog.ResponseHeader(w.Header()),
	}
}

// cgiVariable returns the CGI variable name of an HTTP request, as a web
// server would have passed it over FastCGI, and whether it would have.
func cgiVariable(r *http.Request, remoteAddr, name string) (string, bool) {
	switch name {
	case "REQUEST_METHOD":
		return r.Method, true
	case "REQUEST_URI":
		return r.RequestURI, true
	case "SCRIPT_NAME", "DOCUMENT_URI":
		return r.URL.Path, true
	case "QUERY_STRING":
		return r.URL.RawQuery, true
	case "SERVER_PROTOCOL":
		return r.Proto, true
	case "REMOTE_ADDR":
		return remoteAddr, true
	case "CONTENT_LENGTH":
		return strconv.FormatInt(max(r.ContentLength, 0), 10), true
	case "HTTP_HOST":
		return r.Host, true
	}
	header, ok := strings.CutPrefix(name, "HTTP_")
	if name == "CONTENT_TYPE" {
		header, ok = "Content-Type", true
	}
	if !ok {
		return "", false
	}
	v := r.Header.Values(strings.ReplaceAll(header, "_", "-"))
	if len(v) == 0 {
		return "", false
	}
	return strings.Join(v, ", "), true
}

// connQueue is a net.Listener whose connections are handed to it one by
// one by the worker's accept loop.
type connQueue struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newConnQueue() *connQueue {
	return &connQueue{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept returns the next connection handed over, or net.ErrClosed.
func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.closed:
		return nil, net.ErrClosed
	}
}

// Close makes Accept fail from now on.
func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.closed) })
	return nil
}

// Addr returns an empty address: the sockets are the acceptor's.
func (q *connQueue) Addr() net.Addr { return &net.TCPAddr{} }
