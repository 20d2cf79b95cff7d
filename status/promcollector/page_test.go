package promcollector_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status"
	"github.com/fpmshm/fpmshm/status/promcollector"
)

// gatherOM registers c on a pedantic registry and writes, as client_golang
// writes OpenMetrics, the families whose names start with prefix; it
// returns the text and the families' names.
func gatherOM(t *testing.T, c prometheus.Collector, prefix string) (string, []string) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	e := expfmt.NewEncoder(&enc, expfmt.NewFormat(expfmt.TypeOpenMetrics))
	var names []string
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), prefix) {
			names = append(names, mf.GetName())
			if err := e.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	return enc.String(), names
}

// pageLines renders the "openmetrics&full" page of snap with caches and
// keeps the lines of the families whose names start with prefix.
func pageLines(t *testing.T, snap scoreboard.Snapshot, caches []status.CacheStats, prefix string) string {
	t.Helper()
	var b bytes.Buffer
	if err := status.Render(&b, snap, status.Options{Format: status.OpenMetrics, Full: true, Caches: caches}); err != nil {
		t.Fatal(err)
	}
	var keep []string
	for line := range strings.SplitSeq(b.String(), "\n") {
		name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
		if strings.HasPrefix(name, prefix) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// sameLines fails unless page and collector hold the same normalised lines.
func sameLines(t *testing.T, page, collector string) {
	t.Helper()
	got, want := omLines(t, collector), omLines(t, page)
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("collector has %d lines, the page %d:\n%s\n---\n%s", len(got), len(want), collector, page)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("the page has %q, the collector has not", k)
		}
	}
}

// TestOpenMetricsMatchesCollector checks that the per-process series of
// "openmetrics&full" are the ones the Collector exports, as client_golang
// writes them in OpenMetrics: same families, types, help, labels, values.
func TestOpenMetricsMatchesCollector(t *testing.T) {
	snap := busySnapshot()
	text, _ := gatherOM(t, promcollector.NewCollector(fixed(snap), promcollector.CollectorOpts{}), "phpfpm_process_")
	sameLines(t, pageLines(t, snap, nil, "phpfpm_process_"), text)
}

// TestCollectorCaches: a Collector over a CacheSource sends the same cache
// series as the page (as client_golang writes them in OpenMetrics), passes
// a pedantic registry and the linter; over a plain Source, none.
func TestCollectorCaches(t *testing.T) {
	snap := busySnapshot()
	c := promcollector.NewCollector(cacheSource{fixed(snap), sampleCaches()}, promcollector.CollectorOpts{PoolOnly: true})
	text, names := gatherOM(t, c, "fpmshm_cache_")
	if len(names) == 0 {
		t.Fatal("the Collector sent no fpmshm_cache_* series")
	}
	sameLines(t, pageLines(t, snap, sampleCaches(), "fpmshm_cache_"), text)
	if problems, err := testutil.CollectAndLint(c, names...); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	plain := promcollector.NewCollector(fixed(snap), promcollector.CollectorOpts{PoolOnly: true})
	if n := testutil.CollectAndCount(plain, names...); n != 0 {
		t.Errorf("a plain Source gave %d cache series", n)
	}
	failing := status.SourceFunc(func(bool) (scoreboard.Snapshot, error) { return snap, errShm })
	down := promcollector.NewCollector(cacheSource{failing, sampleCaches()}, promcollector.CollectorOpts{})
	if n := testutil.CollectAndCount(down, names...); n != 0 {
		t.Errorf("a failing Source gave %d cache series", n)
	}
}
