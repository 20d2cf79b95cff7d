package pm

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// TestProcessDirectivesParse: the forms PHP-FPM takes, and the values it
// refuses, of listen.allowed_clients, rlimit_core, process.priority and
// decorate_workers_output.
func TestProcessDirectivesParse(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       func(c *Config) any
		wantValue  any
		bad        bool
	}{
		{"listen.allowed_clients", "127.0.0.1, ::1,::ffff:10.0.0.1", func(c *Config) any { return c.ListenAllowedClients }, "127.0.0.1,::1,10.0.0.1", false},
		{"listen.allowed_clients", "any", func(c *Config) any { return c.ListenAllowedClients }, "", false},
		{"listen.allowed_clients", "127.0.0.1,bogus", nil, nil, true},
		{"listen.allowed_clients", "10.0.0.0/8", nil, nil, true},
		{"listen.allowed_clients", "127.0.0.1,", nil, nil, true},
		{"rlimit_core", "unlimited", func(c *Config) any { return c.RlimitCore }, "unlimited", false},
		{"rlimit_core", "0", func(c *Config) any { return c.RlimitCore }, "0", false},
		{"rlimit_core", "-1", nil, nil, true},
		{"process.priority", "-19", func(c *Config) any { return c.ProcessPriority }, "-19", false},
		{"process.priority", "20", func(c *Config) any { return c.ProcessPriority }, "20", false},
		{"process.priority", "21", nil, nil, true},
		{"process.priority", "-20", nil, nil, true},
		{"decorate_workers_output", "no", func(c *Config) any { return c.UndecoratedWorkersOutput }, true, false},
		{"decorate_workers_output", "yes", func(c *Config) any { return c.UndecoratedWorkersOutput }, false, false},
	} {
		section := PoolSection
		d, ok := LookupDirective(section, tc.key)
		if !ok {
			t.Fatalf("%s: not a pool directive", tc.key)
		}
		var c Config
		err := d.Set(&c, tc.key, tc.value)
		if tc.bad {
			if err == nil {
				t.Errorf("%s = %s: accepted", tc.key, tc.value)
			}
			continue
		}
		if err != nil || tc.want(&c) != tc.wantValue {
			t.Errorf("%s = %s: %v (%v), want %v", tc.key, tc.value, tc.want(&c), err, tc.wantValue)
		}
	}
	for _, key := range []string{"process.max", "emergency_restart_threshold", "emergency_restart_interval", "daemonize"} {
		if _, ok := LookupDirective(GlobalSection, key); !ok {
			t.Errorf("%s: not a [global] directive", key)
		}
	}
}

// TestDaemonizeNotice: daemonize is accepted with a notice saying fpmshm
// stays in the foreground.
func TestDaemonizeNotice(t *testing.T) {
	d, _ := LookupDirective(GlobalSection, "daemonize")
	var c Config
	if err := d.Set(&c, "daemonize", "yes"); err != nil {
		t.Fatal(err)
	}
	if len(c.Notices) != 1 || !strings.Contains(c.Notices[0], "stays in the foreground") {
		t.Errorf("notices %q", c.Notices)
	}
}

// TestProcessMaxBelowMaxChildren: as php-fpm 8.2, a pool whose
// pm.max_children is above process.max runs process.max workers, and the
// master logs php-fpm's warning once.
func TestProcessMaxBelowMaxChildren(t *testing.T) {
	m, _, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 3, ProcessMax: 2})
	var log bytes.Buffer
	m.log = slog.New(slog.NewTextHandler(&log, nil))
	m.startWorkers()
	for range 3 {
		m.maintain()
	}
	if len(m.kids) != 2 {
		t.Errorf("%d workers, want process.max, 2", len(m.kids))
	}
	const warning = "The maximum number of processes has been reached. Please review your configuration and consider raising 'process.max'"
	if n := strings.Count(log.String(), warning); n != 1 {
		t.Errorf("the warning logged %d times, want once:\n%s", n, log.String())
	}
}

// TestProcessMax: during a reload, the retiring workers count against
// process.max: no more workers than it run at once, the limit is logged
// once, and the new workers start as the old ones go.
func TestProcessMax(t *testing.T) {
	m, b, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 3, ProcessMax: 3})
	b.slots = make([]*fakeSlot, 6) // room for two generations
	m.startWorkers()
	readyAll(m)
	m.reload()
	m.maintain() // pm static: replace the retiring workers
	if len(m.kids) != 3 {
		t.Fatalf("%d workers during a reload, want process.max, 3", len(m.kids))
	}
	var old int
	for pid, c := range m.kids {
		if c.retiring == "reload" {
			old = pid
			break
		}
	}
	m.reap(exited(old, 0))
	if len(m.kids) != 3 || m.live() != 1 {
		t.Errorf("after one old worker left: %d workers, %d new; want 3 and 1", len(m.kids), m.live())
	}
}

// TestTerminateTimeoutTrackFinished: a request past
// request_terminate_timeout in the Finishing stage is left alone, unless
// request_terminate_timeout_track_finished.
func TestTerminateTimeoutTrackFinished(t *testing.T) {
	for _, track := range []bool{false, true} {
		m, b, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 1, RequestTerminateTimeout: time.Second, RequestTerminateTimeoutTrackFinished: track})
		m.startWorkers()
		b.setAll(scoreboard.Finishing)
		b.now = b.now.Add(2 * time.Second)
		m.heartbeat()
		var sigs []string
		for _, c := range m.kids {
			for _, s := range c.proc.(*fakeProc).sigs {
				sigs = append(sigs, s.String())
			}
		}
		terminated := len(sigs) == 1 && sigs[0] == syscall.SIGTERM.String()
		if terminated != track {
			t.Errorf("track_finished %v: a finishing request past the timeout got %v", track, sigs)
		}
	}
}

// TestProcessControlTerminate: with process_control_timeout 0 and
// process_control_timeout.terminate, a reload sends each worker SIGTERM
// at once, as php-fpm does, and SIGKILL killGrace later; without it,
// SIGQUIT and nothing more however long the request takes.
func TestProcessControlTerminate(t *testing.T) {
	for _, terminate := range []bool{false, true} {
		m, b, _ := newTestMaster(t, Config{PM: Static, MaxChildren: 1, ProcessControlTerminate: terminate})
		b.slots = make([]*fakeSlot, 2)
		m.startWorkers()
		readyAll(m)
		b.setAll(scoreboard.Running)
		var old *child
		for _, c := range m.kids {
			old = c
		}
		m.reload()
		for range 3 {
			b.now = b.now.Add(time.Second)
			m.maintain()
		}
		want := "[quit]"
		if terminate {
			want = "[terminated killed]"
		}
		if got := fmt.Sprint(old.proc.(*fakeProc).sigs); got != want {
			t.Errorf("terminate %v: the reloaded worker got %s, want %s", terminate, got, want)
		}
	}
}
