package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestServeCacheCounter: the demo page's ?cache=KEY counts in one counter
// for every worker: N requests served by several workers see 1 to N, each
// once; "fpmshm cache" then reads the counter, the keys and the figures
// from the master's shared memory, and the status page's OpenMetrics
// output has the caches' series.
func TestServeCacheCounter(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pidfile, _ := startServe(t, "-listen", "", "-http", addr, "-pm", "static", "-pm.max_children", "3", "-cache", "extra=1M,refuse")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	testproc.WaitUntil(t, "the pool to answer", 10*time.Second, func() bool {
		code, _, _ := get(client, "http://"+addr+"/ping")
		return code == 200
	})
	const clients, each = 4, 10
	counter := regexp.MustCompile(`(?m)^worker pid (\d+), .*\ncounter "visits" = (\d+), shared by every worker \(cache demo\)$`)
	var mu sync.Mutex
	seen, pids := map[int]int{}, map[string]bool{}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Each client's first request holds its worker, so that
				// the first requests, made at once, have to be served by
				// several workers.
				hold := ""
				if i == 0 {
					hold = "&sleep=300ms"
				}
				code, body, err := get(client, "http://"+addr+"/?cache=visits"+hold)
				m := counter.FindStringSubmatch(body)
				if err != nil || code != 200 || m == nil {
					t.Errorf("?cache=visits: %d %q %v", code, body, err)
					return
				}
				n, _ := strconv.Atoi(m[2])
				mu.Lock()
				seen[n]++
				pids[m[1]] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for n := 1; n <= clients*each; n++ {
		if seen[n] != 1 {
			t.Errorf("the counter value %d was shown %d times, want once", n, seen[n])
		}
	}
	if len(pids) < 2 {
		t.Errorf("every request was served by worker %v; want several", pids)
	}
	for _, key := range []string{"a", "b"} {
		get(client, "http://"+addr+"/?cache="+key)
	}

	cache := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := run(t, append([]string{"cache", "-pidfile", pidfile}, args...)...)
		if code != wantCode {
			t.Fatalf("fpmshm cache %q: exit %d, want %d; %s%s", args, code, wantCode, out, errOut)
		}
		return out, errOut
	}
	if out, _ := cache(0, "-cache", "demo", "-counter", "get", "visits"); out != "40\n" {
		t.Errorf("get -counter visits: %q, want 40", out)
	}
	if out, _ := cache(0, "-cache", "demo", "get", "visits"); out != `"(\x00\x00\x00\x00\x00\x00\x00"`+"\n" {
		t.Errorf("get visits: %q, want the 8 bytes of 40, Go-quoted", out)
	}
	if out, _ := cache(0, "-cache", "demo", "-raw", "get", "visits"); out != "(\x00\x00\x00\x00\x00\x00\x00" {
		t.Errorf("get -raw visits: %q, want the 8 bytes of 40", out)
	}
	if _, errOut := cache(1, "-cache", "demo", "get", "nothing"); !strings.Contains(errOut, "no entry for nothing") {
		t.Errorf("get of an absent key: %q", errOut)
	}
	if _, errOut := cache(1, "get", "visits"); !strings.Contains(errOut, "holds the caches demo, extra: choose one with -cache") {
		t.Errorf("get without -cache in a pool of two caches: %q", errOut)
	}
	if out, _ := cache(0, "-cache", "demo", "keys"); !sameLines(out, "a\nb\nvisits\n") {
		t.Errorf("keys: %q, want a, b and visits", out)
	}
	if out, errOut := cache(0, "-cache", "demo", "-limit", "2", "keys"); strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "listed 2 of about 3 keys") {
		t.Errorf("keys -limit 2: %q, %q", out, errOut)
	}
	out, _ := cache(0, "stats")
	demo, extra, ok := strings.Cut(out, "\n\n")
	for _, want := range []string{"cache:        demo\n", "size:         8388608\n", "policy:       evict\n", "entries:      3\n", "stored bytes: 32\n", "incrs:        42\n"} {
		if !ok || !strings.Contains(demo, want) {
			t.Errorf("stats of demo lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"cache:        extra\n", "size:         1048576\n", "policy:       refuse\n", "entries:      0\n"} {
		if !ok || !strings.Contains(extra, want) {
			t.Errorf("stats of extra lacks %q:\n%s", want, out)
		}
	}
	_, page, _ := get(client, "http://"+addr+"/status?openmetrics")
	tool, _, _ := run(t, "status", "-pidfile", pidfile, "-openmetrics")
	for _, want := range []string{"\nfpmshm_cache_entries{pool=\"www\",cache=\"demo\"} 3\n", "\nfpmshm_cache_size_bytes{pool=\"www\",cache=\"extra\"} 1048576\n"} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q:\n%s", want, page)
		}
		if !strings.Contains(tool, want) {
			t.Errorf("fpmshm status -openmetrics lacks %q:\n%s", want, tool)
		}
	}
}

// sameLines reports whether a and b hold the same lines in any order.
func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) != len(lb) {
		return false
	}
	count := map[string]int{}
	for i := range la {
		count[la[i]]++
		count[lb[i]]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestServeCacheReload: caches declared in the pool file are kept by a
// reload, with their entries; a new size in the file takes a restart, and
// the log says so.
func TestServeCacheReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "www.conf")
	write := func(size string) {
		conf := "[www]\npm = static\npm.max_children = 2\nping.path = /ping\ncache.demo = 0\ncache.pages = " + size + "\n"
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1M")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pidfile := filepath.Join(t.TempDir(), "fpmshm.pid")
	cmd := testproc.Command(t, "fpmshm", "serve", "-pid", pidfile, "-y", file, "-listen", "", "-http", addr, "-cache", "pages2=64k")
	var logged syncBuffer
	cmd.Stderr = io.MultiWriter(&logged, os.Stderr)
	d := startDaemon(t, cmd)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	testproc.WaitUntil(t, "the pool to answer", 10*time.Second, func() bool {
		code, _, _ := get(client, "http://"+addr+"/ping")
		return code == 200
	})
	if _, body, _ := get(client, "http://"+addr+"/?cache=n"); !strings.Contains(body, `no shared counter: pm: cache "demo": no such cache (the pool declares: pages, pages2)`) {
		t.Errorf("with cache.demo = 0, the demo page says:\n%s", body)
	}
	out, errOut, code := run(t, "cache", "-pidfile", pidfile, "stats")
	if code != 0 || !strings.Contains(out, "cache:        pages\nsize:         1048576\n") || !strings.Contains(out, "cache:        pages2\nsize:         65536\n") {
		t.Fatalf("stats: exit %d\n%s%s", code, out, errOut)
	}
	write("2M")
	d.cmd.Process.Signal(syscall.SIGUSR2)
	want := "caches pages=1M pages2=64k (not pages=2M pages2=64k)"
	testproc.WaitUntil(t, "the log to say the caches were kept", 10*time.Second, func() bool { return strings.Contains(logged.String(), want) })
	if out, _, _ := run(t, "cache", "-pidfile", pidfile, "-cache", "pages", "stats"); !strings.Contains(out, "size:         1048576\n") {
		t.Errorf("after the reload, pages is\n%s", out)
	}
}
