package status

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// writeOpenMetrics writes php-fpm's OpenMetrics page, byte for byte (its
// quirks kept: no _total on counters, TYPE before HELP for the listen queue
// length). With Full it adds the per-process series before "# EOF", which
// php-fpm does not have.
func writeOpenMetrics(b *bytes.Buffer, snap scoreboard.Snapshot, o Options) {
	p := snap.Pool
	fmt.Fprintf(b, "# HELP phpfpm_up Could pool %s using a %s PM on PHP-FPM be reached?\n", p.Name, p.PM)
	b.WriteString("# TYPE phpfpm_up gauge\nphpfpm_up 1\n")
	sample := func(name, help, typ string, v uint64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	sample("phpfpm_start_since", "The number of seconds since FPM has started.", "counter", since(snap.Taken, p.StartTime))
	sample("phpfpm_accepted_connections", "The number of requests accepted by the pool.", "counter", p.AcceptedConn)
	sample("phpfpm_listen_queue", "The number of requests in the queue of pending connections.", "gauge", p.ListenQueue)
	sample("phpfpm_max_listen_queue", "The maximum number of requests in the queue of pending connections since FPM has started.", "counter", p.MaxListenQueue)
	fmt.Fprintf(b, "# TYPE phpfpm_listen_queue_length gauge\n"+
		"# HELP phpfpm_listen_queue_length The size of the socket queue of pending connections.\n"+
		"phpfpm_listen_queue_length %d\n", p.ListenQueueLen)
	sample("phpfpm_idle_processes", "The number of idle processes.", "gauge", nonNeg(p.Idle))
	sample("phpfpm_active_processes", "The number of active processes.", "gauge", nonNeg(p.Active))
	sample("phpfpm_total_processes", "The number of idle + active processes.", "gauge", nonNeg(p.Total()))
	sample("phpfpm_max_active_processes", "The maximum number of active processes since FPM has started.", "counter", nonNeg(p.MaxActive))
	sample("phpfpm_max_children_reached", "The number of times, the process limit has been reached, when pm tries to start more children (works only for pm 'dynamic' and 'ondemand').", "counter", p.MaxChildrenReached)
	sample("phpfpm_slow_requests", "The number of requests that exceeded your 'request_slowlog_timeout' value.", "counter", p.SlowRequests)
	if o.Version.hasMemoryPeak() {
		sample("phpfpm_memory_peak", "The memory usage peak since FPM has started.", "gauge", p.MemoryPeak)
	}
	if o.Full {
		writeProcSeries(b, snap)
	}
	b.WriteString("# EOF\n")
}

func nonNeg(v int) uint64 { return uint64(max(v, 0)) }

// writeProcSeries writes the per-process families in OpenMetrics form.
func writeProcSeries(b *bytes.Buffer, snap scoreboard.Snapshot) {
	pool := labelValue(snap.Pool.Name)
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", stateMetric, stateHelp, stateMetric)
	for _, p := range snap.Procs {
		fmt.Fprintf(b, "%s{pool=\"%s\",pid=\"%d\",state=\"%s\"} 1\n", stateMetric, pool, p.PID, labelValue(p.Stage.String()))
	}
	for _, m := range procMetrics {
		typ, suffix := "gauge", ""
		if m.counter {
			typ, suffix = "counter", "_total"
		}
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, typ)
		for _, p := range snap.Procs {
			fmt.Fprintf(b, "%s%s{pool=\"%s\",pid=\"%d\"} %s\n", m.name, suffix, pool, p.PID,
				strconv.FormatFloat(m.value(p), 'g', -1, 64))
		}
	}
}
