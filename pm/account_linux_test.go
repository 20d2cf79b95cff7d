package pm

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestWorkersRunAsUser: a master running as root starts its workers as
// user and group, with env[...] and clear_env applied, gives its unix
// sockets listen.owner, listen.group and listen.mode, and serves.
func TestWorkersRunAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching the workers' user needs a master running as root")
	}
	nobody, _, _, err := lookupUser("nobody")
	if err != nil {
		t.Skip("no user nobody here:", err)
	}
	cfg := Config{
		PM: Static, MaxChildren: 2, User: "nobody", ListenOwner: "nobody", ListenGroup: "0", ListenMode: 0o600,
		ClearEnv: true, Env: map[string]string{"FPMSHM_TEST_HELPER": "$FPMSHM_TEST_HELPER", "APP_MARK": "set"},
	}
	p := startPoolFrom(t, cfg, testproc.ExecutableForEveryone(t))
	pids := p.waitProcs(2, 10*time.Second)
	if code, body, err := p.get("/"); err != nil || code != 200 || !strings.HasPrefix(body, "ok ") {
		t.Fatalf("request to workers running as nobody: %d %q %v", code, body, err)
	}
	for _, pid := range pids {
		status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Uid:\t" + nobody.Uid + "\t", "Gid:\t" + nobody.Gid + "\t"} {
			if !strings.Contains(string(status), want) {
				t.Errorf("worker %d does not run as nobody: no %q in\n%s", pid, want, status)
			}
		}
		environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			t.Fatal(err)
		}
		vars := strings.Split(string(environ), "\x00")
		hasPath := slices.ContainsFunc(vars, func(v string) bool { return strings.HasPrefix(v, "PATH=") })
		if !slices.Contains(vars, "APP_MARK=set") || hasPath {
			t.Errorf("worker %d environment with clear_env and env[APP_MARK]: %q", pid, vars)
		}
	}
	for _, sock := range []string{p.cfg.Listen, p.cfg.HTTPListen} {
		fi, err := os.Stat(sock)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if strconv.Itoa(int(st.Uid)) != nobody.Uid || st.Gid != 0 || fi.Mode().Perm() != 0o600 {
			t.Errorf("socket %s: uid %d, gid %d, mode %v; want nobody, 0, 0600", sock, st.Uid, st.Gid, fi.Mode().Perm())
		}
	}
}
