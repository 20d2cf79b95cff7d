package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// readLog returns the lines of the error log at path.
func readLog(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// stopServe sends sig to the master whose pid is in pidfile and waits for
// it to exit.
func stopServe(t *testing.T, pidfile string, d *daemon, sig syscall.Signal) int {
	t.Helper()
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		d.exited <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("fpmshm serve did not exit")
	}
	return pid
}

// TestServeErrorLogFPM starts fpmshm serve with an error_log and
// request_slowlog_timeout 1s, makes a 1.5 s request and stops the master
// gracefully: its error log holds php-fpm's lines, as php-fpm 8.2 writes
// them for the same (fpm is running, ready to handle connections, the
// slow request's warning, Finishing ..., exiting, bye-bye!), and no other
// line at log_level notice.
func TestServeErrorLogFPM(t *testing.T) {
	dir := t.TempDir()
	errorLog := filepath.Join(dir, "error.log")
	http1 := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pidfile, d := startServe(t, "-listen", "", "-http", http1, "-pm", "static", "-pm.max_children", "1",
		"-error_log", errorLog, "-request_slowlog_timeout", "1s")
	if code, _, err := get(http.DefaultClient, "http://"+http1+"/slow.php?sleep=2500ms"); err != nil || code != 200 {
		t.Fatalf("GET: %d %v", code, err)
	}
	pid := stopServe(t, pidfile, d, syscall.SIGQUIT)
	stamp := `^\[\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\] `
	want := []*regexp.Regexp{
		regexp.MustCompile(stamp + fmt.Sprintf(`NOTICE: fpm is running, pid %d$`, pid)),
		regexp.MustCompile(stamp + `NOTICE: ready to handle connections$`),
		regexp.MustCompile(stamp + `WARNING: \[pool www\] child \d+, script '[^']*' \(request: "GET /slow\.php\?sleep=2500ms"\) executing too slow \(1\.\d{6} sec\), logging$`),
		regexp.MustCompile(stamp + `NOTICE: Finishing \.\.\.$`),
		regexp.MustCompile(stamp + `NOTICE: exiting, bye-bye!$`),
	}
	lines := readLog(t, errorLog)
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i+1, lines[i], re)
		}
	}
}

