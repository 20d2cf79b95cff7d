package pm

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/pm/errorlog"
)

// TestErrorLogSyslog runs a pool with error_log = syslog, syslog.facility
// local3, syslog.ident fpmshm-test and log_level debug, its syslog socket
// a test's, and reads there the master's "fpm is running" as glibc's
// syslog(3) sends php-fpm's (local3 and notice: priority 157), and a
// worker's debug line (159) under its own pid: the workers log as the
// master was told to.
func TestErrorLogSyslog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv(envTestSyslog, sock)
	p := startPool(t, Config{PM: Static, MaxChildren: 1, MaxRequests: 1, ErrorLog: "syslog", LogFormat: LogFormatFPM,
		SyslogFacility: "local3", SyslogIdent: "fpmshm-test", LogLevel: errorlog.LevelDebug})
	master := p.cmd.Process.Pid
	running := regexp.MustCompile(fmt.Sprintf(`^<157>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d fpmshm-test\[%d\]: \[NOTICE\] pm\.\w+\(\), line \d+: fpm is running, pid %d$`, master, master))
	worker := regexp.MustCompile(`^<159>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d fpmshm-test\[(\d+)\]: \[DEBUG\] pm\.\(\*worker\)\.\w+\(\), line \d+: \[pool www\] pm\.max_requests reached; exiting pid=(\d+) requests=1$`)
	p.waitProcs(1, 10*time.Second)
	if code, _, err := p.get("/"); err != nil || code != 200 {
		t.Fatalf("GET /: %d %v", code, err)
	}
	var seen []string
	sawRunning, sawWorker := false, false
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for !sawRunning || !sawWorker {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("%v; running %v, worker %v; read:\n%s", err, sawRunning, sawWorker, strings.Join(seen, "\n"))
		}
		msg := string(buf[:n])
		seen = append(seen, msg)
		sawRunning = sawRunning || running.MatchString(msg)
		if m := worker.FindStringSubmatch(msg); m != nil && m[1] == m[2] && m[1] != fmt.Sprint(master) {
			sawWorker = true
		}
	}
}

// TestNewLoggerDirectives: log_level drops what is below it, log_limit
// cuts a long line as php-fpm does (to log_limit-1 bytes ending in
// "..."), and log_format json writes slog's records.
func TestNewLoggerDirectives(t *testing.T) {
	logTo := func(c *Config) (*slog.Logger, *os.File) {
		f, err := os.CreateTemp(t.TempDir(), "error.log")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		stderr := os.Stderr
		os.Stderr = f // NewLogger writes to the standard error
		defer func() { os.Stderr = stderr }()
		return NewLogger(c), f
	}
	read := func(f *os.File) []string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}

	log, f := logTo(&Config{LogLevel: errorlog.LevelWarning, LogLimit: 600})
	log.Info("dropped at log_level warning")
	log.Warn(strings.Repeat("x", 3000))
	lines := read(f)
	if len(lines) != 1 || len(lines[0]) != 599 || !strings.HasSuffix(lines[0], "x...") || !strings.Contains(lines[0], "] WARNING: xxx") {
		t.Errorf("log_level warning, log_limit 600: %d lines, the first %d bytes: %.60q", len(lines), len(lines[0]), lines[0])
	}

	log, f = logTo(&Config{LogFormat: LogFormatJSON})
	log.Info("ready to handle connections")
	var rec struct{ Level, Msg string }
	if lines := read(f); len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &rec) != nil || rec.Level != "INFO" || rec.Msg != "ready to handle connections" {
		t.Errorf("log_format json: %q", lines)
	}
}
