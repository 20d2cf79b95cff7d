package pm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/status"
	"github.com/fpmshm/fpmshm/status/promcollector"
)

// envOwnServer names the unix socket where helperPool's master serves its
// own mux.
const envOwnServer = "FPMSHM_TEST_OWN_SERVER"

// serveOwnMux is a Config.OnStart that does what a program embedding the
// pool does: on its own mux, at sock, /metrics from a promcollector over
// the Pool's Source and its status page at /admin/status.
func serveOwnMux(sock string) func(*Pool) {
	return func(p *Pool) {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(promcollector.NewCollector(p.Source(), promcollector.CollectorOpts{Allocated: shm.Allocated}))
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
		mux.Handle("/admin/status", &status.Handler{Source: p.Source()})
		l, err := net.Listen("unix", sock)
		if err != nil {
			fmt.Fprintln(os.Stderr, "own server:", err)
			os.Exit(3)
		}
		go http.Serve(l, mux)
	}
}

// TestOnStartOwnMux: a master embedding the pool serves /metrics through
// promcollector and the status page on its own mux, from Pool.Source.
// Scrapes made at once show the pool's series, its caches' and each of
// its workers' by pid; the status page lists the same workers.
func TestOnStartOwnMux(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "own.sock")
	t.Setenv(envOwnServer, sock)
	p := startPool(t, Config{PM: Static, MaxChildren: 2, Caches: map[string]CacheConfig{"test": {Size: 1 << 20}}})
	pids := p.waitProcs(2, 10*time.Second)
	if code, body, err := p.get("/cache?set=a&v=1"); err != nil || code != 200 {
		t.Fatalf("set a cache entry: %d %q %v", code, body, err)
	}
	p.waitFor("the master's own server", 10*time.Second, func() bool {
		_, err := os.Stat(sock)
		return err == nil
	})
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	defer client.CloseIdleConnections()
	get := func(path string) string {
		resp, err := client.Get("http://master" + path)
		if err != nil {
			t.Error(err)
			return ""
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s: %d %v\n%s", path, resp.StatusCode, err, b)
		}
		return string(b)
	}

	scrapes := make([]string, 8)
	var wg sync.WaitGroup
	for i := range scrapes {
		wg.Go(func() { scrapes[i] = get("/metrics") })
	}
	wg.Wait()
	for _, scrape := range scrapes {
		want := []string{
			"\nphpfpm_up{pool=\"www\"} 1\n",
			"\nphpfpm_total_processes{pool=\"www\"} 2\n",
			"\nfpmshm_cache_sets_total{cache=\"test\",pool=\"www\"} 1\n",
			"\nfpmshm_shm_allocated_bytes ",
		}
		for _, pid := range pids {
			want = append(want, fmt.Sprintf("\nphpfpm_process_requests_total{pid=\"%d\",pool=\"www\"} ", pid))
		}
		for _, w := range want {
			if !strings.Contains(scrape, w) {
				t.Errorf("the scrape lacks %q:\n%s", strings.TrimSpace(w), scrape)
			}
		}
		if n := strings.Count(scrape, "\nphpfpm_process_requests_total{"); n != len(pids) {
			t.Errorf("%d workers' series for %d workers (%v):\n%s", n, len(pids), pids, scrape)
		}
	}

	var page struct {
		Pool      string `json:"pool"`
		Processes []struct {
			PID int `json:"pid"`
		} `json:"processes"`
	}
	if err := json.Unmarshal([]byte(get("/admin/status?json&full")), &page); err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, pr := range page.Processes {
		got = append(got, pr.PID)
	}
	if page.Pool != "www" || fmt.Sprint(got) != fmt.Sprint(pids) {
		t.Errorf("the master's own status page: pool %q, pids %v; want www, %v", page.Pool, got, pids)
	}
}
