package promcollector_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shmcache"
	"github.com/fpmshm/fpmshm/status"
	"github.com/fpmshm/fpmshm/status/internal/statustest"
)

var errShm = errors.New("scoreboard: attach: no such segment")

// busySnapshot is statustest.BusySnapshot.
var busySnapshot = statustest.BusySnapshot

// fixed is a Source that always gives snap.
func fixed(snap scoreboard.Snapshot) status.Source {
	return status.SourceFunc(func(bool) (scoreboard.Snapshot, error) { return snap, nil })
}

// sampleCaches are two caches' figures, every series a distinct value.
func sampleCaches() []status.CacheStats {
	return []status.CacheStats{
		{Name: "pages", Stats: shmcache.Stats{Size: 64 << 20, Entries: 3, Bytes: 300, Used: 480, Free: 1000,
			Hits: 11, Misses: 12, Sets: 13, Evictions: 14, Expirations: 15}},
		{Name: "sessions", Stats: shmcache.Stats{Size: 1 << 20, Entries: 1, Bytes: 20, Used: 64, Free: 2000}},
	}
}

// cacheSource is a CacheSource of a fixed snapshot and caches.
type cacheSource struct {
	status.Source
	caches []status.CacheStats
}

func (s cacheSource) CacheStats() []status.CacheStats { return s.caches }

// omLines normalises OpenMetrics lines: labels sorted, values as floats.
func omLines(t *testing.T, text string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(line, "#") {
			out[line] = true
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad value in %q", line)
		}
		name, labels, _ := strings.Cut(line[:i], "{")
		parts := strings.Split(strings.TrimSuffix(labels, "}"), ",")
		slices.Sort(parts)
		out[name+"{"+strings.Join(parts, ",")+"} "+strconv.FormatFloat(v, 'g', -1, 64)] = true
	}
	return out
}
