package pm

import (
	"net"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// receiveNotice returns the next datagram on c, failing the test when none
// comes within d.
func receiveNotice(t *testing.T, c *net.UnixConn, d time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("no notification within %v: %v", d, err)
	}
	return string(b[:n])
}

// wantStatusLineEach reads what c receives for four and a half intervals
// of every: status lines only (line matches them), one an interval.
func wantStatusLineEach(t *testing.T, c *net.UnixConn, line *regexp.Regexp, every time.Duration) {
	t.Helper()
	start := time.Now()
	n := 0
	for time.Since(start) < 4*every+every/2 {
		if got := receiveNotice(t, c, 2*every); line.FindString(got) == "" {
			t.Fatalf("%q is not a status line", got)
		}
		n++
	}
	if n < 4 || n > 6 {
		t.Errorf("%d status lines in %v, want 4 or 5 (one every %v)", n, time.Since(start), every)
	}
}

// TestSystemdNotify: under systemd's Type=notify (NOTIFY_SOCKET), the
// master says READY=1 with its pid once it listens, sends php-fpm's status
// line every systemd_interval, its counts those of the pool, and says
// STOPPING=1 when told to stop.
func TestSystemdNotify(t *testing.T) {
	sock, c := testproc.ListenDatagrams(t, "")
	t.Setenv("NOTIFY_SOCKET", sock)
	const every = 300 * time.Millisecond
	p := startPool(t, Config{PM: Static, MaxChildren: 2, SystemdInterval: every, RequestSlowlogTimeout: time.Second})
	want := "READY=1\nSTATUS=Ready to handle connections\nMAINPID=" + strconv.Itoa(p.cmd.Process.Pid)
	if got := receiveNotice(t, c, 10*time.Second); got != want {
		t.Fatalf("first notification %q, want %q", got, want)
	}
	if code, _, err := p.get("/ping"); err != nil || code != 200 {
		t.Fatalf("ping once READY=1 was said: %d %v", code, err)
	}
	p.waitProcs(2, 10*time.Second)
	for _, q := range []string{"/", "/?d=1500ms"} {
		if code, _, err := p.get(q); err != nil || code != 200 {
			t.Fatalf("GET %s: %d %v", q, code, err)
		}
	}
	line := regexp.MustCompile(`^READY=1\nSTATUS=Processes active: (\d+), idle: (\d+), Requests: (\d+), slow: (\d+), Traffic: \d+\.\d\dreq/sec$`)
	for i := 0; ; i++ {
		got := receiveNotice(t, c, 2*every)
		m := line.FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("status line %q is not php-fpm's", got)
		}
		if m[1] == "0" && m[2] == "2" && m[3] == "3" && m[4] == "1" {
			break // the ping and the two requests, one of them slow
		}
		if i > 10 {
			t.Fatalf("after %d status lines the last is %q, want 0 active, 2 idle, 3 requests, 1 slow", i, got)
		}
	}
	// Those sent meanwhile are read: from now on they come one an interval.
	wantStatusLineEach(t, c, line, every)
	p.signal(syscall.SIGTERM)
	for {
		got := receiveNotice(t, c, 5*time.Second)
		if got == "STOPPING=1" {
			break
		}
		if line.FindString(got) == "" {
			t.Fatalf("after SIGTERM: %q, want STOPPING=1", got)
		}
	}
}
