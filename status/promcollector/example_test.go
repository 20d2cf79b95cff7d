package promcollector_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status"
	"github.com/fpmshm/fpmshm/status/promcollector"
)

// A pool's status on the application's own /metrics. The Source here is a
// fixed pool of one worker; pm.Pool.Source gives a running pool's.
func Example() {
	src := status.SourceFunc(func(full bool) (scoreboard.Snapshot, error) {
		start := time.Date(2026, 11, 26, 4, 27, 53, 0, time.UTC)
		snap := scoreboard.Snapshot{Taken: start.Add(90 * time.Second),
			Pool: scoreboard.Pool{Name: "www", PM: scoreboard.Static, StartTime: start, AcceptedConn: 42, Idle: 1}}
		if full {
			snap.Procs = []scoreboard.Proc{{PID: 4001, Stage: scoreboard.Idle, Requests: 42}}
		}
		return snap, nil
	})
	reg := prometheus.NewRegistry()
	// Pass shm.Allocated as Allocated to export the shared memory in use too.
	reg.MustRegister(promcollector.NewCollector(src, promcollector.CollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.SplitSeq(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "phpfpm_up") || strings.HasPrefix(line, "phpfpm_accepted") ||
			strings.HasPrefix(line, "phpfpm_process_requests") {
			fmt.Println(line)
		}
	}
	// Output:
	// phpfpm_accepted_connections{pool="www"} 42
	// phpfpm_process_requests_total{pid="4001",pool="www"} 42
	// phpfpm_up{pool="www"} 1
}
