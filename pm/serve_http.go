package pm

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// httpServer serves plain HTTP/1.1 the way the workers serve FastCGI: the
// worker hands it one connection at a time and waits until it is closed.
// Keep-alive is off, so each connection carries one request and the worker
// is free again as soon as it has answered.
type httpServer struct {
	srv  *http.Server
	ln   *connQueue
	done chan struct{} // one value each time the current connection ends

	requests int        // requests answered on the current connection
	access   *accessLog // nil without access.log
	begun    func()     // called when a request's header is read, when set
}

// newHTTPServer is an httpServer of serve. The worker sets the Reading
// headers stage before it hands a connection over; a connection whose
// request header is not read within headerTimeout is closed. Requests'
// contexts derive from base.
func newHTTPServer(serve func(http.ResponseWriter, *http.Request, string), st *stages, log *slog.Logger,
	headerTimeout time.Duration, base context.Context) *httpServer {
	h := &httpServer{ln: newConnQueue(), done: make(chan struct{}, 1)}
	h.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.requests++
			if h.begun != nil {
				h.begun()
			}
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
				h.access.write(httpEntry(r, began, user, hw), st)
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
