//go:build linux

package shm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shm-capacity", helperCapacity)
	testproc.Register("shm-cgroup", helperCgroup)
}

// watched runs helper with args in a child that is killed if it has not
// ended within a minute, and returns the lines it printed: the child
// makes calls that, if fpmshm's checks failed, would take memory.
func watched(t *testing.T, helper string, args ...string) []string {
	t.Helper()
	cmd := testproc.Command(t, helper, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if err != nil {
		t.Fatalf("child %s: %v; it printed:\n%s", helper, err, out.Bytes())
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}

// report prints one line for a call: its name, its errno, whether it
// matched ErrLimit, Allocated() and the descriptors open after it, and the
// error's text.
func report(call string, s *Segment, err error) {
	if s != nil {
		s.Free()
	}
	var errno syscall.Errno
	errors.As(err, &errno)
	dir, _ := os.ReadDir("/proc/self/fd")
	fmt.Printf("%s\t%d\t%v\t%d\t%d\t%v\n", call, int(errno), errors.Is(err, ErrLimit), Allocated(), len(dir), err)
}

// helperCapacity asks Alloc for twice the memory and swap this process
// can be given: a memfd of that size is sparse, so the kernel would make
// and map it, and only the capacity check refuses it.
func helperCapacity([]string) int {
	c := capacity()
	if c.bytes == 0 || c.bytes > math.MaxInt/2 {
		fmt.Println("skip\tcapacity", c.bytes)
		return 0
	}
	report("start", nil, nil)
	s, err := Alloc(int(2 * c.bytes))
	report("alloc", s, err)
	return 0
}

// TestCapacityRefusesWhatTheKernelAccepts asks, in a watched child, for a
// segment of twice the machine's memory and swap, which the kernel would
// give (a sparse memfd): Alloc refuses it with ErrLimit, naming the
// capacity, before making anything (no descriptor, nothing counted).
func TestCapacityRefusesWhatTheKernelAccepts(t *testing.T) {
	lines := watched(t, "shm-capacity")
	if strings.HasPrefix(lines[0], "skip") {
		t.Skip(lines[0])
	}
	results := parseReports(t, lines)
	start, alloc := results["start"], results["alloc"]
	if alloc == nil || start == nil {
		t.Fatalf("child printed %q", lines)
	}
	if !alloc.limit || alloc.errno != syscall.ENOMEM || !strings.Contains(alloc.text, "bytes of memory and swap") {
		t.Fatalf("Alloc of twice the capacity: %q, want ErrLimit (ENOMEM) naming the memory and swap", alloc.text)
	}
	if alloc.allocated != 0 || alloc.fds != start.fds {
		t.Fatalf("the refused Alloc left %d bytes counted and %d descriptors open (%d before)", alloc.allocated, alloc.fds, start.fds)
	}
}

// A callReport is one line of report.
type callReport struct {
	errno     syscall.Errno
	limit     bool
	allocated int64
	fds       int
	text      string
}

func parseReports(t *testing.T, lines []string) map[string]*callReport {
	t.Helper()
	out := map[string]*callReport{}
	for _, line := range lines {
		f := strings.SplitN(line, "\t", 6)
		if len(f) != 6 {
			t.Fatalf("child printed %q", line)
		}
		errno, _ := strconv.Atoi(f[1])
		allocated, _ := strconv.ParseInt(f[3], 10, 64)
		fds, _ := strconv.Atoi(f[4])
		out[f[0]] = &callReport{syscall.Errno(errno), f[2] == "true", allocated, fds, f[5]}
	}
	return out
}

// cgroupLimit is the memory limit of TestCapacityOfCgroup's cgroup.
const cgroupLimit = 64 << 20

// helperCgroup moves itself into the cgroup args[0] (of cgroupLimit bytes,
// no swap), then makes every call that fills memory at once with one page
// more than the cgroup allows, and one that fits.
func helperCgroup(args []string) int {
	if err := os.WriteFile(filepath.Join(args[0], "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
		fmt.Println("join\t0\tfalse\t0\t0\t", err)
		return 1
	}
	over := cgroupLimit + pageSize
	report("start", nil, nil)
	s, err := Alloc(over)
	report("alloc", s, err)
	name := fmt.Sprintf("cgroup-%d", os.Getpid())
	s, err = Create(name, over)
	report("create", s, err)
	Unlink(name)
	s, err = Map(Options{Size: over, Prot: rw, Flags: Shared | Anonymous | Populate})
	report("map-populate", s, err)
	s, err = Map(Options{Size: over, Prot: rw, Flags: Private | Anonymous | Locked})
	report("map-locked", s, err)
	s, err = Alloc(cgroupLimit / 4)
	report("alloc-within", s, err)
	return 0
}

// TestCapacityOfCgroup makes a memory cgroup of 64 MiB without swap and
// runs a child in it. Alloc, Create, and Map with Populate or Locked, of
// one page more than 64 MiB, which the kernel would start to fill, are
// refused with ErrLimit naming the cgroup, before anything is made; a
// quarter of it is given. A broken check would have the cgroup's OOM
// killer end the child, not the machine.
func TestCapacityOfCgroup(t *testing.T) {
	dir := newMemoryCgroup(t, cgroupLimit)
	results := parseReports(t, watched(t, "shm-cgroup", dir))
	start := results["start"]
	if start == nil {
		t.Fatalf("child reported %v", results)
	}
	want := fmt.Sprintf("cgroup %s allows %d bytes of memory and swap", dir, cgroupLimit)
	for _, call := range []string{"alloc", "create", "map-populate", "map-locked"} {
		r := results[call]
		switch {
		case r == nil:
			t.Errorf("%s: not reported", call)
		case !r.limit || r.errno != syscall.ENOMEM || !strings.Contains(r.text, want):
			t.Errorf("%s of %d bytes: %q, want ErrLimit saying %q", call, cgroupLimit+pageSize, r.text, want)
		case r.allocated != 0 || r.fds != start.fds:
			t.Errorf("%s: refused, but left %d bytes counted and %d descriptors open (%d before)", call, r.allocated, r.fds, start.fds)
		}
	}
	if r := results["alloc-within"]; r == nil || r.text != "<nil>" {
		t.Errorf("Alloc of a quarter of the cgroup: %+v, want success", r)
	}
}

// newMemoryCgroup makes a cgroup of limit bytes of memory and no swap
// below this process's own, in cgroup v2 or v1's memory controller, and
// removes it when the test ends; it skips the test where it cannot.
func newMemoryCgroup(t *testing.T, limit int) string {
	t.Helper()
	parent, v2, err := ownMemoryCgroup()
	if err != nil {
		t.Skip("no memory cgroup to make one in:", err)
	}
	dir := filepath.Join(parent, fmt.Sprintf("fpmshm-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skip("cannot make a cgroup:", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("removing cgroup %s: %v", dir, err)
		}
	})
	settings := [][2]string{{"memory.limit_in_bytes", strconv.Itoa(limit)}, {"memory.memsw.limit_in_bytes", strconv.Itoa(limit)}}
	if v2 {
		settings = [][2]string{{"memory.max", strconv.Itoa(limit)}, {"memory.swap.max", "0"}}
	}
	for _, set := range settings {
		err := os.WriteFile(filepath.Join(dir, set[0]), []byte(set[1]), 0)
		if err != nil && !errors.Is(err, os.ErrNotExist) { // no swap accounting: no swap file
			t.Fatalf("setting %s of cgroup %s to %s: %v", set[0], dir, set[1], err)
		}
	}
	return dir
}

// ownMemoryCgroup returns this process's cgroup with a memory controller
// whose children can be limited, and whether it is cgroup v2's.
func ownMemoryCgroup() (string, bool, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir := filepath.Join("/sys/fs/cgroup", parts[2])
			if ctl, _ := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control")); strings.Contains(" "+string(ctl)+" ", " memory ") {
				return dir, true, nil
			}
		case strings.Contains(","+parts[1]+",", ",memory,"):
			dir := filepath.Join("/sys/fs/cgroup/memory", parts[2])
			if _, err := os.Stat(filepath.Join(dir, "memory.limit_in_bytes")); err == nil {
				return dir, false, nil
			}
		}
	}
	return "", false, errors.New("neither cgroup v2 with the memory controller for children nor v1's memory controller")
}
