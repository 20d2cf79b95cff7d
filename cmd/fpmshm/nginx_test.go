package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestBehindNginx runs fpmshm serve behind a real nginx (fastcgi_pass), as
// php-fpm runs: 2,000 requests at concurrency 32 all answer 200 with the
// demo page, each logged once, whole, in the access log; the status page's
// accepted conn counts exactly the requests sent; cgi-fcgi reads the
// status page and ping straight from the FastCGI socket.
func TestBehindNginx(t *testing.T) {
	fcgi := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	accessLog := filepath.Join(t.TempDir(), "access.log")
	startServe(t, "-listen", fcgi, "-http", "", "-access.log", accessLog, "-access.format", "%R %m %r%Q%q %s %f")
	base := startNginx(t, fcgi)
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	defer client.CloseIdleConnections()

	sent := 0
	testproc.WaitUntil(t, "ping through nginx", 10*time.Second, func() bool {
		sent++
		code, body, err := get(client, base+"/ping")
		return err == nil && code == 200 && body == "pong"
	})

	const total, concurrency = 2000, 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := map[string]int{}
	next := make(chan int, total)
	for i := range total {
		next <- i
	}
	close(next)
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				code, body, err := get(client, fmt.Sprintf("%s/index.php?n=%d", base, i))
				if err != nil || code != 200 || !strings.HasPrefix(body, demoBody) ||
					!strings.Contains(body, "SCRIPT_FILENAME /srv/www/index.php") {
					mu.Lock()
					bad[fmt.Sprintf("%d %.60q %v", code, body, err)]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	sent += total
	t.Logf("%d requests at concurrency %d through nginx in %v", total, concurrency, time.Since(start))
	if len(bad) > 0 {
		t.Fatalf("requests that did not answer 200 with the demo page: %v", bad)
	}
	logged := map[string]int{}
	testproc.WaitUntil(t, "the access log to hold every request", 5*time.Second, func() bool {
		b, _ := os.ReadFile(accessLog)
		clear(logged)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "127.0.0.1 GET /index.php?n=") {
				logged[line]++
			}
		}
		return len(logged) == total
	})
	for i := range total {
		line := fmt.Sprintf("127.0.0.1 GET /index.php?n=%d 200 /srv/www/index.php", i)
		if logged[line] != 1 {
			t.Fatalf("access log: %q appears %d times, want once", line, logged[line])
		}
	}

	code, body, err := get(client, base+"/status?json")
	sent++
	if err != nil || code != 200 {
		t.Fatalf("status page through nginx: %d %v", code, err)
	}
	var page map[string]any
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("status page %q: %v", body, err)
	}
	if got := page["accepted conn"]; got != float64(sent) {
		t.Errorf("accepted conn = %v, want the %d requests sent", got, sent)
	}
	if page["pool"] != "www" || page["process manager"] != "dynamic" {
		t.Errorf("status page: pool %v, process manager %v", page["pool"], page["process manager"])
	}
	if mc := page["max active processes"].(float64); mc < 1 || mc > 5 {
		t.Errorf("max active processes = %v with pm.max_children = 5", mc)
	}

	headers, body := cgiFCGI(t, fcgi, "/status", "json")
	sent++
	if !strings.Contains(headers, "Content-Type: application/json") {
		t.Errorf("cgi-fcgi status headers: %q", headers)
	}
	page = nil
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("cgi-fcgi status body %q: %v", body, err)
	}
	if got := page["accepted conn"]; got != float64(sent) {
		t.Errorf("cgi-fcgi: accepted conn = %v, want %d", got, sent)
	}
	headers, body = cgiFCGI(t, fcgi, "/ping", "")
	if body != "pong" || !strings.Contains(headers, "Status: 200") || !strings.Contains(headers, "Cache-Control: no-cache, no-store, must-revalidate, max-age=0") {
		t.Errorf("cgi-fcgi ping: headers %q body %q", headers, body)
	}
}

// TestBehindNginxKeptConnections runs fpmshm serve behind nginx keeping
// its FastCGI connections open (fastcgi_keep_conn on, an upstream
// keepalive pool) under wrk, with a dynamic pool smaller than nginx's
// connections: a worker waiting on a kept connection counts as busy
// (Reading headers), so the pool spawns for the connections queued behind
// it and every request is answered. The status page agrees with what was
// served: each request is one accepted conn, and the only others are the
// waits on kept connections (at most one per connection).
func TestBehindNginxKeptConnections(t *testing.T) {
	wrk := testproc.NeedBinary(t, "wrk")
	fcgi := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	accessLog := filepath.Join(t.TempDir(), "access.log")
	startServe(t, "-listen", fcgi, "-http", "", "-access.log", accessLog, "-access.format", "%m %r",
		"-pm", "dynamic", "-pm.max_children", "12", "-pm.start_servers", "2", "-pm.min_spare_servers", "1", "-pm.max_spare_servers", "3")
	const conns = 8
	base := startNginxKeepAlive(t, fcgi, conns)
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	testproc.WaitUntil(t, "ping through nginx", 10*time.Second, func() bool {
		code, body, err := get(client, base+"/ping")
		return err == nil && code == 200 && body == "pong"
	})

	out, err := exec.Command(wrk, "-t2", fmt.Sprintf("-c%d", conns), "-d4s", "--timeout", "10s", base+"/index.php").CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	var sent int
	for _, line := range strings.Split(string(out), "\n") {
		fmt.Sscanf(strings.TrimSpace(line), "%d requests in", &sent)
		if strings.Contains(line, "Socket errors") || strings.Contains(line, "Non-2xx") {
			t.Errorf("wrk: %s", strings.TrimSpace(line))
		}
	}
	if sent == 0 {
		t.Fatalf("wrk sent no request:\n%s", out)
	}
	t.Logf("wrk -c%d through nginx with %d kept connections: %d requests", conns, conns, sent)

	var logged int
	testproc.WaitUntil(t, "the access log to hold every request", 5*time.Second, func() bool {
		b, _ := os.ReadFile(accessLog)
		logged = strings.Count(string(b), "GET /index.php\n")
		return logged >= sent
	})
	if logged > sent+conns { // wrk does not count those it stopped waiting for
		t.Errorf("access log: %d requests to /index.php, wrk counted %d answers", logged, sent)
	}
	code, body, err := get(client, base+"/status?json&full")
	if err != nil || code != 200 {
		t.Fatalf("status page through nginx: %d %v", code, err)
	}
	var page struct {
		Accepted  int `json:"accepted conn"`
		Processes []struct {
			State    string `json:"state"`
			Requests int    `json:"requests"`
		} `json:"processes"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("status page %q: %v", body, err)
	}
	b, _ := os.ReadFile(accessLog)
	answered := strings.Count(string(b), "\n") + 1 // the status request, logged once it ends
	if page.Accepted < answered || page.Accepted > answered+conns {
		t.Errorf("accepted conn = %d for %d requests answered over at most %d kept connections", page.Accepted, answered, conns)
	}
	t.Logf("accepted conn %d for %d requests answered", page.Accepted, answered)
	held := 0
	for _, p := range page.Processes {
		if p.State == "Reading headers" {
			held++
		}
	}
	if held == 0 || held > conns {
		t.Errorf("%d workers in Reading headers with nginx holding kept connections, want 1 to %d (processes: %+v)", held, conns, page.Processes)
	}
}
