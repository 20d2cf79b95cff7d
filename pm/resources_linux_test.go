package pm

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
	"github.com/fpmshm/fpmshm/shm"
)

// TestMasterResourcesClosed: what openMaster opens (the logs, a socket, the
// scoreboard and a cache, the pipes, the pid file) is all closed, removed
// and freed by Close, and by openMaster itself when its last step fails.
func TestMasterResourcesClosed(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{PM: Static, MaxChildren: 2, Listen: filepath.Join(dir, "fpm.sock"),
		AccessLog: filepath.Join(dir, "access.log"), Slowlog: filepath.Join(dir, "slow.log"),
		Caches: map[string]CacheConfig{"res": {Size: 1 << 20}}, Logger: slog.New(slog.DiscardHandler)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	check := func(what string, fds int, allocated int64) {
		t.Helper()
		if n := testproc.CountFDs(t); n != fds {
			t.Errorf("%s: %d descriptors open, %d before", what, n, fds)
		}
		if a := shm.Allocated(); a != allocated {
			t.Errorf("%s: %d bytes of shared memory, %d before", what, a, allocated)
		}
		if _, err := os.Stat(cfg.Listen); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: the socket file is still there (%v)", what, err)
		}
	}

	fds, allocated := testproc.CountFDs(t), shm.Allocated()
	cfg.PIDFile = filepath.Join(dir, "fpm.pid")
	res, err := openMaster(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if testproc.CountFDs(t) <= fds+5 || shm.Allocated() <= allocated {
		t.Fatalf("openMaster opened %d descriptors and %d bytes of shared memory, want the logs, a socket, the pipes, segments",
			testproc.CountFDs(t)-fds, shm.Allocated()-allocated)
	}
	res.Close()
	check("Close", fds, allocated)
	if _, err := os.Stat(cfg.PIDFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Close left the pid file (%v)", err)
	}

	cfg.PIDFile = filepath.Join(dir, "no-such-dir", "fpm.pid")
	if _, err := openMaster(&cfg); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("openMaster with a pid file in a missing directory: %v, want ErrNotExist", err)
	}
	check("a failed openMaster", fds, allocated)
}
