package sys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeProc writes a /proc/self look-alike (cgroup and mountinfo) and the
// limit files of a cgroup tree under a temporary directory, whose path
// replaces ROOT in the texts.
func fakeProc(t *testing.T, cgroup, mountinfo string, files map[string]string) (proc, root string) {
	t.Helper()
	root = t.TempDir()
	proc = filepath.Join(root, "proc")
	write := func(name, text string) {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "ROOT", root)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("proc/cgroup", cgroup)
	write("proc/mountinfo", mountinfo)
	for name, text := range files {
		write(name, text)
	}
	return proc, root
}

// onlyLimit returns the one limit cgroupLimits finds in proc.
func onlyLimit(t *testing.T, proc string) cgroupLimit {
	t.Helper()
	limits := cgroupLimits(proc)
	if len(limits) != 1 {
		t.Fatalf("limits %+v, want one", limits)
	}
	return limits[0]
}

func TestCgroupLimitsV2(t *testing.T) {
	proc, root := fakeProc(t, "0::/a/b\n",
		"30 1 0:26 / ROOT/cg rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"+
			"31 1 0:27 / ROOT/other rw - tmpfs tmpfs rw\n",
		map[string]string{
			"cg/memory.stat":       "", // the root has no memory.max
			"cg/a/memory.max":      "max\n",
			"cg/a/memory.swap.max": "500\n",
			"cg/a/b/memory.max":    "1000\n",
		})
	l := onlyLimit(t, proc)
	if l.mem != 1000 || l.swap != 500 || l.memsw != unlimited || l.dir != filepath.Join(root, "cg/a/b") {
		t.Fatalf("limit %+v", l)
	}
	for _, c := range []struct{ ram, swap, want uint64 }{{10000, 0, 1000}, {10000, 2000, 1500}, {800, 100, 900}} {
		if got := l.capacity(c.ram, c.swap); got != c.want {
			t.Errorf("capacity of %d RAM and %d swap: %d, want %d", c.ram, c.swap, got, c.want)
		}
	}
}

// TestCgroupLimitsV1 reads v1's memory controller as a container sees it:
// the mount's root is the container's cgroup, above the process's own.
func TestCgroupLimitsV1(t *testing.T) {
	proc, root := fakeProc(t, "5:cpu,cpuacct:/x/y\n4:memory:/x/y\n0::/\n",
		"40 1 0:30 /x ROOT/memory\\040dir rw,nosuid - cgroup cgroup rw,memory\n"+
			"41 1 0:31 /x ROOT/cpu rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n",
		map[string]string{
			"memory dir/memory.limit_in_bytes":         "2000\n",
			"memory dir/memory.memsw.limit_in_bytes":   "2500\n",
			"memory dir/y/memory.limit_in_bytes":       "9223372036854771712\n",
			"memory dir/y/memory.memsw.limit_in_bytes": "9223372036854771712\n",
		})
	l := onlyLimit(t, proc)
	if l.mem != 2000 || l.memsw != 2500 || l.swap != unlimited || l.dir != filepath.Join(root, "memory dir") {
		t.Fatalf("limit %+v", l)
	}
	if got := l.capacity(10000, 1000); got != 2500 {
		t.Errorf("capacity %d, want 2500", got)
	}
	if got := l.capacity(1500, 0); got != 1500 {
		t.Errorf("capacity %d, want 1500", got)
	}
}

// TestCgroupLimitsElsewhere: a cgroup outside the mount's root, and no
// cgroup file at all, give no limit.
func TestCgroupLimitsElsewhere(t *testing.T) {
	proc, _ := fakeProc(t, "4:memory:/other\n",
		"40 1 0:30 /x ROOT/memory rw - cgroup cgroup rw,memory\n",
		map[string]string{"memory/memory.limit_in_bytes": "2000\n"})
	if limits := cgroupLimits(proc); len(limits) != 0 {
		t.Fatalf("limits %+v for a cgroup outside the mount", limits)
	}
	if limits := cgroupLimits(filepath.Join(t.TempDir(), "none")); len(limits) != 0 {
		t.Fatalf("limits %+v without /proc files", limits)
	}
}
