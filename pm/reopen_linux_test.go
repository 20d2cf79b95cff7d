package pm

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestReopenLogsForOtherUser: workers running as another user (user =
// nobody) write to the access log the root master reopened in a directory
// they cannot enter: the new file is the master's (root's, 0600), as the
// first was, and takes their lines.
func TestReopenLogsForOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching the workers' user needs a master running as root")
	}
	if _, _, _, err := lookupUser("nobody"); err != nil {
		t.Skip("no user nobody here:", err)
	}
	dir := t.TempDir() // 0700, root's
	access := filepath.Join(dir, "access.log")
	p := startPoolFrom(t, Config{PM: Static, MaxChildren: 1, User: "nobody", AccessLog: access, AccessFormat: "%r%Q%q"},
		testproc.ExecutableForEveryone(t))
	p.waitProcs(1, 10*time.Second)
	if err := os.Rename(access, access+".1"); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGUSR1)
	p.waitFor("the new access log", 5*time.Second, func() bool {
		if code, _, err := p.get("/?after"); err != nil || code != 200 {
			t.Fatalf("request: %d %v", code, err)
		}
		b, _ := os.ReadFile(access)
		return strings.Contains(string(b), "/?after")
	})
	fi, err := os.Stat(access)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("the new access log is owned by uid %d, mode %v; want root's, 0600", st.Uid, fi.Mode().Perm())
	}
}
