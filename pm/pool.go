package pm

import (
	"errors"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status"
)

// Pool is a running pool as its master sees it. Run gives it to
// Config.OnStart, so that the program embedding the pool can serve the
// pool's status on its own server: status.Handler for the status page,
// promcollector.NewCollector for /metrics, its own admin pages.
type Pool struct {
	source status.Source
}

// Source returns the pool's status. Each Snapshot is taken by the
// master's loop, which alone touches the scoreboard's table, so the
// Source may be used from any goroutine of the master, at once by several.
// When the pool has shared caches (Config.Caches) it is a
// status.CacheSource, which adds their series to the OpenMetrics page and
// the Collector. Once Run has returned, Snapshot fails.
func (p *Pool) Source() status.Source { return p.source }

// snapshotRequest asks the master's loop for a snapshot of the scoreboard.
type snapshotRequest struct {
	full  bool
	reply chan<- snapshotReply
}

type snapshotReply struct {
	snap scoreboard.Snapshot
	err  error
}

// errMasterStopped is a Snapshot's error once the master has stopped.
var errMasterStopped = errors.New("the master has stopped")

// masterSource is the pool's Source in the master: snapshots asked of the
// master's loop on snapshots, until stopped is closed.
func masterSource(snapshots chan<- snapshotRequest, stopped <-chan struct{}) status.Source {
	return withCacheStats(status.SourceFunc(func(full bool) (scoreboard.Snapshot, error) {
		reply := make(chan snapshotReply, 1)
		select {
		case snapshots <- snapshotRequest{full, reply}:
		case <-stopped:
			return scoreboard.Snapshot{}, errMasterStopped
		}
		r := <-reply
		return r.snap, r.err
	}))
}
