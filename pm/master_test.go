package pm

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// The master's decisions, tested without forking: a fake scoreboard whose
// slots the test sets, and a fake spawner whose processes record signals.

type fakeSlot struct {
	pid          int
	stage        scoreboard.Stage
	accepted     time.Time
	lastActivity time.Time
}

type fakeBoard struct {
	now                  time.Time
	slots                []*fakeSlot // nil: free
	maxReached, slowReqs int
}

func (b *fakeBoard) AllocSlot() (int, error) {
	for i, s := range b.slots {
		if s == nil {
			b.slots[i] = &fakeSlot{stage: scoreboard.Idle, lastActivity: b.now}
			return i, nil
		}
	}
	return 0, scoreboard.ErrFull
}
func (b *fakeBoard) Started(slot, pid int) error { b.slots[slot].pid = pid; return nil }
func (b *fakeBoard) FreeSlot(slot int) error     { b.slots[slot] = nil; return nil }
func (b *fakeBoard) SetListenQueue(w, s uint64)  {}
func (b *fakeBoard) AddMaxChildrenReached()      { b.maxReached++ }
func (b *fakeBoard) AddSlowRequest()             { b.slowReqs++ }
func (b *fakeBoard) Snapshot(full bool) (scoreboard.Snapshot, error) {
	s := scoreboard.Snapshot{Taken: b.now}
	for i, sl := range b.slots {
		if sl == nil {
			continue
		}
		p := scoreboard.Proc{Slot: i, PID: sl.pid, Stage: sl.stage, Accepted: sl.accepted, LastActivity: sl.lastActivity, Method: "GET", URI: "/x"}
		if sl.stage != scoreboard.Idle {
			p.Duration = b.now.Sub(sl.accepted)
		}
		s.Procs = append(s.Procs, p)
	}
	return s, nil
}

// setAll sets the stage of every used slot.
func (b *fakeBoard) setAll(st scoreboard.Stage) {
	for _, s := range b.slots {
		if s != nil {
			s.stage, s.accepted, s.lastActivity = st, b.now, b.now
		}
	}
}

func (b *fakeBoard) used() int {
	n := 0
	for _, s := range b.slots {
		if s != nil {
			n++
		}
	}
	return n
}

type fakeProc struct{ sigs []os.Signal }

func (p *fakeProc) Signal(s os.Signal) error { p.sigs = append(p.sigs, s); return nil }

type fakeSpawner struct {
	next  int
	procs map[int]*fakeProc
	gens  map[int]int
	cfgs  map[int]workerConfig
}

func (f *fakeSpawner) spawn(slot, gen int, s *spawnSettings) (int, process, error) {
	f.next++
	pid := 1000 + f.next
	p := &fakeProc{}
	f.procs[pid], f.gens[pid], f.cfgs[pid] = p, gen, s.worker
	return pid, p, nil
}

func newTestMaster(t *testing.T, cfg Config) (*master, *fakeBoard, *fakeSpawner) {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "9000"
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	b := &fakeBoard{now: time.Unix(1_800_000_000, 0), slots: make([]*fakeSlot, cfg.MaxChildren)}
	sp := &fakeSpawner{procs: map[int]*fakeProc{}, gens: map[int]int{}, cfgs: map[int]workerConfig{}}
	set, _, err := cfg.spawnSettings(os.Geteuid())
	if err != nil {
		t.Fatal(err)
	}
	m := newMaster(&cfg, set, slog.New(slog.DiscardHandler), b, sp, nil)
	m.now = func() time.Time { return b.now }
	return m, b, sp
}

// readyAll has every worker say it is ready, as sayReady does.
func readyAll(m *master) {
	for pid := range m.kids {
		m.onReady(pid)
	}
}

// exit reports pid's end with an exit code (or a signal when code < 0).
func exited(pid, code int) exitEvent {
	if code >= 0 {
		return exitEvent{pid: pid, status: syscall.WaitStatus(code << 8)}
	}
	return exitEvent{pid: pid, status: syscall.WaitStatus(-code)}
}

