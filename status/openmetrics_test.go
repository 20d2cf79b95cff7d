package status

import (
	"strings"
	"testing"
)

// procSeries is what "openmetrics&full" adds for busySnapshot.
const procSeries = `# HELP phpfpm_process_state The state of the process, as a series valued 1 labelled by that state.
# TYPE phpfpm_process_state gauge
phpfpm_process_state{pool="shop",pid="4001",state="Idle"} 1
phpfpm_process_state{pool="shop",pid="4003",state="Running"} 1
phpfpm_process_state{pool="shop",pid="4006",state="Reading headers"} 1
# HELP phpfpm_process_requests The number of requests the process has served.
# TYPE phpfpm_process_requests counter
phpfpm_process_requests_total{pool="shop",pid="4001"} 500
phpfpm_process_requests_total{pool="shop",pid="4003"} 77
phpfpm_process_requests_total{pool="shop",pid="4006"} 1
# HELP phpfpm_process_request_duration_seconds The duration of the current request, or of the last one when the process is idle.
# TYPE phpfpm_process_request_duration_seconds gauge
phpfpm_process_request_duration_seconds{pool="shop",pid="4001"} 0.001534
phpfpm_process_request_duration_seconds{pool="shop",pid="4003"} 2.5
phpfpm_process_request_duration_seconds{pool="shop",pid="4006"} 2e-05
# HELP phpfpm_process_last_request_cpu_percent The CPU use of the last request in percent, 0 unless the process is idle.
# TYPE phpfpm_process_last_request_cpu_percent gauge
phpfpm_process_last_request_cpu_percent{pool="shop",pid="4001"} 37.5
phpfpm_process_last_request_cpu_percent{pool="shop",pid="4003"} 0
phpfpm_process_last_request_cpu_percent{pool="shop",pid="4006"} 0
# HELP phpfpm_process_last_request_memory_bytes The memory of the last request in bytes (for a Go worker, the bytes it allocated), 0 unless the process is idle.
# TYPE phpfpm_process_last_request_memory_bytes gauge
phpfpm_process_last_request_memory_bytes{pool="shop",pid="4001"} 4.194304e+06
phpfpm_process_last_request_memory_bytes{pool="shop",pid="4003"} 0
phpfpm_process_last_request_memory_bytes{pool="shop",pid="4006"} 0
`

// TestOpenMetricsFull checks that "openmetrics&full" is php-fpm's page with
// the per-process series added just before "# EOF", and nothing else.
func TestOpenMetricsFull(t *testing.T) {
	snap := busySnapshot()
	plain := render(t, snap, Options{Format: OpenMetrics})
	full := render(t, snap, Options{Format: OpenMetrics, Full: true})
	want := strings.TrimSuffix(plain, "# EOF\n") + procSeries + "# EOF\n"
	if full != want {
		t.Errorf("openmetrics&full:\n%s\nwant:\n%s", full, want)
	}
}

// TestOpenMetricsLabelEscaping checks that label values are escaped.
func TestOpenMetricsLabelEscaping(t *testing.T) {
	snap := busySnapshot()
	snap.Pool.Name = "a\"b\\c\nd"
	out := render(t, snap, Options{Format: OpenMetrics, Full: true})
	if !strings.Contains(out, `{pool="a\"b\\c\nd",pid="4001"}`) {
		t.Errorf("label not escaped:\n%s", out)
	}
}
