package pm

import (
	"log/slog"
	"time"

	"github.com/fpmshm/fpmshm/internal/sdnotify"
	"github.com/fpmshm/fpmshm/scoreboard"
)

// systemd is the master's part in systemd's Type=notify, as php-fpm's:
// READY=1 once the pool listens and has started its workers, php-fpm's
// status line every systemd_interval, and STOPPING=1 when it stops. Not
// under systemd ($NOTIFY_SOCKET unset) it sends nothing and never ticks.
type systemd struct {
	n        *sdnotify.Notifier
	hb       *sdnotify.Heartbeat
	log      *slog.Logger
	t        *time.Ticker
	c        <-chan time.Time // the heartbeat; nil without one
	stopping bool             // STOPPING=1 sent
}

// startSystemd says READY=1 and starts the heartbeat, when the master runs
// under systemd.
func startSystemd(cfg *Config, log *slog.Logger) *systemd {
	s := &systemd{log: log}
	n, err := sdnotify.FromEnv()
	if err != nil {
		log.Warn("unable to notify systemd", "err", err)
	}
	if n == nil {
		return s
	}
	s.n = n
	every := cfg.SystemdInterval
	switch {
	case every == 0:
		every = sdnotify.DefaultInterval
	case every < 0:
		every = 0
	}
	s.hb = sdnotify.NewHeartbeat(n, every)
	s.sent(n.Ready())
	log.Info(s.hb.Notice())
	if d := s.hb.Interval(); d > 0 {
		s.t = time.NewTicker(d)
		s.c = s.t.C
	}
	return s
}

// beat sends the status line of the pool as snap shows it.
func (s *systemd) beat(snap scoreboard.Snapshot) {
	s.sent(s.hb.Beat(sdnotify.Counts{
		Active: snap.Pool.Active, Idle: snap.Pool.Idle,
		Requests: snap.Pool.AcceptedConn, Slow: snap.Pool.SlowRequests,
	}))
}

// stop says STOPPING=1, once, and stops the heartbeat.
func (s *systemd) stop() {
	if s.stopping || s.n == nil {
		return
	}
	s.stopping = true
	if s.t != nil {
		s.t.Stop()
		s.c = nil
	}
	s.sent(s.n.Stopping())
}

func (s *systemd) sent(err error) {
	if err != nil {
		s.log.Warn("failed to notify systemd", "err", err)
	}
}
