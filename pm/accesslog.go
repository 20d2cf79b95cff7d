package pm

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// accessLog writes a worker's access log (access.log): one line per
// request in access.format, each in one write(2) to the file the master
// opened for appending, so that the lines of all the pool's workers
// interleave whole.
type accessLog struct {
	f         *os.File
	format    *accessFormat
	pool      string
	pid, ppid int
	log       *slog.Logger
	buf       []byte
	failing   bool // the last write failed (logged once per episode)
}

// newAccessLog takes up the access log handed over as fd, written in
// format.
func newAccessLog(fd int, format, pool string, log *slog.Logger) (*accessLog, error) {
	if fd < 0 {
		return nil, fmt.Errorf("worker hand-over: access.format is set but %s is missing", envAccessFD)
	}
	f, err := parseAccessFormat(format)
	if err != nil {
		return nil, fmt.Errorf("worker: access.format: %w", err)
	}
	file := os.NewFile(uintptr(fd), "access.log")
	syscall.CloseOnExec(fd) // not for the handler's own children
	return &accessLog{f: file, format: f, pool: pool, pid: os.Getpid(), ppid: os.Getppid(), log: log}, nil
}

// write completes e with what the worker knows (the pool, the pids, the
// request's CPU time and memory as st measured them, the time now) and
// writes its line. A failed write is logged, once until writes succeed
// again; the request is not affected.
func (a *accessLog) write(e *accessEntry, st *stages) {
	e.Pool, e.PID, e.PPID = a.pool, a.pid, a.ppid
	e.Finished = time.Now()
	e.Duration = e.Finished.Sub(e.Accepted)
	e.CPUUser, e.CPUSystem, e.Memory = st.cpuLast.user, st.cpuLast.system, st.memLast
	a.buf = a.format.appendEntry(a.buf[:0], e)
	if len(a.buf) == 0 {
		return // PHP-FPM writes no empty line
	}
	a.buf = append(a.buf, '\n')
	_, err := a.f.Write(a.buf)
	switch {
	case err != nil && !a.failing:
		a.log.Error("write to the access log", "err", err)
		a.failing = true
	case err == nil:
		a.failing = false
	}
}

// close closes the worker's descriptor of the log.
func (a *accessLog) close() { a.f.Close() }

// httpEntry is the access log entry of a request served over HTTP, where
// the CGI variables %{NAME}e asks for are derived from the request.
func httpEntry(r *http.Request, began time.Time, user string, w *httpResponse) *accessEntry {
	peer := peerHost(r.RemoteAddr)
	return &accessEntry{
		RemoteAddr: peer, RemoteUser: user, Method: r.Method, URI: r.URL.Path, Query: r.URL.RawQuery,
		ContentLength: max(r.ContentLength, 0), Status: w.status(), Accepted: began,
		Env:    func(name string) (string, bool) { return cgiVariable(r, peer, name) },
		Header: responseHeader(w.Header()),
	}
}

// fcgiEntry is the access log entry of a request served over FastCGI,
// from its parameters, its request (nil when it could not be made), its
// Basic authorization user and the peer of the connection (%R is the web
// server's address, as in PHP-FPM: "" on a unix socket).
func fcgiEntry(params map[string]string, r *http.Request, user, peer string, began time.Time, w *fcgiResponse) *accessEntry {
	e := &accessEntry{
		RemoteAddr: peer, RemoteUser: user, Method: params["REQUEST_METHOD"],
		URI: params["SCRIPT_NAME"], Query: params["QUERY_STRING"], Script: params["SCRIPT_FILENAME"],
		Status: w.code, Accepted: began,
		Env: func(name string) (string, bool) {
			v, ok := params[name]
			return v, ok
		},
		Header: responseHeader(w.header),
	}
	if r != nil {
		e.ContentLength = max(r.ContentLength, 0)
	}
	return e
}

// peerHost is the host of a "host:port" peer address; "" for a peer
// without one (a unix socket).
func peerHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return host
}

// responseHeader looks a response header up as PHP-FPM's %{NAME}o does:
// by the name exactly as written (Go's handlers write canonical names),
// its first value, and never Content-Type.
func responseHeader(h http.Header) func(string) string {
	return func(name string) string {
		if v := h[name]; len(v) > 0 && !strings.EqualFold(name, "Content-Type") {
			return v[0]
		}
		return ""
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
