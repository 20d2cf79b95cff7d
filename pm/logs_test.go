package pm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReopenLogsInPlace: after error_log, access.log and the slowlog are
// moved away, SIGUSR1 makes the master open new files at their paths, and
// the workers take them up in place: no worker is replaced, "accepted
// conn" goes on counting, and the next lines of both workers (their
// standard error, their access log lines, their slowlog traces) and of the
// master (its warning of a slow request) go to the new files, while the
// moved files keep what they had.
func TestReopenLogsInPlace(t *testing.T) {
	dir := t.TempDir()
	errLog, access, slow := filepath.Join(dir, "error.log"), filepath.Join(dir, "access.log"), filepath.Join(dir, "slow.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 2, ErrorLog: errLog, AccessLog: access, AccessFormat: "%p %r%Q%q",
		Slowlog: slow, RequestSlowlogTimeout: time.Second})
	pids := p.waitProcs(2, 10*time.Second)
	slices.Sort(pids)
	if code, _, err := p.get("/?say=before-rotation"); err != nil || code != 200 {
		t.Fatalf("request: %d %v", code, err)
	}
	p.waitFor("the lines before the rotation", 5*time.Second, func() bool {
		e, _ := os.ReadFile(errLog)
		a, _ := os.ReadFile(access)
		return strings.Contains(string(e), "before-rotation\n") && strings.Contains(string(a), "say=before-rotation")
	})
	for _, f := range []string{errLog, access} {
		if err := os.Rename(f, f+".1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(slow, slow+".1"); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	accepted := p.snap().Pool.AcceptedConn
	p.signal(syscall.SIGUSR1)

	// The master sends the new files at once; the workers take them up
	// while they wait for a request.
	p.waitFor("the error_log made anew", 5*time.Second, func() bool { _, err := os.Stat(errLog); return err == nil })
	time.Sleep(200 * time.Millisecond)

	// One worker serves a slow request (a trace in the slowlog, the
	// master's warning), the other the fast ones meanwhile.
	slowDone := make(chan error, 1)
	go func() {
		code, _, err := p.get("/?d=1500ms&say=slow-after")
		if err == nil && code != 200 {
			err = fmt.Errorf("status %d", code)
		}
		slowDone <- err
	}()
	p.waitFor("the slow request to run", 5*time.Second, func() bool { return p.snap().Pool.Active == 1 })
	for i := range 3 {
		if code, _, err := p.get("/?say=after-rotation-" + strconv.Itoa(i)); err != nil || code != 200 {
			t.Fatalf("request after SIGUSR1: %d %v", code, err)
		}
	}
	if err := <-slowDone; err != nil {
		t.Fatalf("slow request: %v", err)
	}

	p.waitFor("the lines after the rotation", 5*time.Second, func() bool {
		e, _ := os.ReadFile(errLog)
		a, _ := os.ReadFile(access)
		s, _ := os.ReadFile(slow)
		return strings.Count(string(a), "\n") == 4 && strings.Contains(string(e), "executing too slow") &&
			strings.Contains(string(s), "]  [pool www] pid ")
	})
	e, _ := os.ReadFile(errLog)
	a, _ := os.ReadFile(access)
	for _, want := range []string{"slow-after\n", "after-rotation-0\n", "after-rotation-2\n", "executing too slow"} {
		if !strings.Contains(string(e), want) {
			t.Errorf("the new error_log lacks %q:\n%s", want, e)
		}
	}
	var served []int
	for _, l := range strings.Split(strings.TrimSpace(string(a)), "\n") {
		pid, _, _ := strings.Cut(l, " ")
		n, _ := strconv.Atoi(pid)
		if !slices.Contains(served, n) {
			served = append(served, n)
		}
	}
	slices.Sort(served)
	if !slices.Equal(served, pids) {
		t.Errorf("the new access log has lines of workers %v, want both workers %v:\n%s", served, pids, a)
	}
	for _, f := range []string{errLog, access} {
		if old, _ := os.ReadFile(f + ".1"); !strings.Contains(string(old), "before-rotation") || strings.Contains(string(old), "after-rotation") {
			t.Errorf("the moved %s does not hold the lines before the rotation alone:\n%s", filepath.Base(f), old)
		}
	}
	now := p.pids()
	slices.Sort(now)
	if !slices.Equal(now, pids) {
		t.Errorf("workers after SIGUSR1: %v, want the same %v", now, pids)
	}
	if got := p.snap().Pool.AcceptedConn; got != accepted+4 {
		t.Errorf("accepted conn after SIGUSR1 and 4 requests: %d, want %d", got, accepted+4)
	}
}
