package pm

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

// TestHijackRefused: a handler asking for the connection (http.Hijacker,
// through http.ResponseController) gets http.ErrNotSupported over HTTP,
// with the access log or without, and over FastCGI; the worker goes on
// answering on its own.
func TestHijackRefused(t *testing.T) {
	for _, access := range []bool{false, true} {
		cfg := Config{PM: Static, MaxChildren: 1}
		if access {
			cfg.AccessLog = filepath.Join(t.TempDir(), "access.log")
		}
		p := startPool(t, cfg)
		p.waitProcs(1, 10*time.Second)
		code, body, err := p.get("/?hijack")
		if err != nil || code != 200 || !strings.HasPrefix(body, "hijack refused\nok ") {
			t.Errorf("HTTP (access log %v): %d %q %v, want the hijack refused", access, code, body, err)
		}
		cl, err := fcgitest.Dial(p.cfg.Listen)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cl.Do(fcgitest.Get("/index.php", "hijack"))
		cl.Close()
		if err != nil || !bytes.HasPrefix(resp.Body, []byte("hijack refused\nok ")) {
			t.Errorf("FastCGI: %v, want the hijack refused", err)
		}
		p.waitFor("the worker to be idle", 5*time.Second, func() bool { return p.snap().Pool.Active == 0 })
	}
}
