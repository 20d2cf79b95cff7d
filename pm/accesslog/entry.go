package accesslog

import (
	"net/http"
	"strings"
	"time"
)

// Entry is what the access log knows of one finished request.
type Entry struct {
	Pool string
	PID  int
	PPID int
	// RemoteAddr is what %R prints. php-fpm prints there the address of
	// the peer of the FastCGI connection (the web server, or "-" on a unix
	// socket), not the REMOTE_ADDR parameter.
	RemoteAddr string
	// RemoteUser is what %u prints. php-fpm prints there the user of the
	// request's HTTP Basic authorization, not the REMOTE_USER parameter.
	RemoteUser string
	Method     string
	// URI is the request URI without the query, as the scoreboard shows
	// it (SCRIPT_NAME, for php-fpm).
	URI           string
	Query         string
	Script        string // SCRIPT_FILENAME
	ContentLength int64
	Status        int
	Accepted      time.Time // when the request was received
	Finished      time.Time // when the log line is written
	Duration      time.Duration
	CPUUser       time.Duration
	CPUSystem     time.Duration
	Memory        uint64 // bytes the request allocated (php-fpm: its peak memory)
	// Env returns a request variable (FastCGI parameter) by name, and
	// whether the request has it. It may be nil.
	Env func(name string) (string, bool)
	// Header returns a response header by name, "" when absent. php-fpm
	// looks the name up exactly (case-sensitively) among the headers the
	// script set, takes the first, and does not see Content-Type. It may
	// be nil.
	Header func(name string) string
}

// ResponseHeader returns the Header lookup of a response whose header is
// h, as php-fpm's %{NAME}o looks a name up: exactly as written (Go's
// handlers write canonical names), its first value, and never
// Content-Type.
func ResponseHeader(h http.Header) func(name string) string {
	return func(name string) string {
		if v := h[name]; len(v) > 0 && !strings.EqualFold(name, "Content-Type") {
			return v[0]
		}
		return ""
	}
}