func TestDynamicSpawnRateAndMaxChildren(t *testing.T) {
	m, b, _ := newTestMaster(t, Config{PM: Dynamic, MaxChildren: 10, StartServers: 5, MinSpareServers: 5, MaxSpareServers: 8})
	m.startWorkers()
	want := []int{6, 8, 10, 10, 10} // all busy: +1, +2, +2 (capped by max), then max reached
	for i, w := range want {
		b.setAll(scoreboard.Running)
		b.now = b.now.Add(time.Second)
		m.maintain()
		if got := len(m.kids); got != w || b.used() != len(m.kids) {
			t.Fatalf("tick %d: %d workers (%d slots), want %d", i, got, b.used(), w)
		}
	}
	if b.maxReached != 1 {
		t.Errorf("max children reached counted %d times in one episode, want 1", b.maxReached)
	}
	// A worker replaced at once keeps the episode going, as in PHP-FPM.
	var any int
	for pid := range m.kids {
		any = pid
		break
	}
	m.reap(exited(any, 0))
	b.setAll(scoreboard.Running)
	m.maintain()
	if b.maxReached != 1 || len(m.kids) != 10 {
		t.Errorf("after a respawn: max children reached %d, %d workers; want 1 and 10", b.maxReached, len(m.kids))
	}

	// All idle: more than pm.max_spare_servers, one stopped (SIGQUIT) per tick,
	// the one idle longest.
	readyAll(m)
	b.setAll(scoreboard.Idle)
	oldest := b.slots[3]
	oldest.lastActivity = b.now.Add(-time.Minute)
	b.now = b.now.Add(time.Second)
	m.maintain()
	retiring := 0
	for _, c := range m.kids {
		if c.retiring != "" {
			retiring++
			if c.pid != oldest.pid || c.retiring != "spare" {
				t.Errorf("stopped worker %d (%s), want the one idle longest, %d", c.pid, c.retiring, oldest.pid)
			}
			if sigs := c.proc.(*fakeProc).sigs; len(sigs) != 1 || sigs[0] != syscall.SIGQUIT {
				t.Errorf("the spare worker got %v, want SIGQUIT", sigs)
			}
		}
	}
	if retiring != 1 {
		t.Errorf("%d workers stopped in one tick, want 1", retiring)
	}
	m.reap(exited(oldest.pid, 0))
	if len(m.kids) != 9 {
		t.Errorf("a spare worker stopped on purpose was replaced: %d workers", len(m.kids))
	}

	// A shortage the master can serve ends the episode; the next one counts.
	b.setAll(scoreboard.Running)
	m.maintain()
	b.setAll(scoreboard.Running)
	m.maintain()
	if b.maxReached != 2 || len(m.kids) != 10 {
		t.Errorf("a second episode: max children reached %d, %d workers; want 2 and 10", b.maxReached, len(m.kids))
	}
}

func TestStaticRespawns(t *testing.T) {
	m, b, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 3})
	m.startWorkers()
	if len(m.kids) != 3 {
		t.Fatalf("static pool started %d workers, want 3", len(m.kids))
	}
	var pids []int
	for pid := range m.kids {
		pids = append(pids, pid)
	}
	b.now = b.now.Add(time.Minute)
	m.reap(exited(pids[0], 0)) // pm.max_requests: replaced now
	if len(m.kids) != 3 || m.kids[pids[0]] != nil {
		t.Fatalf("after a worker's exit: %d workers", len(m.kids))
	}
	m.spawn() // no slot free: refused
	if len(m.kids) != 3 {
		t.Fatalf("spawned past pm.max_children")
	}
	// A worker killed right after its start is replaced at the next tick.
	var young int
	for pid, c := range m.kids {
		if c.started.Equal(b.now) {
			young = pid
		}
	}
	m.reap(exited(young, -int(syscall.SIGKILL)))
	if len(m.kids) != 2 || m.respawnDue != 1 {
		t.Fatalf("a worker that failed at once was replaced at once: %d workers, %d due", len(m.kids), m.respawnDue)
	}
	b.now = b.now.Add(time.Second)
	m.maintain()
	if len(m.kids) != 3 || m.respawnDue != 0 {
		t.Errorf("after the tick: %d workers, %d due", len(m.kids), m.respawnDue)
	}
}

