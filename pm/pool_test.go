//go:build linux

package pm

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// These tests run real pools: the test binary is the master and, re-executed,
// the workers (helperPool). They read the pool's scoreboard straight from the
// master's shared memory.

// TestDynamicScalesUpAndDown: under more concurrent requests than
// pm.max_children, a dynamic pool grows from its start servers, never past
// pm.max_children, counts "max children reached", and when the load stops
// shrinks back to pm.max_spare_servers, one worker a second.
func TestDynamicScalesUpAndDown(t *testing.T) {
	p := startPool(t, Config{PM: Dynamic, MaxChildren: 5, StartServers: 2, MinSpareServers: 2, MaxSpareServers: 3})
	p.waitProcs(2, 5*time.Second)
	l := p.startLoad(12, "/?d=100ms")
	most := 0
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		s := p.snap()
		if n := len(s.Procs); n > 5 {
			l.end()
			t.Fatalf("%d workers with pm.max_children = 5", n)
		}
		most = max(most, len(s.Procs))
		time.Sleep(50 * time.Millisecond)
	}
	l.end()
	l.check(t)
	s := p.snap()
	if most != 5 {
		t.Errorf("the pool grew to %d workers under load, want pm.max_children = 5", most)
	}
	if s.Pool.MaxChildrenReached == 0 {
		t.Errorf("max children reached = 0 after a load of 12 clients on 5 children")
	}
	if s.Pool.MaxActive > 5 || s.Pool.MaxActive < 4 {
		t.Errorf("max active processes = %d, want 4 or 5", s.Pool.MaxActive)
	}
	if s.Pool.AcceptedConn < uint64(l.ok.Load()) {
		t.Errorf("accepted conn %d < %d requests answered", s.Pool.AcceptedConn, l.ok.Load())
	}
	p.waitFor("the pool to shrink to pm.max_spare_servers", 8*time.Second, func() bool { return len(p.pids()) == 3 })
	time.Sleep(1500 * time.Millisecond)
	if n := len(p.pids()); n != 3 {
		t.Errorf("an idle dynamic pool went on to %d workers, want pm.max_spare_servers = 3", n)
	}
}

// TestOndemandStartsFromZero: an ondemand pool has no worker until a
// connection waits, spawns up to pm.max_children under load, and stops
// workers idle longer than pm.process_idle_timeout.
func TestOndemandStartsFromZero(t *testing.T) {
	p := startPool(t, Config{PM: Ondemand, MaxChildren: 3, ProcessIdleTimeout: time.Second})
	time.Sleep(1200 * time.Millisecond)
	if pids := p.pids(); len(pids) != 0 {
		t.Fatalf("an ondemand pool without requests has workers %v", pids)
	}
	if code, body, err := p.get("/"); err != nil || code != 200 {
		t.Fatalf("first request: %d %q %v", code, body, err)
	}
	l := p.startLoad(6, "/?d=50ms")
	most := 0
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		most = max(most, len(p.pids()))
	}
	l.end()
	l.check(t)
	if most != 3 {
		t.Errorf("ondemand pool reached %d workers under 6 clients, want pm.max_children = 3", most)
	}
	p.waitFor("idle workers to be stopped", 8*time.Second, func() bool { return len(p.pids()) == 0 })
}

// TestStaticHoldsCountAndMaxRequests: a static pool keeps pm.max_children
// workers; each exits after pm.max_requests requests and is replaced.
func TestStaticHoldsCountAndMaxRequests(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 3, MaxRequests: 4})
	first := p.waitProcs(3, 5*time.Second)
	seen := map[int]int{}
	for i := range 40 {
		code, body, err := p.get("/")
		if err != nil || code != 200 {
			t.Fatalf("request %d: %d %q %v", i, code, body, err)
		}
		var pid int
		if _, err := fmtSscan(body, &pid); err != nil {
			t.Fatalf("body %q", body)
		}
		seen[pid]++
		if n := len(p.pids()); n > 3 {
			t.Fatalf("static pool of 3 has %d workers", n)
		}
	}
	for pid, n := range seen {
		if n > 4 {
			t.Errorf("worker %d served %d requests with pm.max_requests = 4", pid, n)
		}
	}
	if len(seen) < 10 {
		t.Errorf("40 requests were served by %d workers, want at least 10 with pm.max_requests = 4", len(seen))
	}
	now := p.waitProcs(3, 5*time.Second)
	for _, pid := range first {
		if slices.Contains(now, pid) && seen[pid] == 4 {
			t.Errorf("worker %d served pm.max_requests and is still in the scoreboard", pid)
		}
	}
}

