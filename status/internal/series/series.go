// Package series holds the metric families of a pool's status, shared by
// the OpenMetrics page of package status and the prometheus.Collector of
// package promcollector, with the rules that turn a scoreboard's raw
// figures into the values both print.
package series

import (
	"math"
	"strconv"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shmcache"
)

// Pool is one pool series of php-fpm's OpenMetrics page.
type Pool struct {
	Name, Help string
	Counter    bool
	TypeFirst  bool // php-fpm prints its TYPE line before its HELP line
	Value      func(scoreboard.Snapshot) uint64
}

// Pools are php-fpm's pool series, in its page's order.
var Pools = []Pool{
	{"phpfpm_start_since", "The number of seconds since FPM has started.", true, false,
		func(s scoreboard.Snapshot) uint64 { return Since(s.Taken, s.Pool.StartTime) }},
	{"phpfpm_accepted_connections", "The number of requests accepted by the pool.", true, false,
		func(s scoreboard.Snapshot) uint64 { return s.Pool.AcceptedConn }},
	{"phpfpm_listen_queue", "The number of requests in the queue of pending connections.", false, false,
		func(s scoreboard.Snapshot) uint64 { return s.Pool.ListenQueue }},
	{"phpfpm_max_listen_queue", "The maximum number of requests in the queue of pending connections since FPM has started.", true, false,
		func(s scoreboard.Snapshot) uint64 { return s.Pool.MaxListenQueue }},
	{"phpfpm_listen_queue_length", "The size of the socket queue of pending connections.", false, true,
		func(s scoreboard.Snapshot) uint64 { return s.Pool.ListenQueueLen }},
	{"phpfpm_idle_processes", "The number of idle processes.", false, false,
		func(s scoreboard.Snapshot) uint64 { return nonNeg(s.Pool.Idle) }},
	{"phpfpm_active_processes", "The number of active processes.", false, false,
		func(s scoreboard.Snapshot) uint64 { return nonNeg(s.Pool.Active) }},
	{"phpfpm_total_processes", "The number of idle + active processes.", false, false,
		func(s scoreboard.Snapshot) uint64 { return nonNeg(s.Pool.Total()) }},
	{"phpfpm_max_active_processes", "The maximum number of active processes since FPM has started.", true, false,
		func(s scoreboard.Snapshot) uint64 { return nonNeg(s.Pool.MaxActive) }},
	{"phpfpm_max_children_reached", "The number of times, the process limit has been reached, when pm tries to start more children (works only for pm 'dynamic' and 'ondemand').", true, false,
		func(s scoreboard.Snapshot) uint64 { return s.Pool.MaxChildrenReached }},
	{"phpfpm_slow_requests", "The number of requests that exceeded your 'request_slowlog_timeout' value.", true, false,
		func(s scoreboard.Snapshot) uint64 { return s.Pool.SlowRequests }},
}

// MemoryPeak is the pool series php-fpm 8.4 adds to its page.
var MemoryPeak = Pool{"phpfpm_memory_peak", "The memory usage peak since FPM has started.", false, false,
	func(s scoreboard.Snapshot) uint64 { return s.Pool.MemoryPeak }}

// ValidCounts reports whether a pool's idle and active counts can be
// shown: php-fpm refuses a page with negative ones.
func ValidCounts(p scoreboard.Pool) bool { return p.Idle >= 0 && p.Active >= 0 }

func nonNeg(v int) uint64 { return uint64(max(v, 0)) }

// Proc is one per-process series, labelled by pool and pid.
type Proc struct {
	Name    string // the family name; a counter's samples add "_total"
	Help    string
	Counter bool
	Value   func(scoreboard.Proc) float64
}

// State is the per-process state series: 1, labelled also by state.
const (
	State     = "phpfpm_process_state"
	StateHelp = "The state of the process, as a series valued 1 labelled by that state."
)

// Procs are the per-process series after State, in the page's order.
var Procs = []Proc{
	{"phpfpm_process_requests", "The number of requests the process has served.", true,
		func(p scoreboard.Proc) float64 { return float64(p.Requests) }},
	{"phpfpm_process_request_duration_seconds", "The duration of the current request, or of the last one when the process is idle.", false,
		func(p scoreboard.Proc) float64 { return float64(DurationMicros(p)) / 1e6 }},
	{"phpfpm_process_last_request_cpu_percent", "The CPU use of the last request in percent, 0 unless the process is idle.", false,
		LastCPU},
	{"phpfpm_process_last_request_memory_bytes", "The memory of the last request in bytes (for a Go worker, the bytes it allocated), 0 unless the process is idle.", false,
		func(p scoreboard.Proc) float64 { return float64(LastMemory(p)) }},
}

// PIDLabel is the pid label of p's series.
func PIDLabel(p scoreboard.Proc) string { return strconv.Itoa(p.PID) }

// Cache is one per-cache series, labelled by pool and cache.
type Cache struct {
	Name    string // the family name; a counter's samples add "_total"
	Help    string
	Counter bool
	Value   func(shmcache.Stats) uint64
}

// Caches are the per-cache series, in the page's order.
var Caches = []Cache{
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

// Since returns the whole seconds from t to taken, as php-fpm's
// time(NULL) - start_epoch, but never below zero; a zero time counts as
// the epoch.
func Since(taken, t time.Time) uint64 {
	d := OrEpoch(taken).Unix() - OrEpoch(t).Unix()
	return uint64(max(d, 0))
}

// OrEpoch maps the zero Time to 1970, which is what a zero start_epoch
// means to php-fpm.
func OrEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0)
	}
	return t
}

// DurationMicros is the request duration in microseconds, never negative.
func DurationMicros(p scoreboard.Proc) int64 { return max(p.Duration.Microseconds(), 0) }

// LastCPU is the last request's CPU percentage: php-fpm prints it for
// idle workers only, 0 for the others; NaN and infinities print as 0.
func LastCPU(p scoreboard.Proc) float64 {
	if p.Stage != scoreboard.Idle || math.IsNaN(p.LastCPU) || math.IsInf(p.LastCPU, 0) {
		return 0
	}
	return p.LastCPU
}

// LastMemory is the last request's peak memory, printed for idle workers only.
func LastMemory(p scoreboard.Proc) uint64 {
	if p.Stage != scoreboard.Idle {
		return 0
	}
	return p.LastMemory
}
