package promcollector_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status"
	"github.com/fpmshm/fpmshm/status/promcollector"
)

const collectorPool = `# HELP fpmshm_shm_allocated_bytes The bytes of shared memory this process has allocated.
# TYPE fpmshm_shm_allocated_bytes gauge
fpmshm_shm_allocated_bytes 3632
# HELP phpfpm_accepted_connections The number of requests accepted by the pool.
# TYPE phpfpm_accepted_connections counter
phpfpm_accepted_connections{pool="shop"} 123456
# HELP phpfpm_active_processes The number of active processes.
# TYPE phpfpm_active_processes gauge
phpfpm_active_processes{pool="shop"} 2
# HELP phpfpm_idle_processes The number of idle processes.
# TYPE phpfpm_idle_processes gauge
phpfpm_idle_processes{pool="shop"} 1
# HELP phpfpm_listen_queue The number of requests in the queue of pending connections.
# TYPE phpfpm_listen_queue gauge
phpfpm_listen_queue{pool="shop"} 3
# HELP phpfpm_listen_queue_length The size of the socket queue of pending connections.
# TYPE phpfpm_listen_queue_length gauge
phpfpm_listen_queue_length{pool="shop"} 511
# HELP phpfpm_max_active_processes The maximum number of active processes since FPM has started.
# TYPE phpfpm_max_active_processes counter
phpfpm_max_active_processes{pool="shop"} 5
# HELP phpfpm_max_children_reached The number of times, the process limit has been reached, when pm tries to start more children (works only for pm 'dynamic' and 'ondemand').
# TYPE phpfpm_max_children_reached counter
phpfpm_max_children_reached{pool="shop"} 4
# HELP phpfpm_max_listen_queue The maximum number of requests in the queue of pending connections since FPM has started.
# TYPE phpfpm_max_listen_queue counter
phpfpm_max_listen_queue{pool="shop"} 17
# HELP phpfpm_memory_peak The memory usage peak since FPM has started.
# TYPE phpfpm_memory_peak gauge
phpfpm_memory_peak{pool="shop"} 8.388608e+06
# HELP phpfpm_slow_requests The number of requests that exceeded your 'request_slowlog_timeout' value.
# TYPE phpfpm_slow_requests counter
phpfpm_slow_requests{pool="shop"} 9
# HELP phpfpm_start_since The number of seconds since FPM has started.
# TYPE phpfpm_start_since counter
phpfpm_start_since{pool="shop"} 2727
# HELP phpfpm_total_processes The number of idle + active processes.
# TYPE phpfpm_total_processes gauge
phpfpm_total_processes{pool="shop"} 3
# HELP phpfpm_up Whether the pool's scoreboard could be read.
# TYPE phpfpm_up gauge
phpfpm_up{pool="shop"} 1
`

const collectorProcs = `# HELP phpfpm_process_requests_total The number of requests the process has served.
# TYPE phpfpm_process_requests_total counter
phpfpm_process_requests_total{pid="4001",pool="shop"} 500
phpfpm_process_requests_total{pid="4003",pool="shop"} 77
phpfpm_process_requests_total{pid="4006",pool="shop"} 1
# HELP phpfpm_process_state The state of the process, as a series valued 1 labelled by that state.
# TYPE phpfpm_process_state gauge
phpfpm_process_state{pid="4001",pool="shop",state="Idle"} 1
phpfpm_process_state{pid="4003",pool="shop",state="Running"} 1
phpfpm_process_state{pid="4006",pool="shop",state="Reading headers"} 1
# HELP phpfpm_process_request_duration_seconds The duration of the current request, or of the last one when the process is idle.
# TYPE phpfpm_process_request_duration_seconds gauge
phpfpm_process_request_duration_seconds{pid="4001",pool="shop"} 0.001534
phpfpm_process_request_duration_seconds{pid="4003",pool="shop"} 2.5
phpfpm_process_request_duration_seconds{pid="4006",pool="shop"} 2e-05
# HELP phpfpm_process_last_request_cpu_percent The CPU use of the last request in percent, 0 unless the process is idle.
# TYPE phpfpm_process_last_request_cpu_percent gauge
phpfpm_process_last_request_cpu_percent{pid="4001",pool="shop"} 37.5
phpfpm_process_last_request_cpu_percent{pid="4003",pool="shop"} 0
phpfpm_process_last_request_cpu_percent{pid="4006",pool="shop"} 0
# HELP phpfpm_process_last_request_memory_bytes The memory of the last request in bytes (for a Go worker, the bytes it allocated), 0 unless the process is idle.
# TYPE phpfpm_process_last_request_memory_bytes gauge
phpfpm_process_last_request_memory_bytes{pid="4001",pool="shop"} 4.194304e+06
phpfpm_process_last_request_memory_bytes{pid="4003",pool="shop"} 0
phpfpm_process_last_request_memory_bytes{pid="4006",pool="shop"} 0
`

