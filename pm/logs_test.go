package pm

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestErrorLogPool: with error_log, what the workers write to their
// standard error lands in the file; after the file is moved away, SIGUSR1
// makes the master open a new one at the path, and the new workers'
// output goes there.
func TestErrorLogPool(t *testing.T) {
	t.Setenv(envPHPLog, "1") // undecorated lines as they are
	path := filepath.Join(t.TempDir(), "error.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 2, ErrorLog: path, CatchWorkersOutput: true, UndecoratedWorkersOutput: true})
	p.waitProcs(2, 10*time.Second)
	if code, _, err := p.get("/?say=before-rotation"); err != nil || code != 200 {
		t.Fatalf("request: %d %v", code, err)
	}
	p.waitFor("the worker's output in error_log", 5*time.Second, func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), "before-rotation\n")
	})
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGUSR1)
	p.waitFor("output after SIGUSR1 in the new error_log", 10*time.Second, func() bool {
		if code, _, err := p.get("/?say=after-rotation"); err != nil || code != 200 {
			t.Fatalf("request after SIGUSR1: %d %v", code, err)
		}
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), "after-rotation\n")
	})
	if b, _ := os.ReadFile(path + ".1"); !strings.Contains(string(b), "before-rotation\n") {
		t.Errorf("the rotated error_log lost its lines: %q", b)
	}
}
