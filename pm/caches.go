package pm

import (
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/fpmshm/fpmshm/shmcache"
	"github.com/fpmshm/fpmshm/status"
)

// CacheConfig is one shared cache of a pool (Config.Caches).
type CacheConfig struct {
	// Size is the size of the cache's segment in bytes, at least
	// shmcache.MinSize: its index, bookkeeping and entries all live in it.
	Size int
	// Policy is what a write does when the cache is full: shmcache.Evict
	// (the zero value) or shmcache.Refuse.
	Policy shmcache.Policy
}

// String returns the value ParseCache reads back: "64M", "64M,refuse".
func (c CacheConfig) String() string {
	s := formatBytes(c.Size)
	if c.Policy != shmcache.Evict {
		s += "," + c.Policy.String()
	}
	return s
}

// ParseCache parses a cache's declaration, the value of the cache.NAME
// directive: a size in bytes with an optional k, M or G (powers of 1024),
// then optionally ",evict" (the default) or ",refuse": "64M",
// "512k,refuse".
func ParseCache(s string) (CacheConfig, error) {
	size, policy, _ := strings.Cut(strings.TrimSpace(s), ",")
	var c CacheConfig
	n, ok := parseBytes(size, maxCacheBytes)
	if !ok {
		return c, fmt.Errorf("%q is not a cache size (bytes, with an optional k, M or G)", size)
	}
	c.Size = n
	switch strings.TrimSpace(policy) {
	case "", "evict":
	case "refuse":
		c.Policy = shmcache.Refuse
	default:
		return c, fmt.Errorf("%q is not a cache policy (evict or refuse)", policy)
	}
	return c, nil
}

// maxCacheBytes bounds the size ParseCache reads: 1 TiB.
const maxCacheBytes = int64(1) << 40

// formatBytes is parseBytes's inverse: the largest unit that divides n.
func formatBytes(n int) string {
	for _, u := range []struct {
		size int
		unit string
	}{{1 << 30, "G"}, {1 << 20, "M"}, {1 << 10, "k"}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.Itoa(n/u.size) + u.unit
		}
	}
	return strconv.Itoa(n)
}

// validateCaches checks the names, sizes and policies of c.Caches.
func (c *Config) validateCaches() error {
	for _, name := range slices.Sorted(maps.Keys(c.Caches)) {
		cc := c.Caches[name]
		switch {
		case !validCacheName(name):
			return fmt.Errorf("cache name %q must be 1 to 64 letters, digits, '.', '_' or '-'", name)
		case cc.Size < shmcache.MinSize:
			return fmt.Errorf("cache.%s: size %d is below the minimum of %d bytes", name, cc.Size, shmcache.MinSize)
		case cc.Policy != shmcache.Evict && cc.Policy != shmcache.Refuse:
			return fmt.Errorf("cache.%s: policy %v must be evict or refuse", name, cc.Policy)
		}
	}
	return nil
}

// validCacheName reports whether name is one shmcache.SegmentName keeps
// as it is, so that two names never share a segment.
func validCacheName(name string) bool {
	return name != "" && shmcache.SegmentName(name) == "cache."+name
}

// describeCaches lists caches as "name=size[,policy] ...".
func describeCaches(caches map[string]CacheConfig) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(caches)) {
		parts = append(parts, name+"="+caches[name].String())
	}
	return strings.Join(parts, " ")
}

// cacheSet is the caches this process has taken up, by name: the master's,
// made by makeCaches, or a worker's, handed over by the master.
type cacheSet struct {
	names  []string // sorted
	byName map[string]*shmcache.Cache
}

// poolCaches is this process's cacheSet while Run runs; nil otherwise.
var poolCaches atomic.Pointer[cacheSet]

// ErrNoCache is matched by Cache's error for a name the pool does not
// declare, or when called outside Run.
var ErrNoCache = errors.New("no such cache")

// Cache returns the shared cache called name, one of the pool's
// Config.Caches, as this process has it: in a worker, the cache the master
// handed over, which every worker shares (a handler calls Cache as it
// serves a request); in the master, while Run runs, the cache it made. The
// cache is valid until Run returns and must not be closed by the caller.
// A name the pool does not declare, or a call outside Run, fails with an
// error matching ErrNoCache that lists the caches there are.
func Cache(name string) (*shmcache.Cache, error) {
	set := poolCaches.Load()
	if set == nil {
		return nil, fmt.Errorf("pm: cache %q: %w (Run is not running in this process)", name, ErrNoCache)
	}
	if c := set.byName[name]; c != nil {
		return c, nil
	}
	declared := "none"
	if len(set.names) > 0 {
		declared = strings.Join(set.names, ", ")
	}
	return nil, fmt.Errorf("pm: cache %q: %w (the pool declares: %s)", name, ErrNoCache, declared)
}

