package pm

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/pm/errorlog"
)

// freeTCPPort returns a port of addr's that was free a moment ago.
func freeTCPPort(t *testing.T, addr string) int {
	t.Helper()
	l, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Skipf("no %s: %v", addr, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestListenAllowedClients: a worker closes, unanswered, a TCP connection
// from an address listen.allowed_clients does not name, logging PHP-FPM's
// line, and serves one it names; its unix socket is not checked.
func TestListenAllowedClients(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	port := freeTCPPort(t, "[::]")
	errLog := filepath.Join(t.TempDir(), "error.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, Listen: fmt.Sprintf("[::]:%d", port),
		ListenAllowedClients: "::1", CatchWorkersOutput: true, ErrorLog: errLog})
	pid := p.waitProcs(1, 10*time.Second)[0]

	cl := dialFastCGI(t, fmt.Sprintf("127.0.0.1:%d", port))
	cl.Conn.SetDeadline(time.Now().Add(10 * time.Second))
	if resp, err := cl.Do(fcgitest.Get("/index.php", "")); err == nil {
		t.Errorf("a client from 127.0.0.1 was answered: %+v", resp)
	}
	p.waitFor("the refusal in the error log", 5*time.Second, func() bool {
		b, _ := os.ReadFile(errLog)
		return bytes.Contains(b, []byte(fmt.Sprintf(`child %d said into stderr: `, pid))) &&
			bytes.Contains(b, []byte(`Connection disallowed: IP address '127.0.0.1' has been dropped.`))
	})
	servedOK(t, fmt.Sprintf("[::1]:%d", port))
	if code, _, err := p.get("/"); err != nil || code != 200 {
		t.Errorf("the unix socket: %d %v", code, err)
	}
}

// TestCatchWorkersOutput: with catch_workers_output, each line a worker
// writes to its standard error is a line of the master's log, byte for
// byte as php-fpm 8.2 writes it (a 3000-byte line wrapped as php-fpm
// wraps it at log_limit; a line left open logged when the request ends);
// undecorated, the line is written as it is; without
// catch_workers_output the worker writes to the master's standard error
// itself, so the line reaches the error log as written. The worker's own
// log lines are php-fpm's lines in every case, never caught output.
func TestCatchWorkersOutput(t *testing.T) {
	long := strings.Repeat("y", 3000)
	for _, tc := range []struct {
		name          string
		catch, plain  bool
		want, wantNot string // regexps, PID the worker's pid
		pieces        []int  // the lengths of the lines of the long line
	}{
		// php-fpm's: [02-Dec-2026 17:24:13] WARNING: [pool www] child 24876 said into stderr: "..."
		{"decorated", true, false, `(?m)^\[\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d\] WARNING: \[pool www\] child PID said into stderr: "hello there"$`, `(?m)^hello there$`, nil},
		{"undecorated", true, true, `(?m)^hello there$`, `said into`, []int{1023, 1023, 954}},
		{"inherited", false, false, `(?m)^hello there$`, `said into`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errLog := filepath.Join(t.TempDir(), "error.log")
			p := startPool(t, Config{PM: Static, MaxChildren: 1, ErrorLog: errLog, LogFormat: LogFormatFPM,
				CatchWorkersOutput: tc.catch, UndecoratedWorkersOutput: tc.plain})
			pid := p.waitProcs(1, 10*time.Second)[0]
			for _, say := range []string{"hello there", long, "end"} {
				if code, _, err := p.get("/?say=" + url.QueryEscape(say)); err != nil || code != 200 {
					t.Fatalf("say: %d %v", code, err)
				}
			}
			breakProtocol(t, p.cfg.Listen)                                    // the worker logs a warning of its own
			if code, _, err := p.get("/?spew=7"); err != nil || code != 200 { // no newline
				t.Fatalf("spew: %d %v", code, err)
			}
			var log []byte
			p.waitFor("the last line", 5*time.Second, func() bool {
				log, _ = os.ReadFile(errLog)
				return bytes.Contains(log, []byte("xxxxxxx"))
			})
			withPID := func(re string) *regexp.Regexp {
				return regexp.MustCompile(strings.ReplaceAll(re, "PID", strconv.Itoa(pid)))
			}
			if tc.want != "" && !withPID(tc.want).Match(log) {
				t.Errorf("no %q in the log:\n%s", tc.want, log)
			}
			if withPID(tc.wantNot).Match(log) {
				t.Errorf("%q in the log:\n%s", tc.wantNot, log)
			}
			// The worker's own log line is php-fpm's, as a php-fpm child's
			// reaches the error log: never caught as its output.
			own := `(?m)^\[\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d\] WARNING: \[pool www\] closed a FastCGI connection that broke the protocol`
			if !regexp.MustCompile(own).Match(log) || bytes.Contains(log, []byte("said into stderr: \"[")) {
				t.Errorf("the worker's own warning is not a line of the error log of its own in:\n%s", log)
			}
			if !tc.catch {
				return
			}
			var pieces []int
			for _, line := range strings.Split(string(log), "\n") {
				if strings.Contains(line, "yyy") {
					pieces = append(pieces, len(line))
				}
			}
			want := tc.pieces
			if want == nil { // php-fpm's decorated lines: 1023 bytes, whatever the prefix leaves
				want = []int{1023, 1023, 1023}
				prefix := len(`[02-Dec-2026 17:24:13] WARNING: [pool www] child ` + strconv.Itoa(pid) + ` said into stderr: ""`)
				want = append(want, 3000-3*(1023-prefix)+prefix)
			}
			if fmt.Sprint(pieces) != fmt.Sprint(want) {
				t.Errorf("a 3000-byte line was logged in lines of %v bytes, want %v", pieces, want)
			}
		})
	}
}

