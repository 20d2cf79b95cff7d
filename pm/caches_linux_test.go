//go:build linux

package pm

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/fpmshm/fpmshm/shmcache"
	"github.com/fpmshm/fpmshm/status"
	"github.com/fpmshm/fpmshm/status/promcollector"
)

// attachCache maps the pool master's cache name, read-only, as a tool does.
func (p *testPool) attachCache(name string) *shmcache.Cache {
	p.t.Helper()
	c, err := shmcache.Attach(p.cmd.Process.Pid, name)
	if err != nil {
		p.t.Fatalf("attach the master's cache %s: %v", name, err)
	}
	p.t.Cleanup(func() { c.Close() })
	return c
}

// must requests path and returns the body of its 200 answer.
func (p *testPool) must(path string) string {
	p.t.Helper()
	code, body, err := p.get(path)
	if err != nil || code != 200 {
		p.t.Fatalf("GET %s: %d %q %v", path, code, body, err)
	}
	return body
}

// TestCacheSharedByWorkers: requests served concurrently by several
// workers increment one counter: N requests see the values 1 to N, each
// once, and the master's cache holds N.
func TestCacheSharedByWorkers(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 3, Caches: map[string]CacheConfig{"test": {Size: 1 << 20}}})
	p.waitProcs(3, 10*time.Second)
	const clients, each = 6, 25
	var mu sync.Mutex
	seen := map[int64]int{}
	pids := map[int]bool{}
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
					hold = "&d=300ms"
				}
				code, body, err := p.get("/cache?incr=hits" + hold)
				var pid int
				var n int64
				if _, serr := fmt.Sscanf(body, "ok %d %d", &pid, &n); err != nil || code != 200 || serr != nil {
					t.Errorf("incr: %d %q %v", code, body, err)
					return
				}
				mu.Lock()
				seen[n]++
				pids[pid] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for n := int64(1); n <= clients*each; n++ {
		if seen[n] != 1 {
			t.Errorf("the value %d was returned %d times, want once", n, seen[n])
		}
	}
	if len(seen) != clients*each {
		t.Errorf("%d distinct values for %d increments", len(seen), clients*each)
	}
	if len(pids) < 2 {
		t.Errorf("the %d requests were all served by %v; want several workers", clients*each, pids)
	}
	v, ok := p.attachCache("test").Get([]byte("hits"))
	if !ok || len(v) != 8 || binary.LittleEndian.Uint64(v) != clients*each {
		t.Errorf("the master's cache holds %x (%v), want the counter %d", v, ok, clients*each)
	}
}

// TestCacheSurvivesReload: a value set through one generation of workers
// is read back by the next, after SIGUSR2 replaced them all.
func TestCacheSurvivesReload(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 2, Caches: map[string]CacheConfig{"test": {Size: 1 << 20}}})
	old := p.waitProcs(2, 10*time.Second)
	p.must("/cache?set=greeting&v=hello")
	p.must("/cache?incr=n")
	p.signal(syscall.SIGUSR2)
	p.waitFor("a new generation of workers", 10*time.Second, func() bool {
		now := p.pids()
		if len(now) != 2 {
			return false
		}
		for _, pid := range now {
			if pid == 0 || slices.Contains(old, pid) {
				return false
			}
		}
		return true
	})
	var pid int
	var v string
	body := p.must("/cache?get=greeting")
	if _, err := fmt.Sscanf(body, "ok %d %s", &pid, &v); err != nil || v != "hello" {
		t.Fatalf("after the reload, get answers %q, want hello", body)
	}
	if slices.Contains(old, pid) {
		t.Fatalf("the answer came from worker %d of the old generation %v", pid, old)
	}
	var n int64
	if _, err := fmt.Sscanf(p.must("/cache?incr=n"), "ok %d %d", &pid, &n); err != nil || n != 2 {
		t.Errorf("the counter after the reload went to %d, want 2", n)
	}
}

// cachePoolSource is a status.CacheSource over a running pool's scoreboard
// and caches, attached read-only.
type cachePoolSource struct {
	status.Source
	caches map[string]*shmcache.Cache
}

func (s cachePoolSource) CacheStats() []status.CacheStats {
	var out []status.CacheStats
	for _, name := range []string{"small", "test"} {
		out = append(out, status.CacheStats{Name: name, Stats: s.caches[name].Stats()})
	}
	return out
}

// cacheSeries is what the fpmshm_cache_* series of pool www's caches must
// say, from the caches' own Stats; labels formats a series' labels from
// the cache's name.
func cacheSeries(caches map[string]*shmcache.Cache, labels string, names ...string) string {
	var b strings.Builder
	for _, f := range []struct {
		name string
		v    func(shmcache.Stats) any
	}{
		{"fpmshm_cache_size_bytes", func(s shmcache.Stats) any { return s.Size }},
		{"fpmshm_cache_entries", func(s shmcache.Stats) any { return s.Entries }},
		{"fpmshm_cache_stored_bytes", func(s shmcache.Stats) any { return s.Bytes }},
		{"fpmshm_cache_used_bytes", func(s shmcache.Stats) any { return s.Used }},
		{"fpmshm_cache_free_bytes", func(s shmcache.Stats) any { return s.Free }},
		{"fpmshm_cache_hits_total", func(s shmcache.Stats) any { return s.Hits }},
		{"fpmshm_cache_misses_total", func(s shmcache.Stats) any { return s.Misses }},
		{"fpmshm_cache_sets_total", func(s shmcache.Stats) any { return s.Sets }},
		{"fpmshm_cache_evictions_total", func(s shmcache.Stats) any { return s.Evictions }},
		{"fpmshm_cache_expirations_total", func(s shmcache.Stats) any { return s.Expirations }},
	} {
		for _, name := range names {
			fmt.Fprintf(&b, "%s{%s} %v\n", f.name, fmt.Sprintf(labels, name), f.v(caches[name].Stats()))
		}
	}
	return b.String()
}

