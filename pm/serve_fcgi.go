package pm

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cgi"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/pm/accesslog"
)

// fcgiServer serves FastCGI connections one at a time, one request at a
// time, as a PHP-FPM child does: FCGI_MAX_CONNS and FCGI_MAX_REQS are 1
// and requests are not multiplexed. Its buffers are reused across
// connections; a request's parameters are read up to maxHeader bytes.
type fcgiServer struct {
	serve  func(w http.ResponseWriter, r *http.Request, scriptName string)
	stages *stages
	access *accesslog.Log // nil without access.log
	log    *slog.Logger
	peer   string // the web server's address on the current connection; "" on a unix socket

	maxHeader int // request_max_header_bytes
	fc        *fcgi.Conn
}

// newFCGIServer is a fcgiServer of serve whose requests carry at most
// maxHeader bytes of parameters.
func newFCGIServer(serve func(http.ResponseWriter, *http.Request, string), st *stages, log *slog.Logger, maxHeader int) *fcgiServer {
	return &fcgiServer{serve: serve, stages: st, log: log, maxHeader: maxHeader, fc: fcgi.NewConn(maxHeader)}
}

// paramsKey is the context key of a request's FastCGI parameters.
type paramsKey struct{}

// Params returns the FastCGI parameters of a request served over FastCGI
// (SCRIPT_NAME, SCRIPT_FILENAME, DOCUMENT_ROOT, the HTTP_ headers, ...),
// nil for a request that came over HTTP. The map must not be modified.
func Params(r *http.Request) map[string]string {
	m, _ := r.Context().Value(paramsKey{}).(map[string]string)
	return m
}

// serveConn serves the requests of c in turn until the peer closes it, a
// request ends without FCGI_KEEP_CONN, or done (called after each request)
// returns true. It closes c. It is the loop of a server that keeps no
// stages (pm.status_listen's); a worker runs its own (worker.serveFastCGI).
func (s *fcgiServer) serveConn(c net.Conn, done func() (stop bool)) error {
	defer c.Close()
	s.start(c)
	for {
		id, keep, err := s.readBegin()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			s.logBroken(err)
			return err
		}
		broken, err := s.serveRequest(context.Background(), id, func() {})
		stop := done()
		if err != nil || broken || !keep || stop {
			s.logBroken(err)
			return err
		}
	}
}

// start readies the server for the requests of a new connection.
func (s *fcgiServer) start(c net.Conn) {
	s.peer = ""
	if s.access != nil { // only the access log asks
		if a := c.RemoteAddr(); a != nil {
			s.peer = peerHost(a.String())
		}
	}
	s.fc.Reset(c, c)
}

// logBroken logs a connection closed because the web server broke the
// protocol.
func (s *fcgiServer) logBroken(err error) {
	if errors.Is(err, fcgi.ErrProtocol) {
		s.log.Warn("closed a FastCGI connection that broke the protocol", "err", err)
	}
}

// readBegin reads records up to the next FCGI_BEGIN_REQUEST of a
// responder, answering FCGI_GET_VALUES and refusing other roles.
func (s *fcgiServer) readBegin() (id uint16, keep bool, err error) {
	req, err := s.fc.Next()
	return req.ID, req.KeepConn, err
}

// serveRequest reads request id's parameters, runs the handler with its
// body as a stream and ctx as its context, and ends the request: the
// Running stage (stages.info) once the parameters are read, the end of the
// request (stages.end), then end, which cancels ctx. broken reports that
// the connection cannot carry another request.
//
// The request's stages end before FCGI_END_REQUEST is sent, as PHP-FPM
// ends them before it finishes the request: when the web server has the
// whole response, the slot already shows the request as finished.
func (s *fcgiServer) serveRequest(ctx context.Context, id uint16, end func()) (broken bool, err error) {
	var began time.Time
	if s.access != nil {
		began = time.Now()
	}
	defer end()
	ended := false
	defer func() {
		if !ended {
			s.stages.end()
		}
	}()
	w := newFCGIResponse(s.fc, end)
	params, err := s.fc.ReadParams()
	if errors.Is(err, fcgi.ErrParamsTooLarge) {
		ended = true
		return true, s.refuseLargeParams(w, id, err)
	}
	if err != nil {
		return true, err
	}
	body := s.fc.Body()
	r, err := newRequest(ctx, params)
	var user string // of the Basic authorization, as PHP-FPM's auth_user
	if err != nil {
		bad := &http.Request{Method: params["REQUEST_METHOD"], URL: &url.URL{RawQuery: params["QUERY_STRING"]}}
		s.stages.info(bad, params["SCRIPT_NAME"], params["SCRIPT_FILENAME"], "")
		http.Error(w, "400 bad request: "+err.Error(), http.StatusBadRequest)
	} else {
		r.Body = requestBody{body, end}
		user, _, _ = r.BasicAuth()
		s.stages.info(r, params["SCRIPT_NAME"], params["SCRIPT_FILENAME"], user)
		broken = s.runHandler(w, r, params["SCRIPT_NAME"])
	}
	w.finish()
	if err := body.Drain(); err != nil {
		return true, err
	}
	ended = true
	s.stages.end()
	err = s.fc.EndRequest(0)
	if s.access != nil {
		logRequest(s.access, fcgiEntry(params, r, user, s.peer, began, w), s.stages)
	}
	return broken, err
}

