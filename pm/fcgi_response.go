package pm

import (
	"fmt"
	"io"
	"net/http"

	"github.com/fpmshm/fpmshm/internal/fcgi"
)

// fcgiResponse writes a CGI response (a Status line, headers, a blank
// line, the body) into the FCGI_STDOUT stream. As with net/http, the
// header goes out with the first bytes of the body (or at the end), so a
// Content-Type left unset is sniffed from them. A write to the web server
// that fails cancels the request's context.
type fcgiResponse struct {
	header http.Header
	fc     *fcgi.Conn // its Stdout is the stream
	out    stdout
	code   int  // set by WriteHeader or the first Write
	sent   bool // the header is in the stream
}

// newFCGIResponse is the response to the request of fc whose context
// cancel cancels.
func newFCGIResponse(fc *fcgi.Conn, cancel func()) *fcgiResponse {
	return &fcgiResponse{header: http.Header{}, fc: fc, out: stdout{fc.Stdout(), cancel}}
}

// stdout is a response's FCGI_STDOUT stream: a write that fails (the
// stream's buffer went to the web server, and that failed) calls failed.
type stdout struct {
	w      io.Writer
	failed func()
}

// Write writes p to the stream.
func (s stdout) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		s.failed()
	}
	return n, err
}

// Header returns the response header, sent with the first bytes.
func (w *fcgiResponse) Header() http.Header { return w.header }

// WriteHeader sets the status; the first call wins.
func (w *fcgiResponse) WriteHeader(code int) {
	if w.code != 0 || code < 200 {
		return // a CGI response has one status; 1xx cannot be sent
	}
	w.code = code
}

// sendHeader puts the status and header in the stream, sniffing the
// content type from body when none was set.
func (w *fcgiResponse) sendHeader(body []byte) {
	if w.sent {
		return
	}
	w.sent = true
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if _, typed := w.header["Content-Type"]; !typed && len(body) > 0 && w.code != http.StatusNotModified {
		w.header.Set("Content-Type", http.DetectContentType(body))
	}
	fmt.Fprintf(w.out, "Status: %d %s\r\n", w.code, http.StatusText(w.code))
	w.header.Write(w.out)
	io.WriteString(w.out, "\r\n")
}

// Write sends the header if not yet sent, then p.
func (w *fcgiResponse) Write(p []byte) (int, error) {
	w.sendHeader(p)
	return w.out.Write(p)
}

// Flush sends what was written so far to the web server.
func (w *fcgiResponse) Flush() {
	w.sendHeader(nil)
	if err := w.fc.Flush(); err != nil {
		w.out.failed()
	}
}

// finish sends the header if the handler wrote nothing.
func (w *fcgiResponse) finish() { w.sendHeader(nil) }
