package contrib_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// poolStatus reads the pool's full JSON status page over HTTP on sock.
func poolStatus(t *testing.T, sock string) (accepted float64, pids []int) {
	t.Helper()
	cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	defer cl.CloseIdleConnections()
	resp, err := cl.Get("http://fpmshm/status?json&full")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Accepted  float64 `json:"accepted conn"`
		Processes []struct {
			PID int `json:"pid"`
		} `json:"processes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	for _, p := range page.Processes {
		pids = append(pids, p.PID)
	}
	slices.Sort(pids)
	return page.Accepted, pids
}

// TestServeUnderSystemdAndLogrotate runs fpmshm serve as the unit does
// (Type=notify: it must say READY=1 once it listens) with the paths of
// fpmshm.logrotate moved to a temporary directory, then has logrotate
// rotate its error log: the master, sent SIGUSR1 by postrotate, writes to
// a new file at the path, and its workers are the same ones, their
// requests still counted.
func TestServeUnderSystemdAndLogrotate(t *testing.T) {
	logrotate := testproc.NeedBinary(t, "logrotate")
	bin := buildFpmshm(t)
	dir := t.TempDir()
	log, pid, httpSock := filepath.Join(dir, "fpmshm.log"), filepath.Join(dir, "fpmshm.pid"), filepath.Join(dir, "http.sock")
	notify, c := testproc.ListenDatagrams(t, filepath.Join(dir, "notify"))

	serve := exec.Command(bin, "serve", "-listen", filepath.Join(dir, "fcgi.sock"), "-http", httpSock,
		"-pid", pid, "-error_log", log, "-pm", "static", "-pm.max_children", "2")
	serve.Env = append(os.Environ(), "NOTIFY_SOCKET="+notify)
	serve.Stdout, serve.Stderr = os.Stderr, os.Stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
	}()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil || !strings.HasPrefix(string(b[:n]), "READY=1\n") {
		t.Fatalf("fpmshm serve's first notification: %q, %v; want READY=1", b[:n], err)
	}
	if _, err := os.Stat(httpSock); err != nil {
		t.Fatalf("READY=1 before the sockets listen: %v", err)
	}
	var before []int
	if !testproc.Poll(10*time.Second, 50*time.Millisecond, func() bool {
		_, before = poolStatus(t, httpSock)
		return len(before) == 2
	}) {
		t.Fatalf("workers: %v, want 2", before)
	}
	accepted, _ := poolStatus(t, httpSock)

	conf, err := os.ReadFile("fpmshm.logrotate")
	if err != nil {
		t.Fatal(err)
	}
	rotated := strings.ReplaceAll(strings.ReplaceAll(string(conf), errorLog, log), pidFile, pid)
	confPath := filepath.Join(dir, "fpmshm.logrotate")
	if err := os.WriteFile(confPath, []byte(rotated), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(logrotate, "-f", "-s", filepath.Join(dir, "state"), confPath).CombinedOutput(); err != nil {
		t.Fatalf("logrotate -f: %v\n%s", err, out)
	}
	if old, err := os.ReadFile(log + ".1"); err != nil || !strings.Contains(string(old), "ready to handle connections") {
		t.Fatalf("%s.1 after the rotation: %q, %v", log, old, err)
	}
	if !testproc.Poll(10*time.Second, 50*time.Millisecond, func() bool { _, err := os.Stat(log); return err == nil }) {
		t.Fatalf("no new %s after SIGUSR1", log)
	}
	time.Sleep(200 * time.Millisecond) // a master that replaces its workers has begun to
	now, after := poolStatus(t, httpSock)
	if !slices.Equal(after, before) {
		t.Errorf("workers after the rotation: %v, want the same %v", after, before)
	}
	if now != accepted+1 {
		t.Errorf("accepted conn after the rotation: %v, want %v (one more status request)", now, accepted+1)
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "error log file re-opened") {
		t.Errorf("the new %s: %q, want the master's line that it reopened it", log, b)
	}
}
