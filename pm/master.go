package pm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// child is a worker as the master knows it: the master's own record, never
// read from shared memory. Whom it signals and which slot it frees come
// from here alone.
type child struct {
	pid     int
	slot    int
	gen     int
	proc    process
	started time.Time

	retiring string    // why the master stopped it ("idle", "reload", ...); "" while it serves
	retired  time.Time // when it was told to stop
	termSent bool      // sent SIGTERM for process_control_timeout
	ready    bool      // it said it takes SIGQUIT as a graceful stop (see sayReady)
	quitDue  bool      // SIGQUIT kept from it until it is ready
	timedOut time.Time // when it was sent SIGTERM for request_terminate_timeout
	killed   bool      // sent SIGKILL for request_terminate_timeout
	slowSeen time.Time // accepted time of the request already counted as slow
}

// stopMode is how the master is stopping.
type stopMode int

const (
	running      stopMode = iota
	stopGraceful          // SIGQUIT: workers finish their request
	stopNow               // SIGTERM, SIGINT, ctx: workers are terminated
)

// killGrace is how long a stop-now waits for SIGTERMed workers before
// SIGKILL.
const killGrace = time.Second

// fastCrash is how soon after its start a worker may fail before its
// replacement is put off to the next maintenance, so a worker that cannot
// start does not respawn in a tight loop.
const fastCrash = time.Second

// master runs a pool: it spawns, reaps and replaces workers and runs
// PHP-FPM's once-a-second maintenance. All its state is owned by the
// goroutine of run; the methods below are called from there only.
type master struct {
	cfg   *Config
	set   spawnSettings // how cfg's workers are started
	log   *slog.Logger
	board masterBoard
	sp    spawner
	ls    []*listener
	now   func() time.Time

	kids       map[int]*child // by pid
	gen        int
	stopping   stopMode
	spawnRate  int  // dynamic: workers to spawn at the next shortage (1 to pm.max_spawn_rate)
	warnedMax  bool // max children reached counted for the current episode
	respawnDue int  // replacements put off to the next maintenance

	wide *masterWide // what the master's pools keep together
	pool int         // this pool's index among them
}

func newMaster(cfg *Config, set spawnSettings, log *slog.Logger, board masterBoard, sp spawner, ls []*listener) *master {
	for _, l := range ls {
		if err := l.leavePoller(); err != nil {
			log.Warn("close the master's watch on a listening socket", "listen", l.addr, "err", err)
		}
	}
	return &master{
		cfg: cfg, set: set, log: log, board: board, sp: sp, ls: ls, now: time.Now,
		kids: map[int]*child{}, spawnRate: 1, wide: newMasterWide(1),
	}
}

// events are what the master's loop hears of besides time: its signals,
// workers that ended, workers that are ready, snapshots asked for by
// pm.status_listen and the master's other users, and reloads asked for by
// another pool of the master.
type events struct {
	signals   <-chan os.Signal
	exits     <-chan exitEvent
	ready     <-chan int
	snapshots <-chan snapshotRequest
	reloads   <-chan struct{}
	started   func() // called once the pool's first workers have started; may be nil
}

