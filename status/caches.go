package status

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fpmshm/fpmshm/shmcache"
)

// CacheStats are the figures of one of a pool's shared caches (shmcache),
// by the name the pool gives it.
type CacheStats struct {
	Name string
	shmcache.Stats
}

// CacheSource is a Source of a pool that has shared caches. Handler and
// Collector check for it: the OpenMetrics page (plain or full) and the
// Collector then add the fpmshm_cache_* series, labelled by pool and
// cache, after the pool's. A Source that is not a CacheSource, or that
// gives no caches, leaves the page exactly php-fpm's.
type CacheSource interface {
	Source
	// CacheStats returns each cache's figures, in the order the series
	// list them.
	CacheStats() []CacheStats
}

// cacheMetric is one per-cache series, shared by the OpenMetrics page and
// the Collector.
type cacheMetric struct {
	name    string // the family name; a counter's samples add "_total"
	help    string
	counter bool
	value   func(shmcache.Stats) uint64
}

var cacheMetrics = []cacheMetric{
	{"fpmshm_cache_size_bytes", "The size of the cache's shared memory segment in bytes.", false,
		func(s shmcache.Stats) uint64 { return atLeast0(int64(s.Size)) }},
	{"fpmshm_cache_entries", "The number of entries in the cache, including expired ones not yet reclaimed.", false,
		func(s shmcache.Stats) uint64 { return atLeast0(int64(s.Entries)) }},
	{"fpmshm_cache_stored_bytes", "The bytes of the keys and values of the entries.", false,
		func(s shmcache.Stats) uint64 { return atLeast0(int64(s.Bytes)) }},
	{"fpmshm_cache_used_bytes", "The bytes of the chunks that hold entries.", false,
		func(s shmcache.Stats) uint64 { return atLeast0(int64(s.Used)) }},
	{"fpmshm_cache_free_bytes", "The bytes of the free chunks and free pages.", false,
		func(s shmcache.Stats) uint64 { return atLeast0(int64(s.Free)) }},
	{"fpmshm_cache_hits", "The number of reads that found their key.", true,
		func(s shmcache.Stats) uint64 { return s.Hits }},
	{"fpmshm_cache_misses", "The number of reads that did not find their key.", true,
		func(s shmcache.Stats) uint64 { return s.Misses }},
	{"fpmshm_cache_sets", "The number of entries stored by Set, Add and CompareAndSwap.", true,
		func(s shmcache.Stats) uint64 { return s.Sets }},
	{"fpmshm_cache_evictions", "The number of entries evicted to make room.", true,
		func(s shmcache.Stats) uint64 { return s.Evictions }},
	{"fpmshm_cache_expirations", "The number of expired entries reclaimed.", true,
		func(s shmcache.Stats) uint64 { return s.Expirations }},
}

// atLeast0 maps a negative figure (read from damaged memory) to 0.
func atLeast0(v int64) uint64 { return uint64(max(v, 0)) }

// writeCacheSeries writes the per-cache families in OpenMetrics form;
// nothing without caches.
func writeCacheSeries(b *bytes.Buffer, pool string, caches []CacheStats) {
	if len(caches) == 0 {
		return
	}
	pool = labelValue(pool)
	for _, m := range cacheMetrics {
		typ, suffix := "gauge", ""
		if m.counter {
			typ, suffix = "counter", "_total"
		}
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, typ)
		for _, c := range caches {
			fmt.Fprintf(b, "%s%s{pool=\"%s\",cache=\"%s\"} %s\n", m.name, suffix, pool, labelValue(c.Name),
				strconv.FormatUint(m.value(c.Stats), 10))
		}
	}
}

// cacheStats returns src's caches' figures, if it has any.
func cacheStats(src Source) []CacheStats {
	if cs, ok := src.(CacheSource); ok {
		return cs.CacheStats()
	}
	return nil
}

// cacheDescs returns the Collector's descriptors of cacheMetrics.
func cacheDescs() []*prometheus.Desc {
	var ds []*prometheus.Desc
	for _, m := range cacheMetrics {
		name := m.name
		if m.counter {
			name += "_total"
		}
		ds = append(ds, prometheus.NewDesc(name, m.help, []string{"pool", "cache"}, nil))
	}
	return ds
}

// collectCaches sends the series of caches, with descs from cacheDescs.
func collectCaches(ch chan<- prometheus.Metric, descs []*prometheus.Desc, pool string, caches []CacheStats) {
	for _, c := range caches {
		for i, m := range cacheMetrics {
			ch <- prometheus.MustNewConstMetric(descs[i], valueType(m.counter), float64(m.value(c.Stats)), pool, c.Name)
		}
	}
}