// makeCaches makes the caches cfg declares (the master, before its first
// worker) and adds them to this process's. A cache another pool of the
// master declared already is that pool's (checkTogether saw that they
// agree).
func makeCaches(cfg *Config) error {
	set := &cacheSet{byName: map[string]*shmcache.Cache{}}
	if had := poolCaches.Load(); had != nil {
		maps.Copy(set.byName, had.byName)
	}
	var made []*shmcache.Cache
	for _, name := range slices.Sorted(maps.Keys(cfg.Caches)) {
		if set.byName[name] != nil {
			continue
		}
		cc := cfg.Caches[name]
		c, err := shmcache.New(shmcache.Options{Name: name, Size: cc.Size, Policy: cc.Policy, NoDump: true})
		if err != nil {
			for _, c := range made {
				c.Close()
			}
			return fmt.Errorf("pool %s: make cache %s of %d bytes: %w", cfg.Pool, name, cc.Size, err)
		}
		set.byName[name] = c
		made = append(made, c)
	}
	set.names = slices.Sorted(maps.Keys(set.byName))
	poolCaches.Store(set)
	return nil
}

// inheritCaches takes up the caches that the master handed to this
// worker, named in list (comma-separated), and makes them this process's.
func inheritCaches(list string) error {
	set := &cacheSet{byName: map[string]*shmcache.Cache{}}
	if list != "" {
		set.names = strings.Split(list, ",")
	}
	for _, name := range set.names {
		c, err := shmcache.Inherited(name)
		if err != nil {
			set.close()
			return fmt.Errorf("worker: take up cache %s: %w", name, err)
		}
		set.byName[name] = c
	}
	poolCaches.Store(set)
	return nil
}

// closeCaches unmaps this process's caches (when Run returns); other
// processes keep theirs.
func closeCaches() {
	if set := poolCaches.Swap(nil); set != nil {
		set.close()
	}
}

func (s *cacheSet) close() {
	for _, c := range s.byName {
		c.Close()
	}
}

// shareCaches hands this process's caches named in list (a worker's
// workerConfig.Caches: its pool's) to the worker cmd will start.
func shareCaches(cmd *exec.Cmd, list string) error {
	set := poolCaches.Load()
	if set == nil || list == "" {
		return nil
	}
	for _, name := range strings.Split(list, ",") {
		c := set.byName[name]
		if c == nil {
			return fmt.Errorf("hand cache %s to a worker: %w", name, ErrNoCache)
		}
		if err := c.ShareWith(cmd); err != nil {
			return fmt.Errorf("hand cache %s to a worker: %w", name, err)
		}
	}
	return nil
}

// releaseCaches frees the stripe locks that reaped worker pid died
// holding, so that the next write to each repairs it at once.
func releaseCaches(pid int) {
	if set := poolCaches.Load(); set != nil {
		for _, c := range set.byName {
			c.ReleaseOwner(pid)
		}
	}
}

// cacheNames lists c's caches for the workers' hand-over: the names,
// which hold no comma, joined by commas.
func (c *Config) cacheNames() string {
	return strings.Join(slices.Sorted(maps.Keys(c.Caches)), ",")
}

// withCacheStats returns src, adding the figures of this process's caches
// to the status page's OpenMetrics series when it has caches.
func withCacheStats(src status.Source) status.Source {
	set := poolCaches.Load()
	if set == nil || len(set.names) == 0 {
		return src
	}
	return cacheStatsSource{src, set}
}

// cacheStatsSource is a status.CacheSource: a pool's Source and its caches.
type cacheStatsSource struct {
	status.Source
	set *cacheSet
}

// CacheStats returns each cache's figures, by name.
func (s cacheStatsSource) CacheStats() []status.CacheStats {
	out := make([]status.CacheStats, 0, len(s.set.names))
	for _, name := range s.set.names {
		out = append(out, status.CacheStats{Name: name, Stats: s.set.byName[name].Stats()})
	}
	return out
}

// SetCache applies the directive cache.NAME = value (ParseCache's form):
// it declares the cache name, or with a size of 0 removes it.
func (c *Config) SetCache(name, value string) error {
	cc, err := ParseCache(value)
	if err != nil {
		return err
	}
	if cc.Size == 0 {
		delete(c.Caches, name)
		return nil
	}
	if c.Caches == nil {
		c.Caches = map[string]CacheConfig{}
	}
	c.Caches[name] = cc
	return nil
}