// TestServeErrorLogJSON: with log_format json and log_level debug, every
// line of the error log, the master's and the workers', is one of slog's
// JSON records, a worker's among them.
func TestServeErrorLogJSON(t *testing.T) {
	dir := t.TempDir()
	errorLog := filepath.Join(dir, "error.log")
	http1 := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pidfile, d := startServe(t, "-listen", "", "-http", http1, "-pm", "static", "-pm.max_children", "1",
		"-pm.max_requests", "1", "-error_log", errorLog, "-log_format", "json", "-log_level", "debug")
	if code, _, err := get(http.DefaultClient, "http://"+http1+"/"); err != nil || code != 200 {
		t.Fatalf("GET: %d %v", code, err)
	}
	master := stopServe(t, pidfile, d, syscall.SIGTERM)
	workerLines := 0
	for _, l := range readLog(t, errorLog) {
		var rec struct {
			Msg string
			PID int
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		if rec.Msg == "pm.max_requests reached; exiting" && rec.PID != 0 && rec.PID != master {
			workerLines++
		}
	}
	if workerLines != 1 {
		t.Errorf("%d records of a worker reaching pm.max_requests, want 1", workerLines)
	}
}

// TestServeTest runs fpmshm serve -t and -tt as php-fpm8.2 -t and -tt
// run: on a good file, the effective configuration (-tt) and "test is
// successful", exit 0; on a file with unknown directives, each on a line,
// "failed to load configuration file", "FPM initialization failed", exit
// 78; on a bad value, or an error_log that cannot be opened, the error,
// exit 78. Nothing is started.
func TestServeTest(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.conf")
	bad := filepath.Join(dir, "bad.conf")
	invalid := filepath.Join(dir, "invalid.conf")
	noLog := filepath.Join(dir, "nolog.conf")
	pidfile := filepath.Join(dir, "fpmshm.pid")
	os.WriteFile(good, []byte("[global]\npid = "+pidfile+"\n[www]\nlisten = "+filepath.Join(dir, "sock")+"\npm = static\npm.max_children = 2\nenv[A] = b c\n"), 0o600)
	os.WriteFile(bad, []byte("[www]\nfoo = 1\nbar = 2\n"), 0o600)
	if err := os.WriteFile(invalid, []byte("[www]\npm = static\npm.max_children = 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(noLog, []byte("[global]\nerror_log = "+filepath.Join(dir, "missing", "error.log")+"\n[www]\nlisten = 9000\n"), 0o600)
	stamp := `\[\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\] `
	tests := []struct {
		args []string
		code int
		want string // a regexp matching the whole standard error
	}{
		{[]string{"-t", "-y", good}, 0, `^` + stamp + `NOTICE: configuration file ` + regexp.QuoteMeta(good) + ` test is successful\n\n$`},
		{[]string{"-tt", "-y", good, "-http", ""}, 0, `^` + stamp + `NOTICE: \[global\]\n` + stamp + `NOTICE: \tpid = ` + regexp.QuoteMeta(pidfile) + `\n` +
			`(?:` + stamp + `NOTICE: \t.*\n)*` + stamp + `NOTICE:  \n` + stamp + `NOTICE: \[www\]\n` +
			`(?:` + stamp + `NOTICE: \t.*\n)*` + stamp + `NOTICE: \tpm.max_children = 2\n` +
			`(?:` + stamp + `NOTICE: \t.*\n)*` + stamp + `NOTICE: \tenv\[A\] = b c\n` +
			`(?:` + stamp + `NOTICE: \t.*\n)*` + stamp + `NOTICE:  \n` +
			stamp + `NOTICE: configuration file ` + regexp.QuoteMeta(good) + ` test is successful\n\n$`},
		{[]string{"-t", "-y", bad}, 78, `^` + stamp + `ERROR: .*bad.conf:2: \[www\] foo: unknown directive.*\n` + stamp + `ERROR: .*bad.conf:3: \[www\] bar: unknown directive.*\n` +
			stamp + `ERROR: failed to load configuration file '` + regexp.QuoteMeta(bad) + `'\n` + stamp + `ERROR: FPM initialization failed\n$`},
		{[]string{"-t", "-y", invalid}, 78, `^` + stamp + `ERROR: .*pm.max_children \(0\) must be between 1 and 65536\n` + stamp + `ERROR: FPM initialization failed\n$`},
		{[]string{"-t", "-y", noLog}, 78, `^` + stamp + `ERROR: .*open error_log: .*missing/error.log: no such file or directory\n` + stamp + `ERROR: FPM initialization failed\n$`},
	}
	for _, tt := range tests {
		out, errOut, code := run(t, append([]string{"serve"}, tt.args...)...)
		if code != tt.code || out != "" || !regexp.MustCompile(tt.want).MatchString(errOut) {
			t.Errorf("serve %q: exit %d, stdout %q, stderr:\n%s\nwant exit %d, stderr matching %s", tt.args, code, out, errOut, tt.code, tt.want)
		}
	}
	if fileExists(pidfile) {
		t.Errorf("serve -t wrote the pid file: it started the pool")
	}
}

// TestServeStartFailure: a master that cannot start exits 78 (EX_CONFIG)
// as php-fpm 8.2 does, after php-fpm's "FPM initialization failed", and
// leaves no pid file: a file that does not load, a configuration that does
// not validate, and a listen address another process holds (php-fpm:
// "unable to bind listening socket ... Address already in use (98)", 78).
func TestServeStartFailure(t *testing.T) {
	dir := t.TempDir()
	invalid := filepath.Join(dir, "invalid.conf")
	if err := os.WriteFile(invalid, []byte("[www]\npm = static\npm.max_children = 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	pidfile := filepath.Join(dir, "fpmshm.pid")
	for _, tc := range []struct {
		name string
		args []string
		want string // in the standard error
	}{
		{"missing file", []string{"-y", filepath.Join(dir, "missing.conf")}, "failed to load configuration file"},
		{"invalid", []string{"-y", invalid}, "pm.max_children (0) must be between 1 and 65536"},
		{"address in use", []string{"-listen", held.Addr().String(), "-http", ""}, "address already in use"},
	} {
		var errOut bytes.Buffer
		cmd := testproc.Command(t, "fpmshm", append([]string{"serve", "-pid", pidfile}, tc.args...)...)
		cmd.Stderr = &errOut
		d := startDaemon(t, cmd)
		select {
		case err := <-d.exited:
			code := -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != exitConfig || !strings.Contains(errOut.String(), tc.want) || !strings.HasSuffix(errOut.String(), "ERROR: FPM initialization failed\n") {
				t.Errorf("%s: exit %d (%v), stderr:\n%s\nwant exit 78 after %q and \"FPM initialization failed\"", tc.name, code, err, errOut.String(), tc.want)
			}
			d.exited <- err // for the cleanup
		case <-time.After(10 * time.Second):
			t.Errorf("%s: fpmshm serve still running after 10s, want it to fail at start", tc.name)
		}
		if fileExists(pidfile) {
			t.Errorf("%s: the pid file was written", tc.name)
		}
	}
}
