package pm

import (
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestSystemdNotifyTwoPools: a master of two pools under systemd's
// Type=notify says READY=1 once, sends one status line every
// systemd_interval with the counts of both pools summed, as php-fpm does,
// and says STOPPING=1 once when told to stop.
func TestSystemdNotifyTwoPools(t *testing.T) {
	sock, c := testproc.ListenDatagrams(t, "")
	t.Setenv("NOTIFY_SOCKET", sock)
	const every = 300 * time.Millisecond
	p, pc := startPools(t, []Config{
		{Pool: "www", PM: Static, MaxChildren: 2, SystemdInterval: every},
		{Pool: "api", PM: Static, MaxChildren: 3, SystemdInterval: every},
	}, []int{2, 3})
	ready := "READY=1\nSTATUS=Ready to handle connections\nMAINPID=" + strconv.Itoa(p.cmd.Process.Pid)
	if got := receiveNotice(t, c, 10*time.Second); got != ready {
		t.Fatalf("first notification %q, want %q", got, ready)
	}
	for i, n := range []int{2, 3} { // www: 2 requests, api: 3
		for range n {
			pc[i].get(t, "/x")
		}
	}
	line := regexp.MustCompile(`^READY=1\nSTATUS=Processes active: (\d+), idle: (\d+), Requests: (\d+), slow: (\d+), Traffic: \d+\.\d\dreq/sec$`)
	for i := 0; ; i++ {
		got := receiveNotice(t, c, 2*every)
		m := line.FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("notification %q is not php-fpm's status line (READY=1 is said once)", got)
		}
		if m[1] == "0" && m[2] == "5" && m[3] == "5" && m[4] == "0" {
			break // both pools' workers and requests
		}
		if i > 10 {
			t.Fatalf("after %d status lines the last is %q, want 0 active, 5 idle, 5 requests: both pools summed", i, got)
		}
	}
	wantStatusLineEach(t, c, line, every) // one an interval, not one a pool
	p.signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
	case <-time.After(10 * time.Second):
		t.Fatal("the master did not stop after SIGTERM")
	}
	var after []string
	for {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		b := make([]byte, 4096)
		k, err := c.Read(b)
		if err != nil {
			break
		}
		if got := string(b[:k]); line.FindString(got) == "" {
			after = append(after, got)
		}
	}
	if !slices.Equal(after, []string{"STOPPING=1"}) {
		t.Errorf("after SIGTERM the master said %q besides status lines, want STOPPING=1 once", after)
	}
}

// TestProcessMaxOverPools: process.max caps the workers of every pool of
// the master together, as php-fpm's: two static pools of 2 and 3 workers
// under a process.max of 4 run 4 workers between them, and still 4 after
// the maintenance has tried to top them up; a worker killed is replaced.
func TestProcessMaxOverPools(t *testing.T) {
	pools := []Config{
		{Pool: "www", PM: Static, MaxChildren: 2, ProcessMax: 4},
		{Pool: "api", PM: Static, MaxChildren: 3, ProcessMax: 4},
	}
	p, pc := startPools(t, pools, []int{-1, -1})
	all := func() []int { return slices.Concat(pc[0].pids(t), pc[1].pids(t)) }
	p.waitFor("4 workers", 10*time.Second, func() bool { return len(all()) == 4 })
	time.Sleep(2500 * time.Millisecond) // two maintenances and more
	if pids := all(); len(pids) != 4 {
		t.Fatalf("www %v and api %v: %d workers, want process.max, 4", pc[0].pids(t), pc[1].pids(t), len(pids))
	}
	victim := all()[0]
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the killed worker replaced", 10*time.Second, func() bool {
		pids := all()
		return len(pids) == 4 && !slices.Contains(pids, victim)
	})
	time.Sleep(1500 * time.Millisecond)
	if pids := all(); len(pids) != 4 {
		t.Errorf("after a worker was replaced: %d workers, want 4", len(pids))
	}
}

// TestEmergencyRestartOverPools: emergency_restart_threshold counts the
// crashes of every pool of the master, and reaching it reloads every
// pool, as php-fpm reloads the whole master: one worker crashing in www
// and one in api (threshold 2) replace every worker of both.
func TestEmergencyRestartOverPools(t *testing.T) {
	cfg := func(name string) Config {
		return Config{Pool: name, PM: Static, MaxChildren: 2,
			EmergencyRestartThreshold: 2, EmergencyRestartInterval: 10 * time.Second}
	}
	p, pc := startPools(t, []Config{cfg("www"), cfg("api")}, []int{2, 2})
	www, api := pc[0].pids(t), pc[1].pids(t)
	for _, pid := range []int{www[0], api[0]} {
		if err := syscall.Kill(pid, syscall.SIGSEGV); err != nil {
			t.Fatal(err)
		}
	}
	p.waitFor("every worker of both pools replaced", 10*time.Second, func() bool {
		return !alive(www[1]) && !alive(api[1])
	})
	for i, old := range [][]int{www, api} {
		p.waitFor("pool "+pc[i].name+"'s new workers", 10*time.Second, func() bool {
			pids := pc[i].pids(t)
			return len(pids) == 2 && !slices.ContainsFunc(pids, func(pid int) bool { return slices.Contains(old, pid) })
		})
	}
}
