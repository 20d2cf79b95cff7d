package pm

import (
	"log/slog"
	"time"

	"github.com/fpmshm/fpmshm/internal/sdnotify"
)

// runSystemd is the master's part in systemd's Type=notify, as php-fpm's,
// one for all its pools: READY=1 once every pool listens and has started
// its workers, php-fpm's status line every systemd_interval with the
// counts of every pool summed, and STOPPING=1 once, when the master starts
// to stop. It returns when done is closed (every pool has stopped),
// having said STOPPING=1 if it said READY=1. Not under systemd
// ($NOTIFY_SOCKET unset) it sends nothing and returns at once. every is
// [global] systemd_interval (see Config.SystemdInterval).
func runSystemd(every time.Duration, log *slog.Logger, w *masterWide, done <-chan struct{}) {
	n, err := sdnotify.FromEnv()
	if err != nil {
		log.Warn("unable to notify systemd", "err", err)
	}
	if n == nil {
		return
	}
	sent := func(err error) {
		if err != nil {
			log.Warn("failed to notify systemd", "err", err)
		}
	}
	var pools []func() (sdnotify.Counts, error)
	for range cap(w.started) {
		select {
		case src := <-w.started:
			pools = append(pools, func() (sdnotify.Counts, error) {
				snap, err := src.Snapshot(false)
				return sdnotify.Counts{
					Active: snap.Pool.Active, Idle: snap.Pool.Idle,
					Requests: snap.Pool.AcceptedConn, Slow: snap.Pool.SlowRequests,
				}, err
			})
		case <-done: // a pool failed to start
			return
		}
	}
	switch {
	case every == 0:
		every = sdnotify.DefaultInterval
	case every < 0:
		every = 0
	}
	hb := sdnotify.NewHeartbeat(n, every)
	sent(n.Ready())
	log.Info(hb.Notice())
	var tick <-chan time.Time
	if d := hb.Interval(); d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		tick = t.C
	}
	defer func() { sent(n.Stopping()) }()
	for {
		select {
		case <-tick:
			var sum sdnotify.Counts
			for _, counts := range pools {
				c, err := counts()
				if err != nil {
					continue // a pool that has stopped
				}
				sum.Active += c.Active
				sum.Idle += c.Idle
				sum.Requests += c.Requests
				sum.Slow += c.Slow
			}
			sent(hb.Beat(sum))
		case <-w.stopping:
			return
		case <-done:
			return
		}
	}
}