func TestOndemandDecisions(t *testing.T) {
	m, b, _ := newTestMaster(t, Config{PM: Ondemand, MaxChildren: 2, ProcessIdleTimeout: 10 * time.Second})
	m.startWorkers()
	if len(m.kids) != 0 {
		t.Fatalf("ondemand started %d workers", len(m.kids))
	}
	m.onDemand()
	m.onDemand() // the first is still starting: it counts as idle
	if len(m.kids) != 1 {
		t.Fatalf("two demands with one worker starting: %d workers, want 1", len(m.kids))
	}
	b.setAll(scoreboard.Running)
	m.onDemand()
	b.setAll(scoreboard.Running)
	m.onDemand()
	m.onDemand()
	if len(m.kids) != 2 || b.maxReached != 1 {
		t.Errorf("demands with every worker busy: %d workers, max children reached %d; want 2 and 1", len(m.kids), b.maxReached)
	}
	// Idle workers: the one idle past pm.process_idle_timeout is stopped.
	b.setAll(scoreboard.Idle)
	b.slots[1].lastActivity = b.now.Add(-11 * time.Second)
	m.maintain()
	c := m.kids[b.slots[1].pid]
	if c.retiring != "idle" || len(m.kids[b.slots[0].pid].proc.(*fakeProc).sigs) != 0 {
		t.Errorf("idle timeout: worker %d retiring %q", c.pid, c.retiring)
	}
	m.reap(exited(c.pid, 0))
	if len(m.kids) != 1 {
		t.Errorf("an ondemand worker stopped for idleness was replaced")
	}
}

func TestReloadReplacesEveryWorker(t *testing.T) {
	m, b, sp := newTestMaster(t, Config{PM: Static, MaxChildren: 2})
	m.startWorkers()
	readyAll(m)
	var old []int
	for pid := range m.kids {
		old = append(old, pid)
	}
	m.reload()
	for _, pid := range old {
		if c := m.kids[pid]; c.retiring != "reload" || c.proc.(*fakeProc).sigs[0] != syscall.SIGQUIT {
			t.Errorf("old worker %d: retiring %q, signals %v", pid, c.retiring, c.proc.(*fakeProc).sigs)
		}
	}
	if len(m.kids) != 2 {
		t.Fatalf("spawned with every slot held by old workers: %d", len(m.kids))
	}
	for _, pid := range old {
		b.now = b.now.Add(time.Second)
		m.reap(exited(pid, 0))
	}
	if len(m.kids) != 2 {
		t.Fatalf("after the old workers left: %d workers, want 2", len(m.kids))
	}
	for pid, c := range m.kids {
		if c.retiring != "" || sp.gens[pid] != 1 {
			t.Errorf("worker %d after reload: generation %d, retiring %q", pid, sp.gens[pid], c.retiring)
		}
	}
}

func TestRequestTimeoutsDecisions(t *testing.T) {
	m, b, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 1, RequestSlowlogTimeout: 2 * time.Second, RequestTerminateTimeout: 5 * time.Second})
	m.startWorkers()
	b.setAll(scoreboard.Running)
	var c *child
	for _, k := range m.kids {
		c = k
	}
	for range 5 {
		b.now = b.now.Add(time.Second)
		m.heartbeat()
	}
	sigs := c.proc.(*fakeProc).sigs
	if len(sigs) != 1 || sigs[0] != syscall.SIGTERM {
		t.Errorf("a request past request_terminate_timeout: its worker got %v, want SIGTERM first", sigs)
	}
	b.now = b.now.Add(killGrace)
	m.heartbeat()
	if b.slowReqs != 1 {
		t.Errorf("one request past request_slowlog_timeout counted %d times", b.slowReqs)
	}
	sigs = c.proc.(*fakeProc).sigs
	if len(sigs) != 2 || sigs[1] != syscall.SIGKILL {
		t.Errorf("a worker still there %s after SIGTERM got %v, want SIGTERM then SIGKILL", killGrace, sigs)
	}
	b.setAll(scoreboard.Running) // a new request
	for range 3 {
		b.now = b.now.Add(time.Second)
		m.heartbeat()
	}
	if b.slowReqs != 2 {
		t.Errorf("a second slow request: counted %d in all, want 2", b.slowReqs)
	}
}

