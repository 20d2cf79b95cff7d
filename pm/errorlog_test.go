package pm

import (
	"fmt"
	"net"
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
	running := regexp.MustCompile(fmt.Sprintf(`^<157>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d fpmshm-test\[%d\]: \[NOTICE\] pm\.runPool\(\), line \d+: fpm is running, pid %d$`, master, master))
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