// run starts the pool and serves events until it has stopped. It locks
// its goroutine to its thread for good, for the parent-death signal of
// the workers it spawns (see dieWithMaster).
func (m *master) run(ctx context.Context, ev events) error {
	runtime.LockOSThread() // never unlocked: the thread ends with the master
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var shortage <-chan time.Time // dynamic: a look for a new shortage of idle workers
	if m.cfg.PM == Dynamic {
		t := time.NewTicker(shortageEvery)
		defer t.Stop()
		shortage = t.C
	}
	demand := make(chan struct{})
	if m.cfg.PM == Ondemand {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go watchDemand(wctx, m.ls, demand)
	}
	m.updateListenQueue() // the first status shows the listen queue, not zeros until the first maintenance
	select {
	case s := <-ev.signals: // one that came while the pool was starting
		m.onSignal(s)
	default:
	}
	if m.stopping == running && len(m.kids) == 0 { // a reload has started them
		m.startWorkers()
	}
	if ev.started != nil {
		ev.started()
	}
	var killTimer <-chan time.Time
	beat := newHeartbeatTicker()
	defer beat.stop()
	done := ctx.Done()
	for m.stopping == running || len(m.kids) > 0 {
		beat.every(heartbeatEvery(m.cfg)) // a reload may change the timeouts
		select {
		case <-done:
			done = nil
			m.stop(stopNow)
		case s := <-ev.signals:
			m.onSignal(s)
		case e := <-ev.exits:
			m.reap(e)
		case pid := <-ev.ready:
			m.onReady(pid)
		case r := <-ev.snapshots:
			snap, err := m.board.Snapshot(r.full)
			r.reply <- snapshotReply{snap, err}
		case <-tick.C:
			m.maintain()
		case <-beat.c:
			m.heartbeat()
		case <-shortage:
			if m.newShortage() { // the maintenance is brought forward
				m.maintain()
				tick.Reset(time.Second)
			}
		case <-demand:
			m.onDemand()
		case <-killTimer:
			m.signalAll(syscall.SIGKILL, "")
		case <-ev.reloads:
			m.reload()
		}
		if m.stopping != running {
			m.wide.stop()
		}
		if m.stopping == stopNow && killTimer == nil {
			killTimer = time.After(killGrace)
		}
	}
	m.cfg.logger().Info("exiting, bye-bye!") // php-fpm's words, as Terminating and Finishing: of the master, with no pool
	return nil
}

// startWorkers spawns the pool's first workers.
func (m *master) startWorkers() {
	for range m.cfg.startCount() {
		if !m.spawn() {
			break
		}
	}
}

// onSignal acts on a signal to the master.
func (m *master) onSignal(s os.Signal) {
	if sig, ok := s.(syscall.Signal); ok {
		m.cfg.logger().Debug("received " + signalName(sig))
	}
	switch s {
	case syscall.SIGTERM, syscall.SIGINT:
		m.cfg.logger().Info("Terminating ...")
		m.stop(stopNow)
	case syscall.SIGQUIT:
		m.cfg.logger().Info("Finishing ...")
		m.stop(stopGraceful)
	case syscall.SIGUSR2:
		m.log.Info("Reloading workers ... (SIGUSR2)")
		m.reload()
	case syscall.SIGUSR1:
		m.reopenLogFiles()
	}
}

// stop stops the pool: gracefully (each worker finishes its request) or
// now (SIGTERM, then SIGKILL after killGrace). A stop-now overrides a
// graceful stop in progress.
func (m *master) stop(mode stopMode) {
	if mode <= m.stopping {
		return
	}
	m.stopping = mode
	if mode == stopNow {
		m.signalAll(syscall.SIGTERM, "stop")
		return
	}
	for _, c := range m.kids {
		if c.retiring == "" {
			m.retire(c, "stop")
		}
	}
}

// topUp spawns workers of the current generation up to the pool's start
// count, in free slots.
func (m *master) topUp() {
	for m.live() < m.cfg.startCount() && len(m.kids) < m.cfg.MaxChildren {
		if !m.spawn() {
			return
		}
	}
}

// retire tells a worker to finish its request and exit: SIGQUIT, sent
// when the worker is ready for it.
func (m *master) retire(c *child, why string) {
	if c.retiring == "" {
		c.retired = m.now()
	}
	c.retiring = why
	if !c.ready {
		c.quitDue = true
		return
	}
	if m.cfg.terminatesAtOnce() {
		c.termSent = true
		m.signal(c, syscall.SIGTERM)
		return
	}
	m.signal(c, syscall.SIGQUIT)
}

