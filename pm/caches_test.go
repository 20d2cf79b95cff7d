package pm

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/shmcache"
)

// cacheHandler is testHandler's /cache: ?incr=KEY increments a counter and
// answers "ok <pid> <value>"; ?set=KEY&v=VALUE stores a value ("ok <pid>");
// ?get=KEY answers "ok <pid> <value>", or 404 "miss <pid>"; ?fill=N&size=S
// stores N values of S bytes under fill0, fill1, ... and answers "ok <pid>
// <failed writes>". The cache is ?c=NAME, "test" by default.
func cacheHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("c")
	if name == "" {
		name = "test"
	}
	c, err := Cache(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	switch {
	case q.Has("incr"):
		n, err := c.Incr([]byte(q.Get("incr")), 1, 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "ok %d %d", os.Getpid(), n)
	case q.Has("set"):
		if err := c.Set([]byte(q.Get("set")), []byte(q.Get("v")), 0); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "ok %d", os.Getpid())
	case q.Has("get"):
		v, ok := c.Get([]byte(q.Get("get")))
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, "miss %d", os.Getpid())
			return
		}
		fmt.Fprintf(w, "ok %d %s", os.Getpid(), v)
	case q.Has("fill"):
		n, _ := strconv.Atoi(q.Get("fill"))
		size, _ := strconv.Atoi(q.Get("size"))
		failed := 0
		for i := range min(n, 100000) {
			if c.Set(fmt.Appendf(nil, "fill%d", i), make([]byte, min(size, 1<<20)), 0) != nil {
				failed++
			}
		}
		fmt.Fprintf(w, "ok %d %d", os.Getpid(), failed)
	}
}

func TestParseCache(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want CacheConfig
	}{
		{"65536", CacheConfig{Size: 65536}},
		{"64k", CacheConfig{Size: 64 << 10}},
		{" 64M ", CacheConfig{Size: 64 << 20}},
		{"1G,evict", CacheConfig{Size: 1 << 30}},
		{"512k, refuse", CacheConfig{Size: 512 << 10, Policy: shmcache.Refuse}},
		{"0", CacheConfig{}},
	} {
		got, err := ParseCache(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseCache(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if tc.want.Size > 0 {
			if back, err := ParseCache(got.String()); err != nil || back != got {
				t.Errorf("ParseCache(%q.String() = %q) = %+v, %v", tc.in, got.String(), back, err)
			}
		}
	}
	for _, bad := range []string{"", "M", "-1", "64X", "64M,lru", "9999999G"} {
		if _, err := ParseCache(bad); err == nil {
			t.Errorf("ParseCache(%q) succeeded", bad)
		}
	}
}

// TestValidateCaches: names that a segment name would not keep as they
// are, sizes below shmcache.MinSize and unknown policies are refused.
func TestValidateCaches(t *testing.T) {
	for _, tc := range []struct {
		caches map[string]CacheConfig
		want   string // in the error; "" for none
	}{
		{map[string]CacheConfig{"pages": {Size: 1 << 20}, "a.b_c-1": {Size: shmcache.MinSize, Policy: shmcache.Refuse}}, ""},
		{map[string]CacheConfig{"a b": {Size: 1 << 20}}, `cache name "a b"`},
		{map[string]CacheConfig{"": {Size: 1 << 20}}, `cache name ""`},
		{map[string]CacheConfig{strings.Repeat("x", 65): {Size: 1 << 20}}, "cache name"},
		{map[string]CacheConfig{"small": {Size: shmcache.MinSize - 1}}, "cache.small: size 65535 is below the minimum"},
		{map[string]CacheConfig{"odd": {Size: 1 << 20, Policy: 7}}, "cache.odd: policy Policy(7) must be evict or refuse"},
	} {
		c := Config{MaxChildren: 1, Listen: "9000", PM: Static, Caches: tc.caches}
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.caches, err)
		case tc.want != "" && (err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want one with %q matching ErrConfig", tc.caches, err, tc.want)
		}
	}
}

// TestReloadKeepsCaches: a reload cannot add, drop or resize a cache: the
// running caches are kept, and the log says what the new configuration
// wanted.
func TestReloadKeepsCaches(t *testing.T) {
	running := &Config{Caches: map[string]CacheConfig{"pages": {Size: 1 << 20}}}
	next := &Config{Caches: map[string]CacheConfig{"pages": {Size: 2 << 20}, "more": {Size: 1 << 20, Policy: shmcache.Refuse}}}
	kept := restartOnly(running, next)
	if want := "caches pages=1M (not more=1M,refuse pages=2M)"; !strings.Contains(strings.Join(kept, "; "), want) {
		t.Errorf("kept %q, want %q in it", kept, want)
	}
	if len(next.Caches) != 1 || next.Caches["pages"] != running.Caches["pages"] {
		t.Errorf("the reloaded configuration has caches %v, want the running %v", next.Caches, running.Caches)
	}
	if kept := restartOnly(running, &Config{Caches: map[string]CacheConfig{"pages": {Size: 1 << 20}}}); len(kept) != 0 {
		t.Errorf("the same caches are reported as changed: %q", kept)
	}
}

// TestCacheOutsideRun: Cache fails with ErrNoCache when Run has not taken
// up any cache in this process.
func TestCacheOutsideRun(t *testing.T) {
	c, err := Cache("pages")
	if c != nil || !errors.Is(err, ErrNoCache) {
		t.Errorf("Cache outside Run = %v, %v; want ErrNoCache", c, err)
	}
}
