package status

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status/internal/series"
)

// writeOpenMetrics writes php-fpm's OpenMetrics page, byte for byte (its
// quirks kept: no _total on counters, TYPE before HELP for the listen queue
// length). With Full it adds the per-process series before "# EOF", and
// with Caches the per-cache series, which php-fpm does not have.
func writeOpenMetrics(b *bytes.Buffer, snap scoreboard.Snapshot, o Options) {
	p := snap.Pool
	fmt.Fprintf(b, "# HELP phpfpm_up Could pool %s using a %s PM on PHP-FPM be reached?\n", p.Name, p.PM)
	b.WriteString("# TYPE phpfpm_up gauge\nphpfpm_up 1\n")
	for _, m := range series.Pools {
		writePoolSample(b, m, snap)
	}
	if o.Version.hasMemoryPeak() {
		writePoolSample(b, series.MemoryPeak, snap)
	}
	if o.Full {
		writeProcSeries(b, snap)
	}
	writeCacheSeries(b, p.Name, o.Caches)
	b.WriteString("# EOF\n")
}

// writePoolSample writes one pool series as php-fpm does: HELP, TYPE and
// an unlabelled sample.
func writePoolSample(b *bytes.Buffer, m series.Pool, snap scoreboard.Snapshot) {
	typ := "gauge"
	if m.Counter {
		typ = "counter"
	}
	help := fmt.Sprintf("# HELP %s %s\n", m.Name, m.Help)
	typeLine := fmt.Sprintf("# TYPE %s %s\n", m.Name, typ)
	if m.TypeFirst {
		help, typeLine = typeLine, help
	}
	fmt.Fprintf(b, "%s%s%s %d\n", help, typeLine, m.Name, m.Value(snap))
}

// writeProcSeries writes the per-process families in OpenMetrics form.
func writeProcSeries(b *bytes.Buffer, snap scoreboard.Snapshot) {
	pool := labelValue(snap.Pool.Name)
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", series.State, series.StateHelp, series.State)
	for _, p := range snap.Procs {
		fmt.Fprintf(b, "%s{pool=\"%s\",pid=\"%d\",state=\"%s\"} 1\n", series.State, pool, p.PID, labelValue(p.Stage.String()))
	}
	for _, m := range series.Procs {
		typ, suffix := "gauge", ""
		if m.Counter {
			typ, suffix = "counter", "_total"
		}
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", m.Name, m.Help, m.Name, typ)
		for _, p := range snap.Procs {
			fmt.Fprintf(b, "%s%s{pool=\"%s\",pid=\"%d\"} %s\n", m.Name, suffix, pool, p.PID,
				strconv.FormatFloat(m.Value(p), 'g', -1, 64))
		}
	}
}
