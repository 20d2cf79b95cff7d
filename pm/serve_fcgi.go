package pm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cgi"
	"net/url"
	"runtime/debug"
	"time"
)

// fcgiServer serves FastCGI connections one at a time, one request at a
// time, as a PHP-FPM child does: FCGI_MAX_CONNS and FCGI_MAX_REQS are 1
// and requests are not multiplexed. Its buffers are reused across
// connections.
type fcgiServer struct {
	serve  func(w http.ResponseWriter, r *http.Request, scriptName string)
	stages *stages
	access *accessLog // nil without access.log
	log    *slog.Logger
	peer   string // the web server's address on the current connection; "" on a unix socket

	rr  recordReader
	bw  *bufio.Writer
	out streamWriter

	// newContext, when set, makes a request's context and the function
	// that ends it; cancel is the current request's.
	newContext func() (context.Context, context.CancelFunc)
	cancel     context.CancelFunc
}

func newFCGIServer(serve func(http.ResponseWriter, *http.Request, string), st *stages, log *slog.Logger) *fcgiServer {
	s := &fcgiServer{serve: serve, stages: st, log: log}
	s.rr.r = bufio.NewReaderSize(nil, 16<<10)
	s.bw = bufio.NewWriterSize(nil, 16<<10)
	s.out = streamWriter{w: s.bw, typ: typeStdout, buf: make([]byte, 0, maxRecordContent)}
	return s
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
			return err
		}
		broken, err := s.serveRequest(id)
		stop := done()
		if err != nil || broken || !keep || stop {
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
	s.rr.r.Reset(c)
	s.bw.Reset(c)
}

// readBegin reads records up to the next FCGI_BEGIN_REQUEST of a
// responder, answering FCGI_GET_VALUES and refusing other roles.
func (s *fcgiServer) readBegin() (id uint16, keep bool, err error) {
	for {
		rec, err := s.rr.next()
		if err != nil {
			return 0, false, err
		}
		switch rec.typ {
		case typeBeginRequest:
			if len(rec.content) < 8 {
				return 0, false, fmt.Errorf("%w: short FCGI_BEGIN_REQUEST", errProtocol)
			}
			if role := uint16(rec.content[0])<<8 | uint16(rec.content[1]); role != roleResponder {
				writeEndRequest(s.bw, rec.id, 0, statusUnknownRole)
				if err := s.bw.Flush(); err != nil {
					return 0, false, err
				}
				continue
			}
			return rec.id, rec.content[2]&flagKeepConn != 0, nil
		case typeGetValues:
			if err := s.answerGetValues(rec.content); err != nil {
				return 0, false, err
			}
		case typeAbortRequest, typeParams, typeStdin, typeData:
			// the rest of a request already ended: nothing to do
		default:
			if rec.id == 0 {
				writeRecord(s.bw, typeUnknownType, 0, []byte{rec.typ, 0, 0, 0, 0, 0, 0, 0})
				if err := s.bw.Flush(); err != nil {
					return 0, false, err
				}
			}
		}
	}
}

// answerGetValues answers FCGI_GET_VALUES: one connection, one request,
// no multiplexing.
func (s *fcgiServer) answerGetValues(content []byte) error {
	asked := map[string]string{}
	if err := parseParams(content, asked); err != nil {
		return err
	}
	values := map[string]string{"FCGI_MAX_CONNS": "1", "FCGI_MAX_REQS": "1", "FCGI_MPXS_CONNS": "0"}
	var b []byte
	for name := range asked {
		if v, ok := values[name]; ok {
			b = appendPair(b, name, v)
		}
	}
	writeRecord(s.bw, typeGetValuesResult, 0, b)
	return s.bw.Flush()
}

// serveRequest reads request id's parameters, runs the handler with its
// body as a stream, and ends the request: the Running stage (stages.info)
// once the parameters are read, the end of the request (stages.end). broken reports that the
// connection cannot carry another request.
//
// The request's stages end before FCGI_END_REQUEST is sent, as PHP-FPM
// ends them before it finishes the request: when the web server has the
// whole response, the slot already shows the request as finished.
func (s *fcgiServer) serveRequest(id uint16) (broken bool, err error) {
	var began time.Time
	if s.access != nil {
		began = time.Now()
	}
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if s.newContext != nil {
		ctx, cancel = s.newContext()
	}
	s.cancel = cancel
	defer cancel()
	ended := false
	defer func() {
		if !ended {
			s.stages.end()
		}
	}()
	params, err := s.readParams(id)
	if err != nil {
		return true, err
	}
	body := &stdinReader{s: s, id: id}
	w := &fcgiResponse{header: http.Header{}, out: &s.out}
	s.out.id, s.out.buf = id, s.out.buf[:0]
	r, err := newRequest(ctx, params)
	var user string // of the Basic authorization, as PHP-FPM's auth_user
	if err != nil {
		bad := &http.Request{Method: params["REQUEST_METHOD"], URL: &url.URL{RawQuery: params["QUERY_STRING"]}}
		s.stages.info(bad, params["SCRIPT_NAME"], params["SCRIPT_FILENAME"], "")
		http.Error(w, "400 bad request: "+err.Error(), http.StatusBadRequest)
	} else {
		r.Body = body
		user, _, _ = r.BasicAuth()
		s.stages.info(r, params["SCRIPT_NAME"], params["SCRIPT_FILENAME"], user)
		broken = s.runHandler(w, r, params["SCRIPT_NAME"])
	}
	w.finish()
	if err := body.drain(); err != nil {
		return true, err
	}
	if err := s.out.close(); err != nil {
		return true, err
	}
	ended = true
	s.stages.end()
	writeEndRequest(s.bw, id, 0, statusRequestComplete)
	err = s.bw.Flush()
	if s.access != nil {
		s.access.write(fcgiEntry(params, r, user, s.peer, began, w), s.stages)
	}
	return broken, err
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

// readParams reads the FCGI_PARAMS stream of request id.
func (s *fcgiServer) readParams(id uint16) (map[string]string, error) {
	var stream []byte
	for {
		rec, err := s.rr.next()
		if err != nil {
			return nil, err
		}
		switch {
		case rec.typ == typeParams && rec.id == id:
			if len(rec.content) == 0 {
				params := make(map[string]string, 32)
				return params, parseParams(stream, params)
			}
			stream = append(stream, rec.content...)
		case rec.typ == typeBeginRequest:
			writeEndRequest(s.bw, rec.id, 0, statusCantMpxConn)
		case rec.typ == typeAbortRequest && rec.id == id:
			return nil, fmt.Errorf("request %d aborted while sending its parameters", id)
		case rec.typ == typeGetValues:
			if err := s.answerGetValues(rec.content); err != nil {
				return nil, err
			}
		}
	}
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
