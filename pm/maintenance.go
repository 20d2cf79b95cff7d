package pm

import (
	"fmt"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// poolView is one maintenance's view of the pool: the scoreboard's
// snapshot joined to the master's own records.
type poolView struct {
	snap  scoreboard.Snapshot
	procs map[int]*scoreboard.Proc // by pid; only slots whose pid matches the master's record
	idle  []*child                 // live workers in the Idle stage (or still starting)
	busy  int                      // live workers serving a request
}

// view takes a snapshot and sorts the live workers into idle and busy. A
// worker still starting counts as idle, as PHP-FPM counts a child whose
// slot it has just prepared; a slot that makes no sense counts as busy, so
// that it is never stopped as idle.
func (m *master) view() (*poolView, error) {
	snap, err := m.board.Snapshot(true)
	if err != nil {
		return nil, err
	}
	v := &poolView{snap: snap, procs: map[int]*scoreboard.Proc{}}
	bySlot := map[int]*scoreboard.Proc{}
	for i := range snap.Procs {
		bySlot[snap.Procs[i].Slot] = &snap.Procs[i]
	}
	for _, c := range m.kids {
		p := bySlot[c.slot]
		if p != nil && p.PID == c.pid {
			v.procs[c.pid] = p
		}
		if c.retiring != "" {
			continue
		}
		switch {
		case p == nil || p.PID != c.pid:
			v.idle = append(v.idle, c) // starting: its pid is not in the slot yet
		case p.Invalid != "" || p.Stage != scoreboard.Idle:
			v.busy++
		default:
			v.idle = append(v.idle, c)
		}
	}
	return v, nil
}

// maintain is the once-a-second maintenance: listen queue, workers told
// to stop that are late, then the pool size as pm asks. The request
// timeouts have a heartbeat of their own (see heartbeat).
func (m *master) maintain() {
	m.updateListenQueue()
	m.checkRetiring()
	if m.stopping != running {
		return
	}
	v, err := m.view()
	if err != nil {
		m.log.Error("read the scoreboard", "err", err)
		return
	}
	for ; m.respawnDue > 0 && len(m.kids) < m.cfg.MaxChildren; m.respawnDue-- {
		if !m.spawn() {
			break
		}
	}
	switch m.cfg.PM {
	case Static:
		for m.live() < m.cfg.MaxChildren && m.spawn() {
		}
	case Dynamic:
		m.maintainDynamic(v)
	case Ondemand:
		m.maintainOndemand(v)
	}
}

// updateListenQueue records the listen queue (all sockets together).
func (m *master) updateListenQueue() {
	var waiting, size uint64
	for _, l := range m.ls {
		w, s := l.queue()
		waiting += w
		size += s
	}
	if len(m.ls) > 0 {
		m.board.SetListenQueue(waiting, size)
	}
}

// maintainDynamic is PHP-FPM's dynamic pm: stop one idle worker when there
// are more than pm.max_spare_servers idle; spawn when fewer than
// pm.min_spare_servers are idle, 1 at first, then twice as many each
// second while the shortage lasts, up to pm.max_spawn_rate; count "max children reached"
// once per episode when pm.max_children stops it.
func (m *master) maintainDynamic(v *poolView) {
	idle := len(v.idle)
	if idle > m.cfg.MaxSpareServers {
		if c := m.longestIdle(v); c != nil {
			m.retire(c, "spare")
		}
		m.spawnRate = 1
		return
	}
	if idle >= m.cfg.MinSpareServers {
		m.spawnRate = 1
		return
	}
	if len(m.kids) >= m.cfg.MaxChildren {
		m.maxChildrenReached()
		return
	}
	m.warnedMax = false
	n := min(m.spawnRate, m.cfg.MinSpareServers-idle, m.cfg.MaxChildren-len(m.kids))
	if m.spawnRate >= 8 {
		m.log.Warn(fmt.Sprintf("seems busy (you may need to increase pm.start_servers, or pm.min/max_spare_servers), spawning %d children, there are %d idle, and %d total children",
			n, idle, idle+v.busy))
	}
	for range n {
		if !m.spawn() {
			break
		}
	}
	m.spawnRate = min(m.spawnRate*2, m.cfg.MaxSpawnRate)
}

// shortageEvery is how often a dynamic pool's master looks for a new
// shortage of idle workers between its once-a-second maintenances.
const shortageEvery = 100 * time.Millisecond

// newShortage reports whether a dynamic pool that was not short of idle
// workers at its last maintenance is now: then the maintenance runs at
// once, so the pool spawns within shortageEvery rather than up to a second
// later (PHP-FPM looks once a second), and the next ones follow a second
// apart. While a shortage lasts, the spawning keeps PHP-FPM's pace of one
// round a second.
func (m *master) newShortage() bool {
	if m.stopping != running || m.spawnRate != 1 || len(m.kids) >= m.cfg.MaxChildren {
		return false
	}
	v, err := m.view()
	return err == nil && len(v.idle) < m.cfg.MinSpareServers
}

// maxChildrenReached counts one episode of a pool that wanted a worker
// more but had pm.max_children.
func (m *master) maxChildrenReached() {
	if m.warnedMax {
		return
	}
	m.warnedMax = true
	m.board.AddMaxChildrenReached()
	m.log.Warn(fmt.Sprintf("server reached pm.max_children setting (%d), consider raising it", m.cfg.MaxChildren))
}

// maintainOndemand stops the worker idle the longest if it has been idle
// longer than pm.process_idle_timeout (one per second, as PHP-FPM).
func (m *master) maintainOndemand(v *poolView) {
	c := m.longestIdle(v)
	if c == nil {
		return
	}
	if m.idleSince(v, c) >= m.cfg.ProcessIdleTimeout {
		m.retire(c, "idle")
	}
}

// onDemand handles a connection waiting on a listening socket (ondemand):
// a worker is spawned unless one is idle (or starting).
func (m *master) onDemand() {
	if m.stopping != running {
		return
	}
	v, err := m.view()
	if err != nil {
		m.log.Error("read the scoreboard", "err", err)
		return
	}
	if len(v.idle) > 0 {
		return
	}
	if len(m.kids) >= m.cfg.MaxChildren {
		m.maxChildrenReached()
		return
	}
	m.warnedMax = false
	m.spawn()
}

// longestIdle returns the idle worker whose last activity is oldest.
func (m *master) longestIdle(v *poolView) *child {
	var best *child
	var bestSince time.Duration
	for _, c := range v.idle {
		if d := m.idleSince(v, c); best == nil || d > bestSince {
			best, bestSince = c, d
		}
	}
	return best
}

// idleSince is how long an idle worker has been idle: since its last
// activity in the scoreboard, or its start while it has not written any.
func (m *master) idleSince(v *poolView, c *child) time.Duration {
	now := v.snap.Taken
	if p := v.procs[c.pid]; p != nil && !p.LastActivity.IsZero() && p.Stage == scoreboard.Idle {
		return now.Sub(p.LastActivity)
	}
	return now.Sub(c.started)
}

// checkRetiring applies process_control_timeout: a worker told to stop
// that is still there that long after gets SIGTERM, and a second later
// SIGKILL.
func (m *master) checkRetiring() {
	limit := m.cfg.ProcessControlTimeout
	if limit == 0 && !m.cfg.terminatesAtOnce() {
		return
	}
	now := m.now()
	for _, c := range m.kids {
		if c.retiring == "" || c.killed {
			continue
		}
		switch late := now.Sub(c.retired); {
		case c.termSent && late >= limit+killGrace:
			c.killed = true
			m.signal(c, syscall.SIGKILL)
		case !c.termSent && late >= limit:
			c.termSent = true
			m.log.Warn(fmt.Sprintf("child %d did not stop within process_control_timeout (%s), terminating", c.pid, limit))
			m.signal(c, syscall.SIGTERM)
		}
	}
}

// checkRequests applies request_terminate_timeout and
// request_slowlog_timeout (counted and logged once per request) to every
// worker serving a request. A request past request_terminate_timeout gets
// its worker SIGTERM, as PHP-FPM's does: the worker cancels the request's
// context and exits once the handler returns. A worker still there
// killGrace later gets SIGKILL. Either way it is reaped and replaced.
func (m *master) checkRequests(v *poolView) {
	term, slow := m.cfg.RequestTerminateTimeout, m.cfg.RequestSlowlogTimeout
	if term == 0 && slow == 0 {
		return
	}
	for _, c := range m.kids {
		p := v.procs[c.pid]
		if p == nil || p.Invalid != "" || p.Stage == scoreboard.Idle || !p.Stage.Valid() {
			continue
		}
		d := p.Duration
		if slow > 0 && d >= slow && !c.slowSeen.Equal(p.Accepted) {
			c.slowSeen = p.Accepted
			m.board.AddSlowRequest()
			m.log.Warn(fmt.Sprintf("child %d, script '%s' (request: \"%s %s\") executing too slow (%.6f sec), logging",
				c.pid, p.Script, p.Method, p.RequestURI(), d.Seconds()))
			if m.cfg.Slowlog != "" {
				m.signal(c, traceSignal)
			}
		}
		if term > 0 && d >= term && !c.killed && (p.Stage != scoreboard.Finishing || m.cfg.RequestTerminateTimeoutTrackFinished) {
			switch now := m.now(); {
			case c.timedOut.IsZero():
				c.timedOut = now
				m.log.Warn(fmt.Sprintf("child %d, script '%s' (request: \"%s %s\") execution timed out (%.6f sec), terminating",
					c.pid, p.Script, p.Method, p.RequestURI(), d.Seconds()))
				m.signal(c, syscall.SIGTERM)
			case now.Sub(c.timedOut) >= killGrace:
				c.killed = true
				m.log.Warn(fmt.Sprintf("child %d did not stop within %s of SIGTERM, killing it", c.pid, killGrace))
				m.signal(c, syscall.SIGKILL)
			}
		}
	}
}
