package testproc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// envHelper names the helper a re-executed test binary must run.
const envHelper = "FPMSHM_TEST_HELPER"

var helpers = map[string]func(args []string) int{}

// Register makes fn runnable as helper name. Call it from init or from
// TestMain before Main. fn receives the arguments given to Command and
// returns the process exit code.
func Register(name string, fn func(args []string) int) {
	if _, dup := helpers[name]; dup {
		panic("testproc: helper registered twice: " + name)
	}
	helpers[name] = fn
}

// IsHelper reports whether this process was started by Command.
func IsHelper() bool { return os.Getenv(envHelper) != "" }

// Main runs the helper this process was started as, or else the tests,
// then exits. When the tests pass but leave descriptors open, it reports
// them and exits 1. Every package's TestMain calls it (TestEveryTestMain
// checks that).
func Main(m *testing.M) {
	if name := os.Getenv(envHelper); name != "" {
		fn, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "testproc: no helper named %q\n", name)
			os.Exit(2)
		}
		os.Exit(fn(helperArgs()))
	}
	before := openFDs()
	code := m.Run()
	if code == 0 {
		if leaked := leakedFDs(before, openFDs()); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "testproc: tests leaked file descriptors:\n  %s\n", strings.Join(leaked, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// Command returns a command that re-executes the test binary as helper
// name with args. The caller may add ExtraFiles, Env entries and so on
// before starting it. Stderr goes to the test's stderr.
func Command(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	if _, ok := helpers[name]; !ok {
		t.Fatalf("testproc: no helper named %q", name)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	cmd := exec.Command(exe, append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), envHelper+"="+name)
	cmd.Stderr = os.Stderr
	return cmd
}

// helperArgs returns the arguments after "--".
func helperArgs() []string {
	for i, a := range os.Args {
		if a == "--" {
			return os.Args[i+1:]
		}
	}
	return nil
}

// openFDs maps each open descriptor of this process to what it refers to.
func openFDs() map[string]string {
	fds := map[string]string{}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fds // no /proc: leak checks are skipped
	}
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			fds[e.Name()] = target // not the directory's own descriptor, closed by now
		}
	}
	return fds
}

// leakedFDs lists the descriptors open after that were not open before,
// leaving out the runtime's poller.
func leakedFDs(before, after map[string]string) []string {
	var leaked []string
	for fd, target := range after {
		if old, ok := before[fd]; ok && old == target {
			continue
		}
		if target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]" {
			continue // the runtime's network poller, opened once and kept
		}
		leaked = append(leaked, fmt.Sprintf("fd %s -> %s", fd, target))
	}
	sort.Strings(leaked)
	return leaked
}

// StartReady starts cmd and waits for the line want (without its newline)
// on its standard output, the helper's sign that it reached the state the
// test needs. On anything else it kills the helper and fails t. The
// helper is killed and reaped when the test ends, unless the test has
// reaped it already.
func StartReady(t testing.TB, cmd *exec.Cmd, want string) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != want+"\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("testproc: helper %s said %q (%v), want %q", cmd.Args, line, err, want)
	}
}