// fcgiEntry is the access log entry of a request served over FastCGI,
// from its parameters, its request (nil when it could not be made), its
// Basic authorization user and the peer of the connection (%R is the web
// server's address, as in PHP-FPM: "" on a unix socket).
func fcgiEntry(params map[string]string, r *http.Request, user, peer string, began time.Time, w *fcgiResponse) *accesslog.Entry {
	e := &accesslog.Entry{
		RemoteAddr: peer, RemoteUser: user, Method: params["REQUEST_METHOD"],
		URI: params["SCRIPT_NAME"], Query: params["QUERY_STRING"], Script: params["SCRIPT_FILENAME"],
		Status: w.code, Accepted: began,
		Env: func(name string) (string, bool) {
			v, ok := params[name]
			return v, ok
		},
		Header: accesslog.ResponseHeader(w.header),
	}
	if r != nil {
		e.ContentLength = max(r.ContentLength, 0)
	}
	return e
}

// refuseLargeParams answers request id, whose parameters went past
// request_max_header_bytes, with 431 and ends it, logging the limit. The
// rest of its parameters is left unread: the connection must be closed.
func (s *fcgiServer) refuseLargeParams(w *fcgiResponse, id uint16, err error) error {
	s.log.Warn("a request's FastCGI parameters are larger than request_max_header_bytes: answered 431 and closed the connection",
		"request_max_header_bytes", s.maxHeader, "request", id, "err", err)
	s.stages.info(&http.Request{URL: &url.URL{}}, "", "", "")
	http.Error(w, "431 request header fields too large", http.StatusRequestHeaderFieldsTooLarge)
	w.finish()
	s.stages.end()
	return s.fc.EndRequest(0)
}

// runHandler runs the handler, turning a panic into a 500 (when nothing was
// sent yet) and a broken connection, as net/http does.
func (s *fcgiServer) runHandler(w *fcgiResponse, r *http.Request, scriptName string) (broken bool) {
	defer func() {
		if p := recover(); p != nil {
			broken = true
			if p != http.ErrAbortHandler {
				s.log.Error("panic serving request", "uri", r.URL.RequestURI(), "panic", p, "stack", string(debug.Stack()))
			}
			if !w.sent {
				w.header, w.code = http.Header{}, http.StatusInternalServerError
			}
		}
	}()
	s.serve(w, r, scriptName)
	return false
}

// newRequest builds the http.Request of a FastCGI request as a CGI
// program would, defaulting a missing method to GET and protocol to
// HTTP/1.0 (as PHP does for cgi-fcgi style clients).
func newRequest(ctx context.Context, params map[string]string) (*http.Request, error) {
	if params["REQUEST_METHOD"] == "" {
		params["REQUEST_METHOD"] = http.MethodGet
	}
	if params["SERVER_PROTOCOL"] == "" {
		params["SERVER_PROTOCOL"] = "HTTP/1.0"
	}
	r, err := cgi.RequestFromMap(params)
	if err != nil {
		return nil, err
	}
	return r.WithContext(context.WithValue(ctx, paramsKey{}, params)), nil
}

// requestBody is a request's body as the handler reads it: a read that
// fails (the web server aborted the request, or the connection failed)
// cancels the request's context.
type requestBody struct {
	*fcgi.Body
	cancel func()
}

// Read reads the body.
func (b requestBody) Read(p []byte) (int, error) {
	n, err := b.Body.Read(p)
	if err != nil && err != io.EOF {
		b.cancel()
	}
	return n, err
}
