//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// openPTY returns a new pseudo-terminal's controller and terminal ends.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	fd := int(ctl.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ctl, tty
}

// TestTopInTerminal runs fpmshm top on a pseudo-terminal: it draws the
// pool and a line per worker, refreshes, and quits on a single q (no
// Enter: the terminal is in raw mode), restoring the terminal.
func TestTopInTerminal(t *testing.T) {
	pidfile, _ := startServe(t, "-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "-http", "", "-pm", "static", "-pm.max_children", "2")
	ctl, tty := openPTY(t)
	defer ctl.Close()
	cmd := testproc.Command(t, "fpmshm", "top", "-pidfile", pidfile, "-d", "200ms")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ctl.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	text := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }
	testproc.WaitUntil(t, "two screens with both workers", 10*time.Second, func() bool {
		s := text()
		return strings.Count(s, "fpmshm top - pool www (pm static)") >= 2 && strings.Count(s, " Idle ") >= 4
	})
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if _, err := ctl.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("top after q: %v", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("top did not quit on q; screen:\n%s", text())
	}
}
