package pm

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHandlerChildrenInheritNothing: every descriptor a worker holds
// beyond 0, 1 and 2 is close-on-exec, so a program the handler starts
// inherits none of what the master handed over (the listening sockets,
// the logs, the master's error log with catch_workers_output, the
// scoreboard and cache segments, the master's pipes) nor the worker's own.
func TestHandlerChildrenInheritNothing(t *testing.T) {
	dir := t.TempDir()
	p := startPool(t, Config{PM: Static, MaxChildren: 1, CatchWorkersOutput: true,
		ErrorLog: filepath.Join(dir, "error.log"), AccessLog: filepath.Join(dir, "access.log"),
		Slowlog: filepath.Join(dir, "slow.log"), RequestSlowlogTimeout: time.Second,
		Caches: map[string]CacheConfig{"test": {Size: 1 << 20}}})
	p.waitProcs(1, 10*time.Second)
	code, body, err := p.get("/?inheritable")
	if err != nil || code != 200 {
		t.Fatalf("?inheritable: %d %v", code, err)
	}
	// What the test process itself passes on, its parent's doing, reaches
	// the worker through the master unchanged and is not the worker's.
	ours := map[string]bool{}
	for _, fd := range inheritableFDs() {
		ours[fd] = true
	}
	var got []string
	for _, fd := range strings.Split(strings.TrimSpace(body), "\n") {
		if fd != "" && !ours[fd] {
			got = append(got, fd)
		}
	}
	if len(got) > 0 {
		t.Errorf("a program the worker's handler starts would inherit: %q", got)
	}
}
