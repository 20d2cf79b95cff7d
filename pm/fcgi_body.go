package pm

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// stdinReader is a request's body: the FCGI_STDIN stream, read as the
// handler asks for it.
type stdinReader struct {
	s    *fcgiServer
	id   uint16
	buf  []byte
	done bool
	err  error
}

var errAborted = errors.New("fastcgi request aborted by the web server")

// Read reads the body, record by record.
func (b *stdinReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.done {
			return 0, io.EOF
		}
		if b.err != nil {
			return 0, b.err
		}
		b.fill()
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// fill reads the next record of the stream.
func (b *stdinReader) fill() {
	rec, err := b.s.rr.next()
	switch {
	case err != nil:
		b.err = err
	case rec.typ == typeStdin && rec.id == b.id:
		b.buf = rec.content
		b.done = len(rec.content) == 0
	case rec.typ == typeAbortRequest && rec.id == b.id:
		b.err = errAborted
		b.s.cancel()
	case rec.typ == typeBeginRequest:
		writeEndRequest(b.s.bw, rec.id, 0, statusCantMpxConn)
	case rec.typ == typeGetValues:
		b.err = b.s.answerGetValues(rec.content)
	}
}

// Close lets the handler close the body; the rest is drained later.
func (b *stdinReader) Close() error { return nil }

// drain reads what the handler left of the stream, so the connection can
// carry the next request. An abort is not an error of the connection.
func (b *stdinReader) drain() error {
	for !b.done && b.err == nil {
		b.buf = nil
		b.fill()
	}
	if b.err == errAborted {
		return nil
	}
	return b.err
}

// fcgiResponse writes a CGI response (a Status line, headers, a blank
// line, the body) into the FCGI_STDOUT stream. As with net/http, the
// header goes out with the first bytes of the body (or at the end), so a
// Content-Type left unset is sniffed from them.
type fcgiResponse struct {
	header http.Header
	out    *streamWriter
	code   int  // set by WriteHeader or the first Write
	sent   bool // the header is in the stream
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
	w.out.Flush()
}

// finish sends the header if the handler wrote nothing.
func (w *fcgiResponse) finish() { w.sendHeader(nil) }