func allocated() int64 { return 3632 }

// TestCollector checks every series of the Collector for busySnapshot.
func TestCollector(t *testing.T) {
	c := promcollector.NewCollector(fixed(busySnapshot()), promcollector.CollectorOpts{Allocated: allocated})
	if err := testutil.CollectAndCompare(c, strings.NewReader(collectorPool+collectorProcs)); err != nil {
		t.Error(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Errorf("pedantic gather: %v", err)
	}
}

// TestCollectorPoolOnly checks that PoolOnly asks for no processes and
// sends no per-process series.
func TestCollectorPoolOnly(t *testing.T) {
	var asked []bool
	src := status.SourceFunc(func(full bool) (scoreboard.Snapshot, error) {
		asked = append(asked, full)
		snap := busySnapshot()
		if !full {
			snap.Procs = nil
		}
		return snap, nil
	})
	c := promcollector.NewCollector(src, promcollector.CollectorOpts{PoolOnly: true, Allocated: allocated})
	if err := testutil.CollectAndCompare(c, strings.NewReader(collectorPool)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "phpfpm_process_state"); n != 0 {
		t.Errorf("%d process series with PoolOnly", n)
	}
	for _, full := range asked {
		if full {
			t.Errorf("Source asked for processes with PoolOnly: %v", asked)
		}
	}
}

// TestCollectorDown checks that a failing Source gives phpfpm_up 0, under
// the pool's last known name, and nothing else from the pool.
func TestCollectorDown(t *testing.T) {
	fail := false
	src := status.SourceFunc(func(bool) (scoreboard.Snapshot, error) {
		if fail {
			return scoreboard.Snapshot{}, errShm
		}
		return busySnapshot(), nil
	})
	c := promcollector.NewCollector(src, promcollector.CollectorOpts{})
	if n := testutil.CollectAndCount(c); n != 13+3*5 {
		t.Errorf("%d series while up, want %d", n, 13+3*5)
	}
	fail = true
	want := "# HELP phpfpm_up Whether the pool's scoreboard could be read.\n# TYPE phpfpm_up gauge\nphpfpm_up{pool=\"shop\"} 0\n"
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c); n != 1 {
		t.Errorf("%d series while down, want 1", n)
	}
}

// TestCollectorLint runs promlint: the only problems allowed are the
// missing "_total" of the counters named as php-fpm names them.
func TestCollectorLint(t *testing.T) {
	problems, err := testutil.CollectAndLint(promcollector.NewCollector(fixed(busySnapshot()), promcollector.CollectorOpts{Allocated: allocated}))
	if err != nil {
		t.Fatal(err)
	}
	phpCounters := map[string]bool{
		"phpfpm_start_since": true, "phpfpm_accepted_connections": true, "phpfpm_max_listen_queue": true,
		"phpfpm_max_active_processes": true, "phpfpm_max_children_reached": true, "phpfpm_slow_requests": true,
	}
	for _, p := range problems {
		if phpCounters[p.Metric] && strings.Contains(p.Text, "_total") {
			continue
		}
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