// TestReopenCaughtWorkersOwnLog: with catch_workers_output, a worker
// writes its own log lines to the error log the master handed it; after
// SIGUSR1 it writes them, as lines of their own, to the file the master
// opened anew. The worker takes the new file up between two requests, so
// the warning is provoked until it shows there (for at most 5 s).
func TestReopenCaughtWorkersOwnLog(t *testing.T) {
	errLog := filepath.Join(t.TempDir(), "error.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, ErrorLog: errLog, LogFormat: LogFormatFPM, CatchWorkersOutput: true})
	pid := p.waitProcs(1, 10*time.Second)[0]
	if err := os.Rename(errLog, errLog+".1"); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGUSR1)
	p.waitFor("the error_log made anew", 5*time.Second, func() bool { _, err := os.Stat(errLog); return err == nil })
	own := regexp.MustCompile(`(?m)^\[[^]]+\] WARNING: \[pool www\] closed a FastCGI connection that broke the protocol`)
	var b []byte
	if !testproc.Poll(5*time.Second, 100*time.Millisecond, func() bool {
		breakProtocol(t, p.cfg.Listen) // the worker logs a warning of its own
		b, _ = os.ReadFile(errLog)
		return own.Match(b)
	}) {
		t.Errorf("the new error_log lacks the worker's own warning:\n%s", b)
	}
	if now := p.pids(); len(now) != 1 || now[0] != pid {
		t.Errorf("workers after SIGUSR1: %v, want the same [%d]", now, pid)
	}
}

// TestWorkerOutputBounded: a worker writing 32 MiB without a newline
// does not grow the master, which logs it in lines of at most log_limit.
func TestWorkerOutputBounded(t *testing.T) {
	t.Setenv(envPHPLog, "1")
	errLog := filepath.Join(t.TempDir(), "error.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, ErrorLog: errLog, CatchWorkersOutput: true, UndecoratedWorkersOutput: true})
	p.waitProcs(1, 10*time.Second)
	master := p.cmd.Process.Pid
	before := rssKiB(t, master)
	const n = 32 << 20
	if code, _, err := p.get(fmt.Sprintf("/?spew=%d", n)); err != nil || code != 200 {
		t.Fatalf("spew: %d %v", code, err)
	}
	p.waitFor("every byte in the log", 30*time.Second, func() bool {
		st, err := os.Stat(errLog)
		return err == nil && st.Size() >= n
	})
	after := rssKiB(t, master)
	t.Logf("master RSS %d KiB before, %d KiB after a worker wrote %d bytes without a newline", before, after, n)
	if after-before > maxGrowthKiB() {
		t.Errorf("the master grew by %d KiB", after-before)
	}
	b, _ := os.ReadFile(errLog)
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(line) > errorlog.DefaultLimit-1 {
			t.Fatalf("line %d is %d bytes, more than log_limit allows", i, len(line))
		}
	}
}