// signal sends sig to worker c; a failure (the worker has just ended, it
// will be reaped) is only worth a debug line.
func (m *master) signal(c *child, sig syscall.Signal) {
	if err := c.proc.Signal(sig); err != nil {
		m.log.Debug("signal worker", "pid", c.pid, "signal", signalName(sig), "err", err)
	}
}

// onReady records that worker pid is ready, and sends it the SIGQUIT that
// was kept from it.
func (m *master) onReady(pid int) {
	c := m.kids[pid]
	if c == nil || c.ready {
		return
	}
	c.ready = true
	if c.quitDue {
		c.quitDue = false
		m.retire(c, c.retiring)
	}
}

// signalAll sends sig to every worker, marking those not yet retiring.
func (m *master) signalAll(sig syscall.Signal, why string) {
	for _, c := range m.kids {
		if why != "" && c.retiring == "" {
			c.retiring = why
		}
		m.signal(c, sig)
	}
}

// live counts the workers that are not retiring.
func (m *master) live() int {
	n := 0
	for _, c := range m.kids {
		if c.retiring == "" {
			n++
		}
	}
	return n
}

// spawn starts one worker in a free slot; false if there is none or the
// start failed (which is logged).
func (m *master) spawn() bool {
	if m.processMaxReached() {
		return false
	}
	slot, err := m.board.AllocSlot()
	if err != nil {
		m.wide.releaseWorker()
		if !errors.Is(err, scoreboard.ErrFull) {
			m.log.Error("allocate a scoreboard slot", "err", err)
		}
		return false
	}
	pid, p, err := m.sp.spawn(slot, m.gen, &m.set)
	if err != nil {
		m.log.Error("unable to spawn a worker", "err", err)
		m.wide.releaseWorker()
		if ferr := m.board.FreeSlot(slot); ferr != nil {
			m.log.Error("free scoreboard slot", "slot", slot, "err", ferr)
		}
		return false
	}
	if err := m.board.Started(slot, pid); err != nil {
		m.log.Error("record worker pid", "slot", slot, "pid", pid, "err", err)
	}
	m.kids[pid] = &child{pid: pid, slot: slot, gen: m.gen, proc: p, started: m.now()}
	m.log.Debug(fmt.Sprintf("child %d started", pid), "slot", slot, "generation", m.gen) // php-fpm's words
	return true
}

// reap handles a worker's end: its slot is freed (which also repairs a
// record it left half-written) and, unless the master stopped it on
// purpose, it is replaced as PHP-FPM replaces its children.
func (m *master) reap(e exitEvent) {
	c, ok := m.kids[e.pid]
	if !ok {
		return
	}
	delete(m.kids, e.pid)
	m.wide.releaseWorker()
	releaseCaches(e.pid)
	if err := m.board.FreeSlot(c.slot); err != nil {
		m.log.Error("free scoreboard slot", "slot", c.slot, "pid", c.pid, "err", err)
	}
	lived := m.now().Sub(c.started)
	how, failed := describeExit(e, lived)
	switch {
	case c.retiring != "" || (!failed && m.stopping != running):
		m.log.Debug(fmt.Sprintf("child %d %s", c.pid, how), "reason", c.retiring)
	case failed:
		m.log.Warn(fmt.Sprintf("child %d %s", c.pid, how))
	default:
		m.log.Info(fmt.Sprintf("child %d %s", c.pid, how))
	}
	m.replace(c, failed && lived < fastCrash)
	m.noteCrash(e)
}

// replace decides whether a reaped worker gets a successor now.
func (m *master) replace(c *child, fast bool) {
	switch {
	case m.stopping != running:
	case c.retiring == "reload":
		m.topUp()
	case c.retiring != "":
		// stopped on purpose (idle, spare): not replaced
	case m.cfg.PM == Ondemand:
		// ondemand spawns on demand only
	case fast:
		m.respawnDue++
	default:
		m.spawn()
	}
}
