package status

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/fpmshm/fpmshm/shmcache"
	"github.com/fpmshm/fpmshm/status/internal/series"
)

// CacheStats are the figures of one of a pool's shared caches (shmcache),
// by the name the pool gives it.
type CacheStats struct {
	Name string
	shmcache.Stats
}

// CacheSource is a Source of a pool that has shared caches. Handler and
// promcollector.Collector check for it: the OpenMetrics page (plain or
// full) and the Collector then add the fpmshm_cache_* series, labelled by
// pool and cache, after the pool's. A Source that is not a CacheSource, or
// that gives no caches, leaves the page exactly php-fpm's.
type CacheSource interface {
	Source
	// CacheStats returns each cache's figures, in the order the series
	// list them.
	CacheStats() []CacheStats
}

// writeCacheSeries writes the per-cache families in OpenMetrics form;
// nothing without caches.
func writeCacheSeries(b *bytes.Buffer, pool string, caches []CacheStats) {
	if len(caches) == 0 {
		return
	}
	pool = labelValue(pool)
	for _, m := range series.Caches {
		typ, suffix := "gauge", ""
		if m.Counter {
			typ, suffix = "counter", "_total"
		}
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", m.Name, m.Help, m.Name, typ)
		for _, c := range caches {
			fmt.Fprintf(b, "%s%s{pool=\"%s\",cache=\"%s\"} %s\n", m.Name, suffix, pool, labelValue(c.Name),
				strconv.FormatUint(m.Value(c.Stats), 10))
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
