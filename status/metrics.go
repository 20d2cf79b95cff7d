package status

import (
	"strconv"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// poolMetric is one pool series of php-fpm's OpenMetrics page, shared by
// that page and the Collector (which labels it by pool).
type poolMetric struct {
	name, help string
	counter    bool
	typeFirst  bool // php-fpm prints its TYPE line before its HELP line
	value      func(scoreboard.Snapshot) uint64
}

// poolMetrics are php-fpm's pool series, in its page's order.
var poolMetrics = []poolMetric{
	{"phpfpm_start_since", "The number of seconds since FPM has started.", true, false,
		func(s scoreboard.Snapshot) uint64 { return since(s.Taken, s.Pool.StartTime) }},
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

// memoryPeakMetric is the pool series php-fpm 8.4 adds to its page.
var memoryPeakMetric = poolMetric{"phpfpm_memory_peak", "The memory usage peak since FPM has started.", false, false,
	func(s scoreboard.Snapshot) uint64 { return s.Pool.MemoryPeak }}

func nonNeg(v int) uint64 { return uint64(max(v, 0)) }

// procMetric is one per-process series, shared by the "openmetrics&full"
// page and the Collector, labelled by pool and pid.
type procMetric struct {
	name    string // the family name; a counter's samples add "_total"
	help    string
	counter bool
	value   func(scoreboard.Proc) float64
}

// stateMetric is the per-process state series: 1, labelled also by state.
const (
	stateMetric = "phpfpm_process_state"
	stateHelp   = "The state of the process, as a series valued 1 labelled by that state."
)

var procMetrics = []procMetric{
	{"phpfpm_process_requests", "The number of requests the process has served.", true,
		func(p scoreboard.Proc) float64 { return float64(p.Requests) }},
	{"phpfpm_process_request_duration_seconds", "The duration of the current request, or of the last one when the process is idle.", false,
		func(p scoreboard.Proc) float64 { return float64(durationMicros(p)) / 1e6 }},
	{"phpfpm_process_last_request_cpu_percent", "The CPU use of the last request in percent, 0 unless the process is idle.", false,
		lastCPU},
	{"phpfpm_process_last_request_memory_bytes", "The memory of the last request in bytes (for a Go worker, the bytes it allocated), 0 unless the process is idle.", false,
		func(p scoreboard.Proc) float64 { return float64(lastMemory(p)) }},
}

func pidLabel(p scoreboard.Proc) string { return strconv.Itoa(p.PID) }
