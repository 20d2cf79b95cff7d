package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// syncBuffer is a bytes.Buffer that a process's output can be copied
// into while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServeReloadReadsFile: after the pool file changes, SIGUSR2 makes
// the new workers serve with its settings; pm.max_children, which takes a
// restart, keeps its value and the log says so. A file that no longer
// loads cancels the reload and the pool serves on as it was.
func TestServeReloadReadsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "www.conf")
	write := func(conf string) {
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pool := "[www]\npm = static\npm.max_children = %d\nping.path = /ping\nping.response = %s\n"
	write(fmt.Sprintf(pool, 2, "before"))
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pidfile := filepath.Join(t.TempDir(), "fpmshm.pid")
	cmd := testproc.Command(t, "fpmshm", "serve", "-pid", pidfile, "-y", file, "-listen", "", "-http", addr)
	var logged syncBuffer
	cmd.Stderr = io.MultiWriter(&logged, os.Stderr)
	d := startDaemon(t, cmd)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	ping := func() string {
		_, body, _ := get(client, "http://"+addr+"/ping")
		return body
	}
	testproc.WaitUntil(t, "the pool to answer ping", 10*time.Second, func() bool { return ping() == "before" })

	write(fmt.Sprintf(pool, 3, "after"))
	d.cmd.Process.Signal(syscall.SIGUSR2)
	testproc.WaitUntil(t, "the reloaded workers to answer with the file's new ping.response", 10*time.Second, func() bool { return ping() == "after" })
	if want := "pm.max_children 2 (not 3)"; !strings.Contains(logged.String(), want) {
		t.Errorf("the log does not say that %q was kept:\n%s", want, logged.String())
	}

	write(fmt.Sprintf(pool, 2, "broken") + "no_such_directive = 1\n")
	d.cmd.Process.Signal(syscall.SIGUSR2)
	testproc.WaitUntil(t, "the log to report the cancelled reload", 10*time.Second, func() bool {
		return strings.Contains(logged.String(), "reload cancelled")
	})
	if !strings.Contains(logged.String(), "no_such_directive: unknown directive") {
		t.Errorf("the cancelled reload does not name the bad directive:\n%s", logged.String())
	}
	if strings.Contains(logged.String(), "SIGQUIT: quit") {
		t.Errorf("a worker died of a SIGQUIT it did not handle yet (its stacks are in the log)")
	}
	for range 5 {
		if got := ping(); got != "after" {
			t.Fatalf("after a cancelled reload, ping answers %q, want %q", got, "after")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
