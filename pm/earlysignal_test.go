//go:build linux

package pm

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// startMaster starts a master of a static pool of one worker with a pid
// file and a unix socket in dir, and returns it with their paths.
func startMaster(t *testing.T, dir string) (cmd *exec.Cmd, pidFile, sock string) {
	t.Helper()
	pidFile, sock = filepath.Join(dir, "fpmshm.pid"), filepath.Join(dir, "fcgi.sock")
	b, err := json.Marshal(Config{PM: Static, MaxChildren: 1, Listen: sock, PIDFile: pidFile})
	if err != nil {
		t.Fatal(err)
	}
	cmd = testproc.Command(t, "pool", string(b))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, pidFile, sock
}

// waitStopped waits for a master told to stop and returns how it ended;
// its process group is killed if it has not ended within 10 s.
func waitStopped(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-time.After(10 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		t.Fatal("the master did not stop within 10 s of SIGTERM")
		return nil
	}
}

// leftOver returns the paths among paths that still exist.
func leftOver(paths ...string) []string {
	var left []string
	for _, p := range paths {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			left = append(left, p)
		}
	}
	return left
}

// TestSIGTERMOnceThePIDFileAppears: a master sent SIGTERM as soon as its
// pid file appears exits 0, having removed its pid file and its socket:
// the pid file is written only once its signals are handled.
func TestSIGTERMOnceThePIDFileAppears(t *testing.T) {
	for i := range 30 {
		cmd, pidFile, sock := startMaster(t, t.TempDir())
		deadline := time.Now().Add(10 * time.Second)
		for len(leftOver(pidFile)) == 0 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("round %d: no pid file after 10 s", i)
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := waitStopped(t, cmd); err != nil {
			t.Fatalf("round %d: the master sent SIGTERM as its pid file appeared ended with %v, want exit 0", i, err)
		}
		if left := leftOver(pidFile, sock); len(left) > 0 {
			t.Fatalf("round %d: the master left %v behind", i, left)
		}
	}
}

// TestSIGTERMRightAfterStart: a master sent SIGTERM in its first 150 ms
// either exits 0 or, if the signal came before the program
// reached Run, dies of it before making any file; either way it leaves
// neither its pid file nor its socket behind.
func TestSIGTERMRightAfterStart(t *testing.T) {
	handled := 0
	for i := range 40 {
		cmd, pidFile, sock := startMaster(t, t.TempDir())
		time.Sleep(time.Duration(rand.IntN(150000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGTERM)
		err := waitStopped(t, cmd)
		var ee *exec.ExitError
		switch {
		case err == nil:
			handled++
		case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM:
		default:
			t.Fatalf("round %d: the master ended with %v, want exit 0 or death by SIGTERM", i, err)
		}
		if left := leftOver(pidFile, sock); len(left) > 0 {
			t.Fatalf("round %d: the master (%v) left %v behind", i, err, left)
		}
	}
	t.Logf("%d of 40 masters handled the SIGTERM", handled)
}
