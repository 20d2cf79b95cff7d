package pm

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

// TestStatusListenWhileBusy: with pm.status_listen, the master answers the
// status page and ping on its own socket while the pool's only worker is
// busy, and a script that is neither is not found.
func TestStatusListenWhileBusy(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "status.sock")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, StatusListen: sock})
	p.waitProcs(1, 10*time.Second)
	busy := make(chan error, 1)
	go func() {
		_, _, err := p.get("/?d=3s")
		busy <- err
	}()
	p.waitFor("the worker to be busy", 5*time.Second, func() bool { return p.snap().Pool.Active == 1 })

	ask := func(script, query string) string {
		c, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		out, _ := fcgiRequest(t, fcgitest.NewClient(c), 1, false, map[string]string{
			"REQUEST_METHOD": "GET", "SCRIPT_NAME": script, "SCRIPT_FILENAME": script, "QUERY_STRING": query,
		})
		return out
	}
	began := time.Now()
	out := ask("/status", "json")
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("the status page took %v while the worker was busy", took)
	}
	_, body, ok := strings.Cut(out, "\r\n\r\n")
	var page map[string]any
	if !ok || json.Unmarshal([]byte(body), &page) != nil {
		t.Fatalf("status over pm.status_listen: %q", out)
	}
	if page["active processes"] != 1.0 || page["total processes"] != 1.0 || page["pool"] != "www" {
		t.Errorf("status while the only worker is busy: %v", page)
	}
	if out := ask("/ping", ""); !strings.HasSuffix(out, "\r\n\r\npong") {
		t.Errorf("ping over pm.status_listen: %q", out)
	}
	if out := ask("/index.php", ""); !strings.HasPrefix(out, "Status: 404") {
		t.Errorf("another script over pm.status_listen: %q", out)
	}
	if err := <-busy; err != nil {
		t.Errorf("the long request: %v", err)
	}
}
