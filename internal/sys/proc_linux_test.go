package sys

import (
	"errors"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses, as a process may choose.
	line := "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615\n"
	start, state, err := parseStat([]byte(line))
	if err != nil || start != 987654 || state != 'S' {
		t.Fatalf("parseStat = %d, %q, %v; want 987654, 'S', nil", start, state, err)
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 notanumber"} {
		if _, _, err := parseStat([]byte(bad)); !errors.Is(err, unix.EINVAL) {
			t.Errorf("parseStat(%q) = %v, want EINVAL", bad, err)
		}
	}
}

func TestProcessStat(t *testing.T) {
	// The state is the main thread's, which may be running or asleep while
	// this goroutine runs on another thread; either way, not dead.
	start, state, err := ProcessStat(os.Getpid())
	if err != nil || start == 0 || state == 'Z' || state == 'X' || state < 'A' || state > 'z' {
		t.Fatalf("ProcessStat(self) = %d, %q, %v; want a start time, a live state, nil", start, state, err)
	}
	if _, _, err := ProcessStat(1 << 30); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("ProcessStat(no such pid) = %v, want ENOENT", err)
	}
	// A child that has exited but is not reaped is a zombie; once reaped it
	// is gone.
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	pid := cmd.Process.Pid
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err) // waits for the exit without reaping
	}
	if childStart, state, err := ProcessStat(pid); err != nil || state != 'Z' || childStart < start {
		t.Errorf("exited child %d: state %q, start %d (%v); want Z, started no earlier than its parent (%d)", pid, state, childStart, err, start)
	}
	if ok, err := ProcessExists(pid); !ok || err != nil {
		t.Errorf("ProcessExists(zombie) = %v, %v; want true, nil", ok, err)
	}
	cmd.Wait()
	if ok, err := ProcessExists(pid); ok || err != nil {
		t.Errorf("ProcessExists(reaped) = %v, %v; want false, nil", ok, err)
	}
}

func TestFutex(t *testing.T) {
	var word uint32 = 7
	if err := FutexWait(&word, 8, 0); err != unix.EAGAIN {
		t.Fatalf("FutexWait on a word that differs = %v, want EAGAIN", err)
	}
	if err := FutexWait(&word, 7, 1e6); err != unix.ETIMEDOUT {
		t.Fatalf("FutexWait with 1ms timeout = %v, want ETIMEDOUT", err)
	}
	if n, err := FutexWake(&word, 1); n != 0 || err != nil {
		t.Fatalf("FutexWake with no waiter = %d, %v", n, err)
	}
}
