package contrib_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func TestMain(m *testing.M) { testproc.Main(m) }

// The paths the two files agree on.
const (
	errorLog = "/var/log/fpmshm.log"
	pidFile  = "/run/fpmshm/fpmshm.pid"
)

// unitFile reads a systemd unit file into section -> key -> values.
func unitFile(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unit := map[string]map[string][]string{}
	var section string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			unit[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.TrimSpace(k) == "" {
				t.Fatalf("%s:%d: not a key=value in a section: %q", path, n, line)
			}
			k = strings.TrimSpace(k)
			unit[section][k] = append(unit[section][k], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return unit
}

// buildFpmshm builds the fpmshm command into a temporary directory.
func buildFpmshm(t *testing.T) string {
	t.Helper()
	goTool := testproc.NeedBinary(t, "go") // go test puts its own first on PATH
	bin := filepath.Join(t.TempDir(), "fpmshm")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/fpmshm/fpmshm/cmd/fpmshm").CombinedOutput(); err != nil {
		t.Fatalf("go build fpmshm: %v\n%s", err, out)
	}
	return bin
}

// TestUnitFile checks fpmshm.service's directives: those Debian's
// php8.2-fpm.service has, a command line fpmshm serve accepts, a runtime
// directory that holds the pid file logrotate signals, and, where
// systemd-analyze is installed, systemd's own verdict on the file.
func TestUnitFile(t *testing.T) {
	unit := unitFile(t, "fpmshm.service")
	want := map[string]map[string]string{
		"Unit":    {"After": "network.target"},
		"Service": {"Type": "notify", "ExecReload": "/bin/kill -USR2 $MAINPID", "RuntimeDirectory": filepath.Base(filepath.Dir(pidFile))},
		"Install": {"WantedBy": "multi-user.target"},
	}
	for section, keys := range want {
		for k, v := range keys {
			if got := unit[section][k]; len(got) != 1 || got[0] != v {
				t.Errorf("[%s] %s = %q, want %q", section, k, got, v)
			}
		}
	}
	start := unit["Service"]["ExecStart"]
	if len(start) != 1 {
		t.Fatalf("[Service] ExecStart = %q, want one command", start)
	}
	args := strings.Fields(start[0])
	if len(args) < 2 || filepath.Base(args[0]) != "fpmshm" || args[1] != "serve" {
		t.Fatalf("ExecStart = %q, want fpmshm serve ...", start[0])
	}

	// The flags ExecStart gives are ones fpmshm serve knows.
	bin := buildFpmshm(t)
	usage, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	for _, a := range args[2:] {
		if strings.HasPrefix(a, "-") && !strings.Contains(string(usage), "\n  "+strings.SplitN(a, "=", 2)[0]+" ") {
			t.Errorf("ExecStart gives %s, which fpmshm serve -h does not list:\n%s", a, usage)
		}
	}

	// systemd's verdict, on a copy that runs the binary just built (verify
	// checks that each command exists). A warning fails the test as much as
	// an error.
	analyze := testproc.NeedBinary(t, "systemd-analyze")
	b, err := os.ReadFile("fpmshm.service")
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "fpmshm.service")
	if err := os.WriteFile(copyPath, []byte(strings.Replace(string(b), args[0], bin, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestLogrotateDebug runs logrotate -d (read, check, rotate nothing) on
// fpmshm.logrotate as installed.
func TestLogrotateDebug(t *testing.T) {
	logrotate := testproc.NeedBinary(t, "logrotate")
	state := filepath.Join(t.TempDir(), "state")
	out, err := exec.Command(logrotate, "-d", "-s", state, "fpmshm.logrotate").CombinedOutput()
	if err != nil {
		t.Fatalf("logrotate -d: %v\n%s", err, out)
	}
	for _, want := range []string{"rotating pattern: " + errorLog + "  weekly (12 rotations)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("logrotate -d does not say %q:\n%s", want, out)
		}
	}
	for l := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(l, "error:") {
			t.Errorf("logrotate -d: %s", l)
		}
	}
}

func init() { testproc.Register("master", helperMaster) }

// helperMaster stands in for fpmshm serve's master: it writes its pid to
// the file args[0] names, says "ready", and exits 0 on SIGUSR1 (1 if none
// comes within 30 s).
func helperMaster(args []string) int {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	if err := os.WriteFile(args[0], fmt.Appendf(nil, "%d\n", os.Getpid()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	select {
	case <-usr1:
		return 0
	case <-time.After(30 * time.Second):
		return 1
	}
}

// TestLogrotateRotates forces a rotation with fpmshm.logrotate, its paths
// moved to a temporary directory, and checks that the log is rotated and
// that its postrotate script sends SIGUSR1 to the master named in the pid
// file.
func TestLogrotateRotates(t *testing.T) {
	logrotate := testproc.NeedBinary(t, "logrotate")
	b, err := os.ReadFile("fpmshm.logrotate")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for _, p := range []string{errorLog, pidFile} {
		if !strings.Contains(conf, p) {
			t.Fatalf("fpmshm.logrotate does not name %s", p)
		}
	}
	dir := t.TempDir()
	log, pid := filepath.Join(dir, "fpmshm.log"), filepath.Join(dir, "fpmshm.pid")
	conf = strings.ReplaceAll(strings.ReplaceAll(conf, errorLog, log), pidFile, pid)
	confPath := filepath.Join(dir, "fpmshm.logrotate")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, []byte("[02-Dec-2026 00:05:08] NOTICE: fpm is running, pid 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	master := testproc.Command(t, "master", pid)
	testproc.StartReady(t, master, "ready")
	out, err := exec.Command(logrotate, "-f", "-s", filepath.Join(dir, "state"), confPath).CombinedOutput()
	if err != nil {
		t.Fatalf("logrotate -f: %v\n%s", err, out)
	}
	if err := master.Wait(); err != nil {
		t.Errorf("the master did not get SIGUSR1 from postrotate: %v", err)
	}
	if rotated, err := os.ReadFile(log + ".1"); err != nil || !strings.Contains(string(rotated), "fpm is running") {
		t.Errorf("%s.1 after the rotation: %q, %v", log, rotated, err)
	}
	if _, err := os.Stat(log); err == nil {
		t.Errorf("%s is still there: the master is to create it anew when it reopens its log", log)
	}
}