func TestStopModes(t *testing.T) {
	m, _, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 2})
	m.startWorkers()
	readyAll(m)
	m.stop(stopGraceful)
	m.stop(stopNow)
	m.stop(stopGraceful) // no way back from stopping now
	for _, c := range m.kids {
		sigs := c.proc.(*fakeProc).sigs
		if len(sigs) != 2 || sigs[0] != syscall.SIGQUIT || sigs[1] != syscall.SIGTERM {
			t.Errorf("worker %d got %v, want SIGQUIT then SIGTERM", c.pid, sigs)
		}
	}
	for pid := range m.kids {
		m.reap(exited(pid, -int(syscall.SIGTERM)))
	}
	m.maintain()
	if len(m.kids) != 0 {
		t.Errorf("a stopping pool respawned: %d workers", len(m.kids))
	}
}

// TestReloadTakesUpConfiguration: SIGUSR2 with Config.Reload starts the new
// generation with the new settings, keeps those that take a restart (and
// says so), and cancels the whole reload when the new configuration is
// wrong or cannot be read.
func TestReloadTakesUpConfiguration(t *testing.T) {
	next := func() (Config, error) {
		return Config{PM: Ondemand, MaxChildren: 4, Listen: "9001", MaxRequests: 100,
			RequestTerminateTimeout: 5 * time.Second, PingPath: "/ping", PingResponse: "new"}, nil
	}
	m, b, sp := newTestMaster(t, Config{PM: Static, MaxChildren: 2, Reload: func() (Config, error) { return next() }})
	var logged strings.Builder
	m.log = slog.New(slog.NewTextHandler(&logged, nil))
	m.startWorkers()
	old := slices.Collect(maps.Keys(m.kids))
	m.reload()
	for _, pid := range old {
		b.now = b.now.Add(time.Second)
		m.reap(exited(pid, 0))
	}
	if len(m.kids) != 2 {
		t.Fatalf("%d workers after the reload, want pm.max_children = 2 kept", len(m.kids))
	}
	for pid := range m.kids {
		if got, want := sp.cfgs[pid], (workerConfig{Pool: "www", MaxRequests: 100, PingPath: "/ping", PingResponse: "new", StatusVersion: defaults.StatusVersion,
			FirstByteTimeout: defaults.RequestFirstByteTimeout, RequestMaxHeaderBytes: defaults.RequestMaxHeaderBytes, Log: defaults.logSettings()}); got != want {
			t.Errorf("worker %d started with %+v, want %+v", pid, got, want)
		}
	}
	c := m.cfg
	if c.PM != Static || c.MaxChildren != 2 || c.Listen != "9000" || c.RequestTerminateTimeout != 5*time.Second || c.Reload == nil {
		t.Errorf("running configuration after the reload: %+v", *c)
	}
	for _, want := range []string{"pm static (not ondemand)", "pm.max_children 2 (not 4)", "listen 9000 (not 9001)"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("the log does not say %q was kept:\n%s", want, logged.String())
		}
	}

	for _, bad := range []func() (Config, error){
		func() (Config, error) { return Config{}, errors.New("pool file: no such file") },
		func() (Config, error) {
			return Config{PM: Static, MaxChildren: 2, RequestSlowlogTimeout: -time.Second}, nil
		},
	} {
		next = bad
		logged.Reset()
		before, gen := *m.cfg, m.gen
		m.reload()
		if m.gen != gen || !reflect.DeepEqual(m.cfg.workerConfig(), before.workerConfig()) || m.cfg.RequestTerminateTimeout != before.RequestTerminateTimeout {
			t.Errorf("a reload that failed changed the pool: generation %d -> %d, %+v", gen, m.gen, *m.cfg)
		}
		for _, k := range m.kids {
			if k.retiring != "" {
				t.Errorf("a reload that failed retired worker %d", k.pid)
			}
		}
		if !strings.Contains(logged.String(), "reload cancelled") {
			t.Errorf("a failed reload was not logged: %s", logged.String())
		}
	}
}

