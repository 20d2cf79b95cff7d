package sdnotify

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestGoldenPHPFPM sends what php-fpm 8.2 sent in testdata/php-fpm-8.2.txt
// (captured by testdata/capture.sh: systemd_interval = 1 and three
// requests; then WatchdogSec=4) and expects the same bytes.
func TestGoldenPHPFPM(t *testing.T) {
	b, err := os.ReadFile("testdata/php-fpm-8.2.txt")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var d string
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatal(err)
		}
		want = append(want, d)
	}
	if len(want) != 7 {
		t.Fatalf("%d datagrams in the golden file, want 7", len(want))
	}
	path, c := testproc.ListenDatagrams(t, "")
	n, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	counts := Counts{Active: 0, Idle: 2, Requests: 3, Slow: 0}
	var got []string
	for i, run := range []struct {
		watchdog string
		beats    int
	}{{"", 3}, {"4000000", 2}} {
		t.Setenv("WATCHDOG_USEC", run.watchdog)
		n.pid, _ = strconv.Atoi(strings.TrimPrefix(want[[]int{0, 4}[i]], "READY=1\nSTATUS=Ready to handle connections\nMAINPID="))
		if err := n.Ready(); err != nil {
			t.Fatal(err)
		}
		got = append(got, testproc.ReceiveDatagram(t, c))
		h := NewHeartbeat(n, time.Second)
		for range run.beats {
			if err := h.Beat(counts); err != nil {
				t.Fatal(err)
			}
			got = append(got, testproc.ReceiveDatagram(t, c))
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("datagram %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

// TestHeartbeatTraffic checks the traffic php-fpm reports: requests since
// the last beat over the interval, two decimals (php-fpm 8.2 prints %.2f:
// one request in the default 10 s reads "0.10req/sec").
func TestHeartbeatTraffic(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "")
	path, c := testproc.ListenDatagrams(t, "")
	n, _ := New(path)
	h := NewHeartbeat(n, DefaultInterval)
	for _, tt := range []struct {
		requests uint64
		traffic  string
	}{{1, "0.10"}, {1, "0.00"}, {12346, "1234.50"}, {5, "0.00"}, {7, "0.20"}} {
		if err := h.Beat(Counts{Active: 1, Idle: 4, Requests: tt.requests, Slow: 2}); err != nil {
			t.Fatal(err)
		}
		want := "READY=1\nSTATUS=Processes active: 1, idle: 4, Requests: " + strconv.FormatUint(tt.requests, 10) +
			", slow: 2, Traffic: " + tt.traffic + "req/sec"
		if got := testproc.ReceiveDatagram(t, c); got != want {
			t.Errorf("got %q\nwant %q", got, want)
		}
	}
	if got := h.Notice(); got != "systemd monitor interval set to 10000ms" {
		t.Errorf("Notice() = %q", got)
	}
	if got := NewHeartbeat(n, 0).Notice(); got != "systemd monitor disabled" {
		t.Errorf("Notice() with systemd_interval = 0: %q", got)
	}
}

// TestHeartbeatWatchdog checks php-fpm's watchdog rule: half of
// WATCHDOG_USEC, when over a second and meant for this process.
func TestHeartbeatWatchdog(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	for _, tt := range []struct {
		usec, pid string
		every     time.Duration
		watchdog  bool
	}{
		{"", "", 10 * time.Second, false},
		{"30000000", "", 15 * time.Second, true},
		{"30000000", me, 15 * time.Second, true},
		{"30000000", "1", 10 * time.Second, false},
		{"2000000", "", 10 * time.Second, false}, // half is not over a second
		{"2002000", "", 1001 * time.Millisecond, true},
		{"garbage", "", 10 * time.Second, false},
	} {
		t.Setenv("WATCHDOG_USEC", tt.usec)
		t.Setenv("WATCHDOG_PID", tt.pid)
		h := NewHeartbeat(nil, DefaultInterval)
		if h.Interval() != tt.every || h.Watchdog() != tt.watchdog {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: every %v watchdog %v, want %v %v",
				tt.usec, tt.pid, h.Interval(), h.Watchdog(), tt.every, tt.watchdog)
		}
		if err := h.Beat(Counts{}); err != nil {
			t.Errorf("a beat with no notifier: %v", err)
		}
	}
}

func TestReloadingStopping(t *testing.T) {
	path, c := testproc.ListenDatagrams(t, "")
	n, _ := New(path)
	before, _ := sys.Monotonic()
	if err := n.Reloading(); err != nil {
		t.Fatal(err)
	}
	after, _ := sys.Monotonic()
	got := testproc.ReceiveDatagram(t, c)
	usec, ok := strings.CutPrefix(got, "RELOADING=1\nMONOTONIC_USEC=")
	u, err := strconv.ParseInt(usec, 10, 64)
	if !ok || err != nil || u < before.Microseconds() || u > after.Microseconds() {
		t.Errorf("Reloading sent %q, want MONOTONIC_USEC in [%d, %d]", got, before.Microseconds(), after.Microseconds())
	}
	if err := n.Stopping(); err != nil {
		t.Fatal(err)
	}
	if got := testproc.ReceiveDatagram(t, c); got != "STOPPING=1" {
		t.Errorf("Stopping sent %q", got)
	}
}

// TestFromEnvUnset checks that without NOTIFY_SOCKET nothing is sent and
// nothing fails.
func TestFromEnvUnset(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n, err := FromEnv()
	if n != nil || err != nil {
		t.Fatalf("FromEnv() = %v, %v; want nil, nil", n, err)
	}
	for _, err := range []error{n.Ready(), n.Reloading(), n.Stopping(), n.Send("X=1"), NewHeartbeat(n, time.Second).Beat(Counts{})} {
		if err != nil {
			t.Errorf("a nil Notifier: %v", err)
		}
	}
}

func TestBadAddress(t *testing.T) {
	for _, addr := range []string{"relative/notify", "notify", "@", "/", "vsock:2:1234"} {
		t.Setenv("NOTIFY_SOCKET", addr)
		if _, err := FromEnv(); !errors.Is(err, ErrAddress) {
			t.Errorf("NOTIFY_SOCKET=%q: %v, want ErrAddress", addr, err)
		}
	}
}

// TestSendFailures checks the errors: no socket (ENOENT, naming it), and a
// manager that stops reading (a timeout, not a stalled sender).
func TestSendFailures(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	n, _ := New(missing)
	if err := n.Ready(); !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), missing) {
		t.Errorf("no socket: %v, want ENOENT naming %s", err, missing)
	}
	path, _ := testproc.ListenDatagrams(t, "") // never read
	n, _ = New(path)
	state := "STATUS=" + strings.Repeat("x", 2000)
	for i := range 100000 {
		start := time.Now()
		err := n.Send(state)
		if took := time.Since(start); took > 3*sendTimeout {
			t.Fatalf("send %d took %v", i, took)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "timeout") || !strings.Contains(err.Error(), `"STATUS=xxx`) {
				t.Errorf("send %d: %v, want a timeout naming the state", i, err)
			}
			return
		}
	}
	t.Fatal("100000 sends to a manager that never reads all succeeded")
}
