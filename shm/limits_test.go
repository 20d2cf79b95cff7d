package shm

import (
	"bufio"
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
	testproc.Register("absurd", helperAbsurd)
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

// helperAbsurd asks for 1<<62 bytes both ways and prints the errors'
// errnos and its memory figures before and after.
func helperAbsurd([]string) int {
	before := memoryFigures()
	_, errAlloc := Alloc(1 << 62)
	_, errMap := Map(Options{Size: 1 << 62, Prot: rw, Flags: Shared | Anonymous})
	after := memoryFigures()
	var a, m syscall.Errno
	errors.As(errAlloc, &a)
	errors.As(errMap, &m)
	fmt.Printf("%d %d %d\n", int(a), int(m), Allocated())
	for k, v := range before {
		fmt.Printf("%s %d %d\n", k, v, after[k])
	}
	return 0
}

// TestAbsurdSizeReservesNothing asks, in a child, for 1<<62 bytes through
// Alloc and Map: both fail with ENOMEM, and neither the child's address
// space, its resident memory nor the machine's shared memory grows.
func TestAbsurdSizeReservesNothing(t *testing.T) {
	out, err := testproc.Command(t, "absurd").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var a, m, alloc int
	fmt.Sscan(lines[0], &a, &m, &alloc)
	if syscall.Errno(a) != syscall.ENOMEM || syscall.Errno(m) != syscall.ENOMEM || alloc != 0 {
		t.Fatalf("Alloc errno %v, Map errno %v, Allocated %d; want ENOMEM, ENOMEM, 0", syscall.Errno(a), syscall.Errno(m), alloc)
	}
	limits := map[string]int64{"VmSize": 1 << 20, "VmRSS": 1 << 20, "Shmem": 16 << 20}
	for _, line := range lines[1:] {
		var name string
		var before, after int64
		fmt.Sscan(line, &name, &before, &after)
		if after-before > limits[name] {
			t.Errorf("%s grew from %d to %d bytes", name, before, after)
		}
		delete(limits, name)
	}
	if len(limits) > 0 {
		t.Fatalf("child did not report %v", limits)
	}
}

// memoryFigures reads VmSize and VmRSS of this process and the machine's
// Shmem, in bytes.
func memoryFigures() map[string]int64 {
	figures := map[string]int64{}
	for file, keys := range map[string][]string{"/proc/self/status": {"VmSize", "VmRSS"}, "/proc/meminfo": {"Shmem"}} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			for _, k := range keys {
				if rest, ok := strings.CutPrefix(sc.Text(), k+":"); ok {
					kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
					figures[k] = kb << 10
				}
			}
		}
		f.Close()
	}
	return figures
}
