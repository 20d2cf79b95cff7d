// Package promcollector exports a pool's status to Prometheus: Collector
// is a prometheus.Collector of the series of php-fpm's OpenMetrics page,
// read from a status.Source. It is the only package of fpmshm that imports
// client_golang, so a program that runs a pool without exporting metrics
// does not link it.
package promcollector

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status"
	"github.com/fpmshm/fpmshm/status/internal/series"
)

// CollectorOpts configures a Collector.
type CollectorOpts struct {
	// PoolOnly leaves out the per-process series. They are labelled by pid,
	// so each worker that is replaced leaves a series behind.
	PoolOnly bool

	// Allocated, when set, is exported as the gauge
	// fpmshm_shm_allocated_bytes (pass shm.Allocated). The value is
	// process-wide: set it on one Collector of a registry only.
	Allocated func() int64
}

// Collector is a prometheus.Collector of a pool's status: the series of
// php-fpm's OpenMetrics page, named as there and labelled by pool, plus
// per-process series labelled by pool and pid (the same as the
// "openmetrics&full" page). When the Source is a status.CacheSource, it adds
// the fpmshm_cache_* series, labelled by pool and cache. When the Source
// fails, phpfpm_up is 0 and the other series are left out.
type Collector struct {
	src  status.Source
	opts CollectorOpts

	mu       sync.Mutex
	lastPool string // the pool name of the last snapshot, for phpfpm_up 0

	up, memoryPeak, state, allocated *prometheus.Desc
	pool                             []poolDesc
	procs                            []*prometheus.Desc // parallel to series.Procs
	caches                           []*prometheus.Desc // parallel to series.Caches; nil unless src is a status.CacheSource
}

type poolDesc struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(scoreboard.Snapshot) uint64
}

// valueType is a series' Prometheus type.
func valueType(counter bool) prometheus.ValueType {
	if counter {
		return prometheus.CounterValue
	}
	return prometheus.GaugeValue
}

// familyName is the name of a series' samples: a counter's add "_total".
func familyName(name string, counter bool) string {
	if counter {
		return name + "_total"
	}
	return name
}

// NewCollector returns a Collector reading src.
func NewCollector(src status.Source, opts CollectorOpts) *Collector {
	pool := []string{"pool"}
	proc := []string{"pool", "pid"}
	c := &Collector{
		src:        src,
		opts:       opts,
		up:         prometheus.NewDesc("phpfpm_up", "Whether the pool's scoreboard could be read.", pool, nil),
		memoryPeak: prometheus.NewDesc(series.MemoryPeak.Name, series.MemoryPeak.Help, pool, nil),
		state:      prometheus.NewDesc(series.State, series.StateHelp, []string{"pool", "pid", "state"}, nil),
		allocated:  prometheus.NewDesc("fpmshm_shm_allocated_bytes", "The bytes of shared memory this process has allocated.", nil, nil),
	}
	for _, m := range series.Pools {
		c.pool = append(c.pool, poolDesc{prometheus.NewDesc(m.Name, m.Help, pool, nil), valueType(m.Counter), m.Value})
	}
	for _, m := range series.Procs {
		c.procs = append(c.procs, prometheus.NewDesc(familyName(m.Name, m.Counter), m.Help, proc, nil))
	}
	if _, ok := src.(status.CacheSource); ok {
		for _, m := range series.Caches {
			c.caches = append(c.caches, prometheus.NewDesc(familyName(m.Name, m.Counter), m.Help, []string{"pool", "cache"}, nil))
		}
	}
	return c
}

// Describe sends the descriptors of every series the Collector can send.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	for _, p := range c.pool {
		ch <- p.desc
	}
	ch <- c.memoryPeak
	if !c.opts.PoolOnly {
		ch <- c.state
		for _, d := range c.procs {
			ch <- d
		}
	}
	if c.opts.Allocated != nil {
		ch <- c.allocated
	}
	for _, d := range c.caches {
		ch <- d
	}
}

// Collect reads one Snapshot and sends its series.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if c.opts.Allocated != nil {
		ch <- prometheus.MustNewConstMetric(c.allocated, prometheus.GaugeValue, float64(c.opts.Allocated()))
	}
	snap, err := c.snapshot()
	if err != nil {
		c.mu.Lock()
		name := c.lastPool
		c.mu.Unlock()
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0, name)
		return
	}
	name := snap.Pool.Name
	c.mu.Lock()
	c.lastPool = name
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1, name)
	for _, p := range c.pool {
		ch <- prometheus.MustNewConstMetric(p.desc, p.typ, float64(p.value(snap)), name)
	}
	ch <- prometheus.MustNewConstMetric(c.memoryPeak, prometheus.GaugeValue, float64(series.MemoryPeak.Value(snap)), name)
	if c.caches != nil {
		c.collectCaches(ch, name)
	}
	if c.opts.PoolOnly {
		return
	}
	for _, p := range snap.Procs {
		pid := series.PIDLabel(p)
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, 1, name, pid, p.Stage.String())
		for i, m := range series.Procs {
			ch <- prometheus.MustNewConstMetric(c.procs[i], valueType(m.Counter), m.Value(p), name, pid)
		}
	}
}

func (c *Collector) snapshot() (scoreboard.Snapshot, error) {
	if c.src == nil {
		return scoreboard.Snapshot{}, errNoSource
	}
	snap, err := c.src.Snapshot(!c.opts.PoolOnly)
	if err == nil && !series.ValidCounts(snap.Pool) {
		err = errInvalidCounts
	}
	return snap, err
}

// collectCaches sends the series of the Source's caches.
func (c *Collector) collectCaches(ch chan<- prometheus.Metric, pool string) {
	for _, cache := range c.src.(status.CacheSource).CacheStats() {
		for i, m := range series.Caches {
			ch <- prometheus.MustNewConstMetric(c.caches[i], valueType(m.Counter), float64(m.Value(cache.Stats)), pool, cache.Name)
		}
	}
}

var (
	errNoSource      = errors.New("promcollector: no source")
	errInvalidCounts = errors.New("promcollector: invalid status values")
)