// TestWorkerKilledDuringLoad: a worker killed (SIGKILL) in the middle of a
// request is reaped and replaced and its slot freed, while the requests of
// the other workers all succeed and the master goes on.
func TestWorkerKilledDuringLoad(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 4})
	p.waitProcs(4, 5*time.Second)
	victimDone := make(chan error, 1)
	go func() {
		_, _, err := p.get("/?d=20s")
		victimDone <- err
	}()
	var victim int
	p.waitFor("the long request to run", 5*time.Second, func() bool {
		for _, pr := range p.snap().Procs {
			if pr.Query == "d=20s" && pr.Stage.String() == "Running" {
				victim = pr.PID
				return true
			}
		}
		return false
	})
	l := p.startLoad(6, "/?d=5ms")
	time.Sleep(500 * time.Millisecond)
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-victimDone:
		if err == nil {
			t.Errorf("the killed worker's request succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Errorf("the killed worker's request did not end")
	}
	time.Sleep(time.Second)
	l.end()
	l.check(t)
	pids := p.waitProcs(4, 5*time.Second)
	if slices.Contains(pids, victim) {
		t.Errorf("the killed worker %d still holds a slot: %v", victim, pids)
	}
	p.waitFor("no active worker", 3*time.Second, func() bool { return p.snap().Pool.Active == 0 })
	if s := p.snap(); s.Pool.Idle != 4 {
		t.Errorf("after the load: %d idle, %d active, want 4 idle", s.Pool.Idle, s.Pool.Active)
	}
	if code, _, err := p.get("/"); err != nil || code != 200 {
		t.Errorf("after the kill: %d %v", code, err)
	}
}

// TestMasterKilledNoOrphans: when the master is killed (SIGKILL), none of
// its workers outlives it by more than a second.
func TestMasterKilledNoOrphans(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 3})
	pids := p.waitProcs(3, 5*time.Second)
	go p.get("/?d=10s") // one worker busy in a request
	time.Sleep(200 * time.Millisecond)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		var left []int
		for _, pid := range pids {
			if alive(pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers %v outlived the master by more than a second", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReloadRefusesNothing: SIGUSR2 during load replaces every worker,
// and not one request fails. The pool's "start time" and "accepted conn"
// carry over (php-fpm's re-exec resets them): the count goes on from
// where it was, by every request served.
func TestReloadRefusesNothing(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 3})
	old := p.waitProcs(3, 5*time.Second)
	for range 5 {
		if code, _, err := p.get("/"); err != nil || code != 200 {
			t.Fatalf("get: %d %v", code, err)
		}
	}
	before := p.snap().Pool
	l := p.startLoad(8, "/?d=5ms")
	time.Sleep(500 * time.Millisecond)
	p.signal(syscall.SIGUSR2)
	time.Sleep(time.Second)
	p.signal(syscall.SIGUSR2)
	time.Sleep(time.Second)
	l.end()
	l.check(t)
	now := p.waitProcs(3, 5*time.Second)
	after := p.snap().Pool
	if !after.StartTime.Equal(before.StartTime) || after.AcceptedConn < before.AcceptedConn+uint64(l.ok.Load()) {
		t.Errorf("after two reloads: start time %v, accepted conn %d; want %v and at least %d + %d",
			after.StartTime, after.AcceptedConn, before.StartTime, before.AcceptedConn, l.ok.Load())
	}
	for _, pid := range old {
		if slices.Contains(now, pid) {
			t.Errorf("worker %d of before the reload is still there: %v", pid, now)
		}
	}
	for _, pid := range old {
		if alive(pid) {
			t.Errorf("old worker %d is still running", pid)
		}
	}
}

// TestGracefulStop: SIGQUIT lets the request in flight finish, then the
// master exits 0.
func TestGracefulStop(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 2})
	p.waitProcs(2, 5*time.Second)
	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		code, body, err := p.get("/?d=1s")
		res <- result{code, body, err}
	}()
	p.waitFor("the request to run", 5*time.Second, func() bool { return p.snap().Pool.Active == 1 })
	p.signal(syscall.SIGQUIT)
	r := <-res
	if r.err != nil || r.code != 200 {
		t.Errorf("the request in flight during SIGQUIT: %d %q %v", r.code, r.body, r.err)
	}
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			t.Errorf("master after SIGQUIT: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("the master did not exit after SIGQUIT")
	}
}

// TestRequestTimeouts: a request past request_slowlog_timeout is counted
// once in "slow requests"; past request_terminate_timeout its worker is
// killed and replaced.
func TestRequestTimeouts(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 2, RequestSlowlogTimeout: time.Second, RequestTerminateTimeout: 3 * time.Second})
	old := p.waitProcs(2, 5*time.Second)
	start := time.Now()
	code, _, err := p.get("/?d=20s")
	took := time.Since(start)
	if err == nil {
		t.Errorf("a 20s request with request_terminate_timeout = 3s answered %d", code)
	}
	if took < 3*time.Second || took > 6*time.Second {
		t.Errorf("the request was cut after %v, want 3s to 5s", took)
	}
	if s := p.snap(); s.Pool.SlowRequests != 1 {
		t.Errorf("slow requests = %d, want 1", s.Pool.SlowRequests)
	}
	var now []int
	p.waitFor("the killed worker to be replaced", 5*time.Second, func() bool {
		now = p.pids()
		return len(now) == 2 && now[0] != 0 && now[1] != 0 && !slices.Equal(now, old)
	})
	replaced := 0
	for _, pid := range old {
		if !slices.Contains(now, pid) {
			replaced++
		}
	}
	if replaced != 1 {
		t.Errorf("%d workers replaced (before %v, after %v), want 1", replaced, old, now)
	}
}