// TestCacheMetrics: the status page's OpenMetrics output, served by a
// worker and by the master on pm.status_listen, and a Collector over the
// pool's shared memory, give each cache's figures, equal to what the
// cache's own Stats say, including evictions under pressure.
func TestCacheMetrics(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "status.sock")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, StatusListen: sock, Caches: map[string]CacheConfig{
		"test":  {Size: 1 << 20},
		"small": {Size: shmcache.MinSize},
	}})
	p.waitProcs(1, 10*time.Second)
	p.must("/cache?set=a&v=1")
	p.must("/cache?get=a")
	p.must("/cache?get=a")
	if code, body, err := p.get("/cache?get=b"); err != nil || code != 404 {
		t.Fatalf("get of an absent key: %d %q %v", code, body, err)
	}
	if body := p.must("/cache?c=small&fill=300&size=200"); !strings.HasSuffix(body, " 0") {
		t.Fatalf("filling the small cache: %q", body)
	}
	caches := map[string]*shmcache.Cache{"test": p.attachCache("test"), "small": p.attachCache("small")}
	s := caches["test"].Stats()
	if s.Entries != 1 || s.Hits != 2 || s.Misses != 1 || s.Sets != 1 || s.Bytes != 2 || s.Size != 1<<20 {
		t.Fatalf("cache test: %+v; want 1 entry of 2 bytes, 2 hits, 1 miss, 1 set, 1 MiB", s)
	}
	if caches["small"].Stats().Evictions == 0 {
		t.Fatalf("filling the small cache evicted nothing: %+v", caches["small"].Stats())
	}
	want := cacheSeries(caches, `pool="www",cache="%s"`, "small", "test")

	page := p.must("/status?openmetrics")
	master := statusOverFastCGI(t, sock, "openmetrics&full")
	for who, page := range map[string]string{"worker": page, "master": master} {
		if !strings.HasSuffix(page, "# EOF\n") || !strings.HasPrefix(page, "# HELP phpfpm_up") {
			t.Errorf("%s's page does not start and end as php-fpm's:\n%s", who, page)
		}
		var got []string
		for _, line := range strings.Split(page, "\n") {
			if strings.HasPrefix(line, "fpmshm_cache_") {
				got = append(got, line)
			}
		}
		if g := strings.Join(got, "\n") + "\n"; g != want {
			t.Errorf("%s's page has the cache series\n%s\nwant\n%s", who, g, want)
		}
		if !strings.Contains(page, "# HELP fpmshm_cache_hits The number of reads that found their key.\n# TYPE fpmshm_cache_hits counter\n") {
			t.Errorf("%s's page lacks the HELP and TYPE of fpmshm_cache_hits:\n%s", who, page)
		}
	}

	col := promcollector.NewCollector(cachePoolSource{p.board, caches}, promcollector.CollectorOpts{PoolOnly: true})
	var exp strings.Builder // the exposition CollectAndCompare reads has its labels sorted
	for _, line := range strings.Split(strings.TrimSuffix(cacheSeries(caches, `cache="%s",pool="www"`, "small", "test"), "\n"), "\n") {
		name := line[:strings.IndexByte(line, '{')]
		if !strings.Contains(exp.String(), "# TYPE "+name+" ") {
			typ := "gauge"
			if strings.HasSuffix(name, "_total") {
				typ = "counter"
			}
			fmt.Fprintf(&exp, "# HELP %s %s\n# TYPE %s %s\n", name, cacheHelp(t, page, strings.TrimSuffix(name, "_total")), name, typ)
		}
		exp.WriteString(line + "\n")
	}
	var names []string
	for _, line := range strings.Split(exp.String(), "\n") {
		if n, ok := strings.CutPrefix(line, "# TYPE "); ok {
			names = append(names, n[:strings.IndexByte(n, ' ')])
		}
	}
	if err := testutil.CollectAndCompare(col, strings.NewReader(exp.String()), names...); err != nil {
		t.Errorf("the Collector's cache series: %v", err)
	}
	if problems, err := testutil.CollectAndLint(col, names...); err != nil || len(problems) > 0 {
		t.Errorf("lint of the cache series: %v %v", problems, err)
	}
}

// cacheHelp returns the HELP text of family name on page.
func cacheHelp(t *testing.T, page, name string) string {
	_, rest, ok := strings.Cut(page, "# HELP "+name+" ")
	if !ok {
		t.Fatalf("no HELP for %s on the page", name)
	}
	return rest[:strings.IndexByte(rest, '\n')]
}
