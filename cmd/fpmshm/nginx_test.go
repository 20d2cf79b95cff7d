package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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
	waitUntil(t, "ping through nginx", 10*time.Second, func() bool {
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
	waitUntil(t, "the access log to hold every request", 5*time.Second, func() bool {
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
