package pm

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/fpmshm/fpmshm/status"
)

// masterWide is what the pools of one master keep together, as php-fpm
// keeps it for the whole master: the workers of every pool, which
// process.max caps; the workers' crashes, which emergency_restart_threshold
// counts and which, once too many, reload every pool; and what systemd is
// told (see runSystemd). Each pool's loop holds it; its methods are safe
// for the loops to call at once.
type masterWide struct {
	workers          atomic.Int64 // started and not yet reaped, in every pool
	warnedProcessMax atomic.Bool  // process.max logged for the current episode

	mu      sync.Mutex
	crashes []time.Time // the last workers' crashes, in every pool

	reloads  []chan struct{}    // by pool: a reload another pool asks for
	started  chan status.Source // each pool's, once its first workers have started
	stopping chan struct{}      // closed once a pool stops
	stopOnce sync.Once
}

func newMasterWide(pools int) *masterWide {
	w := &masterWide{
		reloads:  make([]chan struct{}, pools),
		started:  make(chan status.Source, pools),
		stopping: make(chan struct{}),
	}
	for i := range w.reloads {
		w.reloads[i] = make(chan struct{}, 1)
	}
	return w
}

// reserveWorker counts a worker about to start, unless max (process.max;
// 0 is no limit) workers run already in the master's pools. A worker that
// then fails to start is given back with releaseWorker.
func (w *masterWide) reserveWorker(max int) bool {
	for {
		n := w.workers.Load()
		if max > 0 && n >= int64(max) {
			return false
		}
		if w.workers.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// releaseWorker uncounts a worker that has ended or did not start.
func (w *masterWide) releaseWorker() { w.workers.Add(-1) }

// crashed counts a worker's crash at now, and reports whether n of them
// came within the interval within: then the count starts again.
func (w *masterWide) crashed(now time.Time, n int, within time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.crashes = append(w.crashes, now)
	if len(w.crashes) > n {
		w.crashes = w.crashes[len(w.crashes)-n:]
	}
	if len(w.crashes) < n || now.Sub(w.crashes[0]) > within {
		return false
	}
	w.crashes = w.crashes[:0]
	return true
}

// reloadOthers asks every pool but pool to reload.
func (w *masterWide) reloadOthers(pool int) {
	for i, c := range w.reloads {
		if i == pool {
			continue
		}
		select {
		case c <- struct{}{}:
		default: // one is pending already
		}
	}
}

// poolStarted tells systemd's notifier that a pool listens and has
// started its first workers; src reads its counts.
func (w *masterWide) poolStarted(src status.Source) {
	select {
	case w.started <- src:
	default: // told already: a pool is told once
	}
}

// stop tells systemd's notifier that the master is stopping.
func (w *masterWide) stop() { w.stopOnce.Do(func() { close(w.stopping) }) }
