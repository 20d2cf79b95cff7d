package shm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/fpmshm/fpmshm/internal/sys"
	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("memlock", helperMemlock)
}

const lowMemlock = 64 << 10

// helperMemlock runs, unprivileged, with RLIMIT_MEMLOCK lowered: it prints
// "step errno allocated-delta error-text" for each locking failure.
func helperMemlock([]string) int {
	if err := sys.SetMemlockLimit(lowMemlock); err != nil {
		fmt.Println("setrlimit failed:", err)
		return 1
	}
	report := func(step string, err error) {
		var errno syscall.Errno
		errors.As(err, &errno)
		fmt.Printf("%s\t%d\t%d\t%v\n", step, int(errno), Allocated(), err)
	}
	_, err := Map(Options{Size: 1 << 20, Prot: rw, Flags: Shared | Anonymous | Locked})
	report("map-locked", err)
	s, err := Map(Options{Size: 1 << 20, Prot: rw, Flags: Shared | Anonymous})
	if err != nil {
		report("map", err)
		return 1
	}
	report("segment-lock", s.Lock())
	s.Free()
	small, err := Map(Options{Size: 16 << 10, Prot: rw, Flags: Shared | Anonymous | Locked})
	report("map-locked-within-limit", err)
	if err == nil {
		small.Free()
	}
	return 0
}

// TestLockedBeyondMemlock lowers RLIMIT_MEMLOCK in an unprivileged child
// (root's CAP_IPC_LOCK would lift it) and checks that Locked and Lock
// report the failure with EAGAIN and ENOMEM, naming the limit, and that
// nothing is counted.
func TestLockedBeyondMemlock(t *testing.T) {
	out := runUnprivileged(t, "memlock")
	want := map[string]syscall.Errno{"map-locked": syscall.EAGAIN, "segment-lock": syscall.ENOMEM, "map-locked-within-limit": 0}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, "\t", 4)
		if len(f) != 4 {
			t.Fatalf("child printed %q", line)
		}
		errno, _ := strconv.Atoi(f[1])
		w, ok := want[f[0]]
		if !ok {
			t.Fatalf("child printed unknown step %q", line)
		}
		got[f[0]] = true
		if syscall.Errno(errno) != w {
			t.Errorf("%s: errno %v, want %v (%s)", f[0], syscall.Errno(errno), w, f[3])
		}
		if w != 0 && !strings.Contains(f[3], fmt.Sprintf("RLIMIT_MEMLOCK is %d bytes", lowMemlock)) {
			t.Errorf("%s: error %q does not name the limit", f[0], f[3])
		}
		if f[0] == "map-locked" && f[2] != "0" {
			t.Errorf("Allocated() is %s after a failed Map", f[2])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("child reported %v, want all of %v", got, want)
	}
}

// runUnprivileged runs helper as user nobody from a copy of the test
// binary that nobody can execute, and returns its standard output.
func runUnprivileged(t *testing.T, helper string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a child as nobody")
	}
	exe := testproc.ExecutableForEveryone(t)
	cmd := testproc.Command(t, helper)
	cmd.Path, cmd.Args[0] = exe, exe
	cmd.Dir = filepath.Dir(exe)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v; printed %q", err, out)
	}
	return string(out)
}
