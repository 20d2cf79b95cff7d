package status

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
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

// TestOpenMetricsMatchesCollector checks that the per-process series of
// "openmetrics&full" are the ones the Collector exports, as client_golang
// writes them in OpenMetrics: same families, types, help, labels, values.
func TestOpenMetricsMatchesCollector(t *testing.T) {
	snap := busySnapshot()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(fixed(snap), CollectorOpts{}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	e := expfmt.NewEncoder(&enc, expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "phpfpm_process_") {
			if err := e.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := omLines(t, procSeries)
	want := omLines(t, enc.String())
	if len(got) != len(want) {
		t.Fatalf("page has %d lines, collector %d:\n%s\n---\n%s", len(got), len(want), procSeries, enc.String())
	}
	for k := range want {
		if !got[k] {
			t.Errorf("collector has %q, the page has not", k)
		}
	}
}

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

// TestOpenMetricsLabelEscaping checks that label values are escaped.
func TestOpenMetricsLabelEscaping(t *testing.T) {
	snap := busySnapshot()
	snap.Pool.Name = "a\"b\\c\nd"
	out := render(t, snap, Options{Format: OpenMetrics, Full: true})
	if !strings.Contains(out, `{pool="a\"b\\c\nd",pid="4001"}`) {
		t.Errorf("label not escaped:\n%s", out)
	}
}