// TestEmergencyRestart: two workers crashing (SIGSEGV, which a Go worker
// turns into exit status 2) within emergency_restart_interval make the
// master log PHP-FPM's line and reload: the worker that did not crash is
// replaced too.
func TestEmergencyRestart(t *testing.T) {
	errLog := filepath.Join(t.TempDir(), "error.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 3, ErrorLog: errLog,
		EmergencyRestartThreshold: 2, EmergencyRestartInterval: 10 * time.Second})
	pids := p.waitProcs(3, 10*time.Second)
	for _, pid := range pids[:2] {
		if err := syscall.Kill(pid, syscall.SIGSEGV); err != nil {
			t.Fatal(err)
		}
	}
	p.waitFor("the reload", 10*time.Second, func() bool {
		b, _ := os.ReadFile(errLog)
		return bytes.Contains(b, []byte("failed processes threshold (2 in 10 sec) is reached, initiating reload"))
	})
	p.waitFor("the survivor replaced", 10*time.Second, func() bool { return !alive(pids[2]) })
}

// TestProcessLimits: rlimit_files, rlimit_core and process.priority are a
// worker's, in every thread of it, and not the master's.
func TestProcessLimits(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("process.priority takes root")
	}
	p := startPool(t, Config{PM: Static, MaxChildren: 1, RlimitFiles: 777, RlimitCore: "unlimited", ProcessPriority: "7"})
	pid := p.waitProcs(1, 10*time.Second)[0]
	servedOK(t, p.cfg.Listen) // the worker's runtime has started its threads
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Max open files\s+777\s+777\s`, `Max core file size\s+unlimited\s+unlimited\s`} {
		if !regexp.MustCompile(want).Match(limits) {
			t.Errorf("no %q in the worker's limits:\n%s", want, limits)
		}
	}
	if nices := threadNices(t, pid); len(nices) < 2 || strings.Trim(fmt.Sprint(nices), "[7 ]") != "" {
		t.Errorf("the worker's threads have nice values %v, want 7 each", nices)
	}
	if nices := threadNices(t, p.cmd.Process.Pid); strings.Contains(fmt.Sprint(nices), "7") {
		t.Errorf("the master's threads have nice values %v", nices)
	}
}

// TestMasterLimits: [global] rlimit_files, rlimit_core and
// process.priority are the master's, in every thread of it, and its
// workers inherit them when their pool sets none.
func TestMasterLimits(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("process.priority takes root")
	}
	p := startPool(t, Config{PM: Static, MaxChildren: 1, MasterRlimitFiles: 555, MasterRlimitCore: "0", MasterProcessPriority: "5"})
	worker := p.waitProcs(1, 10*time.Second)[0]
	servedOK(t, p.cfg.Listen)
	for who, pid := range map[string]int{"master": p.cmd.Process.Pid, "worker": worker} {
		limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`Max open files\s+555\s+555\s`, `Max core file size\s+0\s+0\s`} {
			if !regexp.MustCompile(want).Match(limits) {
				t.Errorf("no %q in the %s's limits:\n%s", want, who, limits)
			}
		}
		if nices := threadNices(t, pid); len(nices) < 2 || strings.Trim(fmt.Sprint(nices), "[5 ]") != "" {
			t.Errorf("the %s's threads have nice values %v, want 5 each", who, nices)
		}
	}
}

// threadNices reads the nice value of each thread of pid.
func threadNices(t *testing.T, pid int) []int {
	t.Helper()
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	var nices []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		n, err := strconv.Atoi(fields[16]) // field 19, counted from the state
		if err != nil {
			t.Fatalf("%s: %q", path, b)
		}
		nices = append(nices, n)
	}
	return nices
}
