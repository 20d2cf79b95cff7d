package status

import (
	"strconv"

	"github.com/fpmshm/fpmshm/scoreboard"
)

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
	{"phpfpm_process_last_request_memory_bytes", "The peak memory of the last request in bytes, 0 unless the process is idle.", false,
		func(p scoreboard.Proc) float64 { return float64(lastMemory(p)) }},
}

func pidLabel(p scoreboard.Proc) string { return strconv.Itoa(p.PID) }
