package status_test

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status"
)

// A Source that would read the scoreboard from shared memory; here, a fixed
// pool of two workers.
func snapshot(full bool) (scoreboard.Snapshot, error) {
	start := time.Date(2026, 11, 26, 4, 27, 53, 0, time.UTC)
	snap := scoreboard.Snapshot{
		Taken: start.Add(90 * time.Second),
		Pool: scoreboard.Pool{Name: "www", PM: scoreboard.Dynamic, StartTime: start,
			AcceptedConn: 42, ListenQueueLen: 511, Idle: 1, Active: 1, MaxActive: 2, MaxChildren: 5},
	}
	if full {
		snap.Procs = []scoreboard.Proc{{PID: 4001, Stage: scoreboard.Running, StartTime: start,
			Requests: 21, Duration: 1500 * time.Microsecond, Method: "GET", URI: "/index.php", Query: "id=7"}}
	}
	return snap, nil
}

func Example() {
	src := status.SourceFunc(snapshot)

	// The status page and ping, as php-fpm's pm.status_path and ping.path.
	mux := http.NewServeMux()
	mux.Handle("/status", &status.Handler{Source: src, Version: status.PHP82})
	mux.Handle("/ping", status.Ping("pong"))

	// Without HTTP, as "fpmshm status --full" prints it.
	snap, _ := src.Snapshot(true)
	q := status.ParseQuery("full")
	_ = status.Render(os.Stdout, snap, status.Options{Format: q.Format, Full: q.Full, Version: status.PHP82})
	// Output:
	// pool:                 www
	// process manager:      dynamic
	// start time:           26/Nov/2026:04:27:53 +0000
	// start since:          90
	// accepted conn:        42
	// listen queue:         0
	// max listen queue:     0
	// listen queue len:     511
	// idle processes:       1
	// active processes:     1
	// total processes:      2
	// max active processes: 2
	// max children reached: 0
	// slow requests:        0
	//
	// ************************
	// pid:                  4001
	// state:                Running
	// start time:           26/Nov/2026:04:27:53 +0000
	// start since:          90
	// requests:             21
	// request duration:     1500
	// request method:       GET
	// request URI:          /index.php?id=7
	// content length:       0
	// user:                 -
	// script:               -
	// last request cpu:     0.00
	// last request memory:  0
}

func ExampleParseQuery() {
	for _, raw := range []string{"", "full", "json&html", "openmetrics&full", "html&full&refresh=2"} {
		q := status.ParseQuery(raw)
		fmt.Printf("%q: %v full=%v refresh=%d %s\n", raw, q.Format, q.Full, q.Refresh, q.Format.ContentType())
	}
	// Output:
	// "": text full=false refresh=0 text/plain;charset=UTF-8
	// "full": text full=true refresh=0 text/plain;charset=UTF-8
	// "json&html": html full=false refresh=0 text/html;charset=UTF-8
	// "openmetrics&full": openmetrics full=true refresh=0 application/openmetrics-text; version=1.0.0; charset=utf-8
	// "html&full&refresh=2": html full=true refresh=2 text/html;charset=UTF-8
}
