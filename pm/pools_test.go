package pm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shm"
)

func init() { testproc.Register("pools", helperPools) }

// helperPools runs RunPools with the Configs given as JSON in args[0];
// each pool's handler is testHandler, answering with an X-Pool header
// that names the pool the handler was given for.
func helperPools(args []string) int {
	var pools []Config
	if err := json.Unmarshal([]byte(args[0]), &pools); err != nil {
		fmt.Fprintln(os.Stderr, "helper pools:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for i := range pools {
		pools[i].Logger = log
	}
	handler := func(pool string) http.Handler {
		h := testHandler()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Pool", pool)
			h.ServeHTTP(w, r)
		})
	}
	if err := RunPools(context.Background(), pools, handler); err != nil {
		fmt.Fprintln(os.Stderr, "helper pools:", err)
		return 1
	}
	return 0
}

// poolClient is an HTTP client of one pool's unix socket and a
// read-only view of its scoreboard.
type poolClient struct {
	name   string
	client *http.Client
	board  *scoreboard.Board
}

func (c *poolClient) get(t *testing.T, path string) (pool, body string) {
	t.Helper()
	resp, err := c.client.Get("http://pool" + path)
	if err != nil {
		t.Fatalf("pool %s: GET %s: %v", c.name, path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("pool %s: GET %s: %d %q %v", c.name, path, resp.StatusCode, b.String(), err)
	}
	return resp.Header.Get("X-Pool"), b.String()
}

// pids reads the pids of the pool's started workers, sorted.
func (c *poolClient) pids(t *testing.T) []int {
	t.Helper()
	s, err := c.board.Snapshot(true)
	if err != nil {
		t.Fatalf("pool %s: snapshot: %v", c.name, err)
	}
	var pids []int
	for _, p := range s.Procs {
		if p.PID != 0 {
			pids = append(pids, p.PID)
		}
	}
	slices.Sort(pids)
	return pids
}

// statusPIDs reads the pool's status page, full, from its own socket: its
// pool name and its processes' pids, sorted.
func (c *poolClient) statusPIDs(t *testing.T) (string, []int) {
	t.Helper()
	_, body := c.get(t, "/status?json&full")
	var page struct {
		Pool      string `json:"pool"`
		Processes []struct {
			PID int `json:"pid"`
		} `json:"processes"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("pool %s: status page %q: %v", c.name, body, err)
	}
	var pids []int
	for _, p := range page.Processes {
		pids = append(pids, p.PID)
	}
	slices.Sort(pids)
	return page.Pool, pids
}

// startPools starts a master of pools, each listening for HTTP on a unix
// socket of its own, and returns a client of each once its workers have
// all started (want[i] of them; any number when want[i] is negative).
func startPools(t *testing.T, pools []Config, want []int) (*testPool, []*poolClient) {
	t.Helper()
	dir := t.TempDir()
	for i := range pools {
		pools[i].Listen = filepath.Join(dir, pools[i].Pool+".fcgi.sock")
		pools[i].HTTPListen = filepath.Join(dir, pools[i].Pool+".http.sock")
		pools[i].StatusPath, pools[i].PingPath = "/status", "/ping"
	}
	b, err := json.Marshal(pools)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPool{t: t, exited: make(chan error, 1), client: &http.Client{}}
	p.start("pools", string(b), "")
	var clients []*poolClient
	for i, cfg := range pools {
		sock := cfg.HTTPListen
		c := &poolClient{name: cfg.Pool, client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
		}}}
		p.waitFor("pool "+cfg.Pool+"'s scoreboard", 10*time.Second, func() bool {
			seg, err := shm.Attach(p.cmd.Process.Pid, scoreboard.SegmentName(cfg.Pool), false)
			if err != nil {
				return false
			}
			if c.board, err = scoreboard.Open(seg); err != nil {
				seg.Free()
				return false
			}
			return true
		})
		t.Cleanup(func() { c.board.Close() })
		p.waitFor(fmt.Sprintf("pool %s's %d workers", cfg.Pool, want[i]), 10*time.Second, func() bool { return want[i] < 0 || len(c.pids(t)) == want[i] })
		clients = append(clients, c)
	}
	return p, clients
}

// TestTwoPoolsInOneMaster runs [www] and [api] in one master with real
// worker processes: each pool has its own workers and scoreboard, its
// status page shows only its own processes, its handler is the one given
// for its name, a cache both declare is shared and one only api declares
// is api's alone. A worker of api killed with SIGKILL is replaced within
// api while www's workers go on untouched; SIGUSR2 replaces the workers of
// both, which serve on; SIGTERM stops the master and both pools.
func TestTwoPoolsInOneMaster(t *testing.T) {
	shared := CacheConfig{Size: 1 << 20}
	pools := []Config{
		{Pool: "www", PM: Static, MaxChildren: 2, Caches: map[string]CacheConfig{"shared": shared}},
		{Pool: "api", PM: Static, MaxChildren: 3, Caches: map[string]CacheConfig{"shared": shared, "apionly": {Size: 1 << 20}}},
	}
	p, c := startPools(t, pools, []int{2, 3})
	www, api := c[0], c[1]
	wwwPIDs, apiPIDs := www.pids(t), api.pids(t)
	for _, pid := range wwwPIDs {
		if slices.Contains(apiPIDs, pid) {
			t.Fatalf("pid %d is in both scoreboards: www %v, api %v", pid, wwwPIDs, apiPIDs)
		}
	}
	check := func(when string) {
		t.Helper()
		for _, pc := range c {
			name, pids := pc.statusPIDs(t)
			if name != pc.name || !slices.Equal(pids, pc.pids(t)) {
				t.Errorf("%s: pool %s's status page: pool %q, processes %v; its scoreboard: %v", when, pc.name, name, pids, pc.pids(t))
			}
			for range 5 {
				pool, body := pc.get(t, "/x")
				var pid int
				if _, err := fmtSscan(body, &pid); err != nil || pool != pc.name || !slices.Contains(pc.pids(t), pid) {
					t.Errorf("%s: pool %s answered by handler %q, %q: not one of its workers %v", when, pc.name, pool, body, pc.pids(t))
				}
			}
		}
	}
	check("at start")

	if _, body := www.get(t, "/cache?c=shared&incr=k"); !strings.HasSuffix(body, " 1") {
		t.Errorf("www: incr of the shared cache: %q", body)
	}
	if _, body := api.get(t, "/cache?c=shared&incr=k"); !strings.HasSuffix(body, " 2") {
		t.Errorf("api: incr of the shared cache after www's: %q, want 2", body)
	}
	api.get(t, "/cache?c=apionly&incr=k")
	if resp, err := www.client.Get("http://pool/cache?c=apionly&incr=k"); err != nil || resp.StatusCode != 500 {
		t.Errorf("www reaches api's own cache: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	victim := apiPIDs[0]
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitFor("api's killed worker to be replaced", 10*time.Second, func() bool {
		pids := api.pids(t)
		return len(pids) == 3 && !slices.Contains(pids, victim)
	})
	if got := www.pids(t); !slices.Equal(got, wwwPIDs) {
		t.Errorf("www's workers changed when api's worker %d was killed: %v, were %v", victim, got, wwwPIDs)
	}
	check("after api's worker was killed")

	wwwPIDs, apiPIDs = www.pids(t), api.pids(t)
	p.signal(syscall.SIGUSR2)
	for _, pc := range []struct {
		*poolClient
		old []int
		n   int
	}{{www, wwwPIDs, 2}, {api, apiPIDs, 3}} {
		p.waitFor("pool "+pc.name+" to reload", 10*time.Second, func() bool {
			pids := pc.pids(t)
			for _, pid := range pids {
				if slices.Contains(pc.old, pid) {
					return false
				}
			}
			return len(pids) == pc.n
		})
	}
	check("after SIGUSR2")

	p.signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			t.Errorf("the master exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the master did not stop after SIGTERM")
	}
	for _, pid := range append(www.pids(t), api.pids(t)...) {
		if alive(pid) {
			t.Errorf("worker %d outlived the master", pid)
		}
	}
}

// TestPoolsMustAgree: RunPools refuses pools of one name, pools sharing a
// socket, pools whose [global] directives differ, and a cache of one name
// declared differently, each with an error naming the pool and matching
// ErrConfig.
func TestPoolsMustAgree(t *testing.T) {
	a := Config{Pool: "a", Listen: "/tmp/a.sock", PM: Static, MaxChildren: 1}
	b := Config{Pool: "b", Listen: "/tmp/b.sock", PM: Static, MaxChildren: 1}
	with := func(c Config, change func(*Config)) Config { change(&c); return c }
	for _, tc := range []struct {
		pools []Config
		want  string
	}{
		{nil, "no pool"},
		{[]Config{a, with(b, func(c *Config) { c.Pool = "a" })}, "pool a: invalid pool configuration: a second pool of the same name"},
		{[]Config{with(a, func(c *Config) { c.Pool = "a b" }), with(b, func(c *Config) { c.Pool = "a_b" })}, "pool a_b: invalid pool configuration: a second pool of the same name, or one that names its scoreboard scoreboard.a_b as pool a b does"},
		{[]Config{a, with(b, func(c *Config) { c.HTTPListen = "/tmp/a.sock" })}, "pool b: invalid pool configuration: /tmp/a.sock is also pool a's socket"},
		{[]Config{a, with(b, func(c *Config) { c.PIDFile = "/tmp/b.pid" })}, `pool b: invalid pool configuration: [global] pid is "/tmp/b.pid" here and "" in pool a`},
		{[]Config{with(a, func(c *Config) { c.Caches = map[string]CacheConfig{"x": {Size: 1 << 20}} }), with(b, func(c *Config) { c.Caches = map[string]CacheConfig{"x": {Size: 2 << 20}} })},
			"pool b: invalid pool configuration: cache.x is 2M here and 1M in pool a"},
		{[]Config{a, with(b, func(c *Config) { c.MaxChildren = -1 })}, "pool b: invalid pool configuration: pm.max_children"},
	} {
		err := RunPools(context.Background(), tc.pools, nil)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RunPools(%d pools): %v, want %q", len(tc.pools), err, tc.want)
		}
	}
}

// TestPoolsMakeCachesOnce: the master makes each pool's caches in turn; a
// cache a second pool declares too is the first's, not made again, and
// the first pool's own caches stay; closeCaches closes them all.
func TestPoolsMakeCachesOnce(t *testing.T) {
	mb := CacheConfig{Size: 1 << 20}
	if err := makeCaches(&Config{Pool: "www", Caches: map[string]CacheConfig{"shared": mb, "wwwonly": mb}}); err != nil {
		t.Fatal(err)
	}
	defer closeCaches()
	first, _ := Cache("shared")
	if err := makeCaches(&Config{Pool: "api", Caches: map[string]CacheConfig{"shared": mb, "apionly": mb}}); err != nil {
		t.Fatal(err)
	}
	if set := poolCaches.Load(); !slices.Equal(set.names, []string{"apionly", "shared", "wwwonly"}) {
		t.Errorf("the master's caches: %v", set.names)
	}
	if c, err := Cache("shared"); err != nil || c != first {
		t.Errorf("the cache both pools declare was made again: %p, %v; first %p", c, err, first)
	}
}
