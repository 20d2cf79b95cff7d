package status

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/shmcache"
)

// sampleCaches are two caches' figures, every series a distinct value.
func sampleCaches() []CacheStats {
	return []CacheStats{
		{Name: "pages", Stats: shmcache.Stats{Size: 64 << 20, Entries: 3, Bytes: 300, Used: 480, Free: 1000,
			Hits: 11, Misses: 12, Sets: 13, Evictions: 14, Expirations: 15}},
		{Name: "sessions", Stats: shmcache.Stats{Size: 1 << 20, Entries: 1, Bytes: 20, Used: 64, Free: 2000}},
	}
}

// cacheSeriesText is sampleCaches as the OpenMetrics page writes them for
// pool "shop".
const cacheSeriesText = `# HELP fpmshm_cache_size_bytes The size of the cache's shared memory segment in bytes.
# TYPE fpmshm_cache_size_bytes gauge
fpmshm_cache_size_bytes{pool="shop",cache="pages"} 67108864
fpmshm_cache_size_bytes{pool="shop",cache="sessions"} 1048576
# HELP fpmshm_cache_entries The number of entries in the cache, including expired ones not yet reclaimed.
# TYPE fpmshm_cache_entries gauge
fpmshm_cache_entries{pool="shop",cache="pages"} 3
fpmshm_cache_entries{pool="shop",cache="sessions"} 1
# HELP fpmshm_cache_stored_bytes The bytes of the keys and values of the entries.
# TYPE fpmshm_cache_stored_bytes gauge
fpmshm_cache_stored_bytes{pool="shop",cache="pages"} 300
fpmshm_cache_stored_bytes{pool="shop",cache="sessions"} 20
# HELP fpmshm_cache_used_bytes The bytes of the chunks that hold entries.
# TYPE fpmshm_cache_used_bytes gauge
fpmshm_cache_used_bytes{pool="shop",cache="pages"} 480
fpmshm_cache_used_bytes{pool="shop",cache="sessions"} 64
# HELP fpmshm_cache_free_bytes The bytes of the free chunks and free pages.
# TYPE fpmshm_cache_free_bytes gauge
fpmshm_cache_free_bytes{pool="shop",cache="pages"} 1000
fpmshm_cache_free_bytes{pool="shop",cache="sessions"} 2000
# HELP fpmshm_cache_hits The number of reads that found their key.
# TYPE fpmshm_cache_hits counter
fpmshm_cache_hits_total{pool="shop",cache="pages"} 11
fpmshm_cache_hits_total{pool="shop",cache="sessions"} 0
# HELP fpmshm_cache_misses The number of reads that did not find their key.
# TYPE fpmshm_cache_misses counter
fpmshm_cache_misses_total{pool="shop",cache="pages"} 12
fpmshm_cache_misses_total{pool="shop",cache="sessions"} 0
# HELP fpmshm_cache_sets The number of entries stored by Set, Add and CompareAndSwap.
# TYPE fpmshm_cache_sets counter
fpmshm_cache_sets_total{pool="shop",cache="pages"} 13
fpmshm_cache_sets_total{pool="shop",cache="sessions"} 0
# HELP fpmshm_cache_evictions The number of entries evicted to make room.
# TYPE fpmshm_cache_evictions counter
fpmshm_cache_evictions_total{pool="shop",cache="pages"} 14
fpmshm_cache_evictions_total{pool="shop",cache="sessions"} 0
# HELP fpmshm_cache_expirations The number of expired entries reclaimed.
# TYPE fpmshm_cache_expirations counter
fpmshm_cache_expirations_total{pool="shop",cache="pages"} 15
fpmshm_cache_expirations_total{pool="shop",cache="sessions"} 0
`

// cacheSource is a CacheSource of a fixed snapshot and caches.
type cacheSource struct {
	Source
	caches []CacheStats
}

func (s cacheSource) CacheStats() []CacheStats { return s.caches }

// TestOpenMetricsCaches: with caches, the OpenMetrics page, plain and
// full, is the page without them plus the cache series just before
// "# EOF"; a negative figure (damaged memory) prints as 0.
func TestOpenMetricsCaches(t *testing.T) {
	snap := busySnapshot()
	for _, full := range []bool{false, true} {
		without := render(t, snap, Options{Format: OpenMetrics, Full: full})
		with := render(t, snap, Options{Format: OpenMetrics, Full: full, Caches: sampleCaches()})
		if want := strings.TrimSuffix(without, "# EOF\n") + cacheSeriesText + "# EOF\n"; with != want {
			t.Errorf("full=%v:\n%s\nwant:\n%s", full, with, want)
		}
	}
	caches := sampleCaches()
	caches[0].Entries = -5
	if out := render(t, snap, Options{Format: OpenMetrics, Caches: caches}); !strings.Contains(out, "fpmshm_cache_entries{pool=\"shop\",cache=\"pages\"} 0\n") {
		t.Errorf("a negative entry count:\n%s", out)
	}
}

// TestHandlerCaches: a Handler whose Source is a CacheSource adds the
// cache series to the OpenMetrics page only; the other formats are as
// without caches.
func TestHandlerCaches(t *testing.T) {
	snap := busySnapshot()
	plain := &Handler{Source: fixed(snap)}
	cached := &Handler{Source: cacheSource{fixed(snap), sampleCaches()}}
	get := func(h *Handler, query string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/status?"+query, nil))
		return rec.Body.String()
	}
	if got, want := get(cached, "openmetrics"), strings.TrimSuffix(get(plain, "openmetrics"), "# EOF\n")+cacheSeriesText+"# EOF\n"; got != want {
		t.Errorf("openmetrics with caches:\n%s\nwant:\n%s", got, want)
	}
	for _, q := range []string{"", "json", "xml", "html", "json&full"} {
		if got, want := get(cached, q), get(plain, q); got != want {
			t.Errorf("?%s with caches differs from without:\n%s\nwant:\n%s", q, got, want)
		}
	}
}
