package pm

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"time"
)

// httpResponse is the http.ResponseWriter a handler gets over HTTP:
// net/http's, remembering the status for the access log, and refusing
// Hijack. A hijacked connection would go on being written to after the
// worker counts the request finished and serves the next one, a second
// writer beside the worker's slot; so it is refused, as it is over FastCGI.
type httpResponse struct {
	w    http.ResponseWriter
	code int
}

// errHijack is what Hijack returns; it matches http.ErrNotSupported.
var errHijack = fmt.Errorf("fpmshm: a worker serves one request at a time and does not hand its connection over: %w", http.ErrNotSupported)

// Header returns the response header.
func (w *httpResponse) Header() http.Header { return w.w.Header() }

// WriteHeader records the first final status and passes it on.
func (w *httpResponse) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.w.WriteHeader(code)
}

// Write records the implied 200 and passes p on.
func (w *httpResponse) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.w.Write(p)
}

// status is the status sent: 200 when the handler set none.
func (w *httpResponse) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Hijack refuses to hand the connection over: it returns an error
// matching http.ErrNotSupported.
func (w *httpResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errHijack }

// Flush sends what was written so far.
func (w *httpResponse) Flush() { w.FlushError() }

// FlushError sends what was written so far, for http.ResponseController.
func (w *httpResponse) FlushError() error { return http.NewResponseController(w.w).Flush() }

// SetReadDeadline is http.ResponseController's, passed on.
func (w *httpResponse) SetReadDeadline(t time.Time) error {
	return http.NewResponseController(w.w).SetReadDeadline(t)
}

// SetWriteDeadline is http.ResponseController's, passed on.
func (w *httpResponse) SetWriteDeadline(t time.Time) error {
	return http.NewResponseController(w.w).SetWriteDeadline(t)
}

// EnableFullDuplex is http.ResponseController's, passed on.
func (w *httpResponse) EnableFullDuplex() error {
	return http.NewResponseController(w.w).EnableFullDuplex()
}
