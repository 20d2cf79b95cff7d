package pm

import "time"

// minHeartbeat is the shortest interval between two checks of the request
// timeouts, as PHP-FPM's FPM_PCTL_MIN_HEARTBEAT.
const minHeartbeat = 130 * time.Millisecond

// heartbeatEvery is how often the master checks request_slowlog_timeout
// and request_terminate_timeout, as PHP-FPM's heartbeat: a third of the
// smaller of the two that are set, at least minHeartbeat. A request is
// then seen past its timeout at most a third of it late. Without either
// timeout there is nothing to check: 0.
func heartbeatEvery(c *Config) time.Duration {
	var d time.Duration
	for _, t := range []time.Duration{c.RequestSlowlogTimeout, c.RequestTerminateTimeout} {
		if t > 0 && (d == 0 || t/3 < d) {
			d = t / 3
		}
	}
	if d == 0 {
		return 0
	}
	return max(d, minHeartbeat)
}

// heartbeat checks the request timeouts of every worker serving a request.
func (m *master) heartbeat() {
	if len(m.kids) == 0 || heartbeatEvery(m.cfg) == 0 {
		return
	}
	v, err := m.view()
	if err != nil {
		m.log.Error("read the scoreboard", "err", err)
		return
	}
	m.checkRequests(v)
}

// heartbeatTicker ticks at the heartbeat's interval, which a reload may
// change; with no interval it never ticks.
type heartbeatTicker struct {
	t *time.Ticker
	d time.Duration
	c <-chan time.Time // t's channel; nil while stopped
}

func newHeartbeatTicker() *heartbeatTicker { return &heartbeatTicker{} }

// every sets the interval: d, or none when d is 0. The same interval
// again leaves the ticker as it is.
func (h *heartbeatTicker) every(d time.Duration) {
	if d == h.d {
		return
	}
	h.d = d
	switch {
	case d <= 0:
		h.stop()
	case h.t == nil:
		h.t = time.NewTicker(d)
		h.c = h.t.C
	default:
		h.t.Reset(d)
		h.c = h.t.C
	}
}

// stop stops the ticker.
func (h *heartbeatTicker) stop() {
	if h.t != nil {
		h.t.Stop()
	}
	h.c = nil
}
