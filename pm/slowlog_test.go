package pm

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSlowlogTrace: a request running past request_slowlog_timeout makes
// its worker write PHP-FPM's slowlog header and the stacks of its
// goroutines, the handler's among them, to the slowlog, and the request
// still completes.
func TestSlowlogTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slow.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, RequestSlowlogTimeout: time.Second, Slowlog: path})
	pid := p.waitProcs(1, 10*time.Second)[0]
	if code, body, err := p.get("/?d=2500ms"); err != nil || code != 200 || body != "ok "+strconv.Itoa(pid) {
		t.Fatalf("slow request: %d %q %v", code, body, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	trace := string(b)
	header := "]  [pool www] pid " + strconv.Itoa(pid) + "\nscript_filename = \n"
	if !strings.HasPrefix(trace, "\n[") || !strings.Contains(trace, header) || strings.Count(trace, header) != 1 {
		t.Fatalf("slowlog does not hold one trace with PHP-FPM's header %q:\n%s", header, trace)
	}
	if _, err := time.Parse("02-Jan-2006 15:04:05", trace[2:strings.Index(trace, "]")]); err != nil {
		t.Errorf("slowlog time: %v", err)
	}
	if !strings.Contains(trace, "goroutine ") || !strings.Contains(trace, "time.Sleep") || !strings.Contains(trace, "testHandler") {
		t.Errorf("the trace does not show the handler asleep:\n%s", trace)
	}
}
