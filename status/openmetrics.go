package status

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// writeOpenMetrics writes php-fpm's OpenMetrics page, byte for byte (its
// quirks kept: no _total on counters, TYPE before HELP for the listen queue
// length). With Full it adds the per-process series before "# EOF", and
// with Caches the per-cache series, which php-fpm does not have.
func writeOpenMetrics(b *bytes.Buffer, snap scoreboard.Snapshot, o Options) {
	p := snap.Pool
	fmt.Fprintf(b, "# HELP phpfpm_up Could pool %s using a %s PM on PHP-FPM be reached?\n", p.Name, p.PM)
	b.WriteString("# TYPE phpfpm_up gauge\nphpfpm_up 1\n")
	for _, m := range poolMetrics {
		writePoolSample(b, m, snap)
	}
	if o.Version.hasMemoryPeak() {
		writePoolSample(b, memoryPeakMetric, snap)
	}
	if o.Full {
		writeProcSeries(b, snap)
	}
	writeCacheSeries(b, p.Name, o.Caches)
	b.WriteString("# EOF\n")
}

// writePoolSample writes one pool series as php-fpm does: HELP, TYPE and
// an unlabelled sample.
func writePoolSample(b *bytes.Buffer, m poolMetric, snap scoreboard.Snapshot) {
	typ := "gauge"
	if m.counter {
		typ = "counter"
	}
	help := fmt.Sprintf("# HELP %s %s\n", m.name, m.help)
	typeLine := fmt.Sprintf("# TYPE %s %s\n", m.name, typ)
	if m.typeFirst {
		help, typeLine = typeLine, help
	}
	fmt.Fprintf(b, "%s%s%s %d\n", help, typeLine, m.name, m.value(snap))
}

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
