package pm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

// askStatusListen sends a GET of script?query to the master's
// pm.status_listen at sock and returns its FCGI_STDOUT: header and body.
func askStatusListen(t *testing.T, sock, script, query string) string {
	t.Helper()
	cl, err := fcgitest.Dial(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out, _ := fcgiRequest(t, cl, 1, false, map[string]string{
		"REQUEST_METHOD": "GET", "SCRIPT_NAME": script, "SCRIPT_FILENAME": script, "QUERY_STRING": query,
	})
	return out
}

// statusOverFastCGI asks the master for its status page on sock
// (pm.status_listen) and returns the body.
func statusOverFastCGI(t *testing.T, sock, query string) string {
	t.Helper()
	out := askStatusListen(t, sock, "/status", query)
	_, body, ok := strings.Cut(out, "\r\n\r\n")
	if !ok {
		t.Fatalf("status over pm.status_listen: %q", out)
	}
	return body
}

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

	began := time.Now()
	out := askStatusListen(t, sock, "/status", "json")
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
	if out := askStatusListen(t, sock, "/ping", ""); !strings.HasSuffix(out, "\r\n\r\npong") {
		t.Errorf("ping over pm.status_listen: %q", out)
	}
	if out := askStatusListen(t, sock, "/index.php", ""); !strings.HasPrefix(out, "Status: 404") {
		t.Errorf("another script over pm.status_listen: %q", out)
	}
	if err := <-busy; err != nil {
		t.Errorf("the long request: %v", err)
	}
}

// TestListenQueueLenAtStart: the master's first status page, asked for at
// once, shows the listen queue's size, as the workers' page does, not 0
// until the first maintenance a second later.
func TestListenQueueLenAtStart(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "status.sock")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, StatusListen: sock, ListenBacklog: 37})
	p.waitFor("the status socket", 5*time.Second, func() bool { _, err := os.Stat(sock); return err == nil })
	var page map[string]any
	if err := json.Unmarshal([]byte(statusOverFastCGI(t, sock, "json")), &page); err != nil {
		t.Fatal(err)
	}
	if got := page["listen queue len"]; got != float64(2*37) {
		t.Errorf("listen queue len in the master's first status: %v, want %d (listen.backlog of the FastCGI and HTTP sockets)", got, 2*37)
	}
}
