package status

import "net/http"

// DefaultPingResponse is php-fpm's default ping.response.
const DefaultPingResponse = "pong"

// PingHandler answers php-fpm's ping (ping.path): 200, text/plain, the
// cache headers, and Response as the body (none for HEAD).
type PingHandler struct {
	Response      string // empty means DefaultPingResponse
	PHPHeaderCase bool   // as Handler.PHPHeaderCase
}

// Ping returns a PingHandler answering response.
func Ping(response string) *PingHandler { return &PingHandler{Response: response} }

// ServeHTTP answers one ping.
func (p *PingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setHeaders(w.Header(), Text.ContentType(), p.PHPHeaderCase)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	body := p.Response
	if body == "" {
		body = DefaultPingResponse
	}
	_, _ = w.Write([]byte(body))
}
