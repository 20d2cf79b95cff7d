package promcollector_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shmcache"
	"github.com/fpmshm/fpmshm/status"
)

var errShm = errors.New("scoreboard: attach: no such segment")

// busySnapshot is a pool of three workers in three states, every figure
// distinct.
func busySnapshot() scoreboard.Snapshot {
	taken := time.Unix(1795670000, 250e6)
	start := time.Unix(1795667273, 0)
	return scoreboard.Snapshot{
		Taken: taken,
		Pool: scoreboard.Pool{
			Name: "shop", PM: scoreboard.Dynamic, StartTime: start,
			AcceptedConn: 123456, ListenQueue: 3, MaxListenQueue: 17, ListenQueueLen: 511,
			Idle: 1, Active: 2, MaxActive: 5, MaxChildren: 8,
			MaxChildrenReached: 4, SlowRequests: 9, MemoryPeak: 8 << 20,
		},
		Procs: []scoreboard.Proc{
			{Slot: 0, PID: 4001, Stage: scoreboard.Idle, StartTime: start.Add(10 * time.Second),
				Requests: 500, Duration: 1534 * time.Microsecond, Method: "POST",
				URI: "/api/cart.php", Query: `id=5&note="x/y"`, ContentLength: 321,
				User: "bob", Script: "/srv/shop/api/cart.php", LastCPU: 37.5, LastMemory: 4 << 20},
			{Slot: 2, PID: 4003, Stage: scoreboard.Running, StartTime: start.Add(20 * time.Second),
				Requests: 77, Duration: 2500 * time.Millisecond, Method: "GET", URI: "/index.php",
				Script: "/srv/shop/index.php"},
			{Slot: 5, PID: 4006, Stage: scoreboard.ReadingHead, StartTime: taken.Add(-time.Second),
				Requests: 1, Duration: 20 * time.Microsecond},
		},
	}
}

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