// TestQuitWaitsForReady: a worker retired before it said it is ready (a
// reload or a graceful stop right after its start) gets its SIGQUIT when
// it says so, once; a pid that is not a worker's changes nothing.
func TestQuitWaitsForReady(t *testing.T) {
	m, _, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 1})
	m.startWorkers()
	sigs := func(pid int) []os.Signal { return m.kids[pid].proc.(*fakeProc).sigs }
	first := slices.Collect(maps.Keys(m.kids))[0]
	m.reload()
	if s := sigs(first); len(s) != 0 || m.kids[first].retiring != "reload" {
		t.Fatalf("a worker not yet ready, retired by a reload, got %v at once", s)
	}
	m.onReady(first)
	m.onReady(first)
	m.onReady(99999)
	if s := sigs(first); len(s) != 1 || s[0] != syscall.SIGQUIT {
		t.Fatalf("the retired worker got %v once ready, want one SIGQUIT", s)
	}
	m.reap(exited(first, 0))
	if len(m.kids) != 1 {
		t.Fatalf("%d workers after the reload, want 1", len(m.kids))
	}
	second := slices.Collect(maps.Keys(m.kids))[0]
	m.stop(stopGraceful)
	if s := sigs(second); len(s) != 0 {
		t.Fatalf("a graceful stop sent %v to a worker not yet ready", s)
	}
	m.onReady(second)
	if s := sigs(second); len(s) != 1 || s[0] != syscall.SIGQUIT {
		t.Fatalf("after a graceful stop, the worker got %v once ready, want one SIGQUIT", s)
	}
}

// TestProcessControlTimeout: a worker told to stop that is still there
// process_control_timeout later gets SIGTERM, and SIGKILL a second after;
// without the timeout it is left to finish its request.
func TestProcessControlTimeout(t *testing.T) {
	for _, limit := range []time.Duration{0, 5 * time.Second} {
		m, b, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 1, ProcessControlTimeout: limit})
		m.startWorkers()
		readyAll(m)
		old := slices.Collect(maps.Keys(m.kids))[0]
		sigs := func() []os.Signal { return m.kids[old].proc.(*fakeProc).sigs }
		m.reload()
		var at []string
		for tick := 1; tick <= 8; tick++ {
			b.now = b.now.Add(time.Second)
			before := len(sigs())
			m.maintain()
			for _, s := range sigs()[before:] {
				at = append(at, fmt.Sprintf("%s@%ds", signalName(s.(syscall.Signal)), tick))
			}
		}
		want := "SIGTERM@5s SIGKILL@6s"
		if limit == 0 {
			want = ""
		}
		if got := strings.Join(at, " "); got != want || sigs()[0] != syscall.SIGQUIT {
			t.Errorf("process_control_timeout %s: after SIGQUIT, %q; want %q", limit, got, want)
		}
	}
}

// TestMaxSpawnRate: pm.max_spawn_rate caps how many workers a dynamic pool
// spawns in one second of shortage: 1, 2, then 3 a second for a cap of 3.
func TestMaxSpawnRate(t *testing.T) {
	m, b, _ := newTestMaster(t, Config{PM: Dynamic, MaxChildren: 40, StartServers: 20, MinSpareServers: 20, MaxSpareServers: 25, MaxSpawnRate: 3})
	m.startWorkers()
	var added []int
	for range 5 {
		b.setAll(scoreboard.Running)
		b.now = b.now.Add(time.Second)
		before := len(m.kids)
		m.maintain()
		added = append(added, len(m.kids)-before)
	}
	if !slices.Equal(added, []int{1, 2, 3, 3, 3}) {
		t.Errorf("workers spawned per second of shortage: %v, want [1 2 3 3 3]", added)
	}
}
