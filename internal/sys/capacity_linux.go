package sys

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// MemoryCapacity returns the bytes of memory plus swap that this process
// can be given: the machine's RAM and swap, lowered to what its memory
// cgroup allows, and the cgroup directory whose limit lowered it ("" when
// none did). The cgroup limits are those of cgroup v2 (memory.max and
// memory.swap.max) and of v1's memory controller (memory.limit_in_bytes
// and memory.memsw.limit_in_bytes), each the lowest on the way from the
// process's cgroup up to its hierarchy's root.
func MemoryCapacity() (bytes uint64, cgroup string, err error) {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0, "", err
	}
	unit := max(uint64(si.Unit), 1)
	ram, swap := uint64(si.Totalram)*unit, uint64(si.Totalswap)*unit
	bytes = ram + swap
	for _, l := range cgroupLimits("/proc/self") {
		if c := l.capacity(ram, swap); c < bytes {
			bytes, cgroup = c, l.dir
		}
	}
	return bytes, cgroup, nil
}

// unlimited stands for a limit that is not set.
const unlimited = math.MaxUint64

// A cgroupLimit is what one cgroup hierarchy allows the process.
type cgroupLimit struct {
	dir   string // the cgroup directory holding the lowest memory limit
	mem   uint64 // memory (RAM)
	swap  uint64 // swap besides mem (cgroup v2)
	memsw uint64 // memory and swap together (cgroup v1)
}

// capacity is the memory plus swap the limit leaves of ram and swap.
func (l cgroupLimit) capacity(ram, swap uint64) uint64 {
	return min(min(ram, l.mem)+min(swap, l.swap), l.memsw)
}

// cgroupLimits reads, from the files of proc (/proc/self), the process's
// cgroups and where their hierarchies are mounted, and returns the limits
// of the v2 hierarchy and of v1's memory controller that it can find.
func cgroupLimits(proc string) []cgroupLimit {
	paths := cgroupPaths(proc + "/cgroup")
	if len(paths) == 0 {
		return nil
	}
	var limits []cgroupLimit
	for _, m := range cgroupMounts(proc + "/mountinfo") {
		path, ok := paths[m.hierarchy]
		if !ok {
			continue
		}
		rel := path
		if m.root != "/" {
			var ok bool
			if rel, ok = strings.CutPrefix(path, m.root); !ok || rel != "" && rel[0] != '/' {
				continue // the process's cgroup is outside this mount
			}
		}
		dir := filepath.Join(m.point, rel)
		if m.hierarchy == "" {
			limits = append(limits, walkLimits(dir, m.point, "memory.max", "memory.swap.max", ""))
		} else {
			limits = append(limits, walkLimits(dir, m.point, "memory.limit_in_bytes", "", "memory.memsw.limit_in_bytes"))
		}
	}
	return limits
}

// cgroupPaths maps the hierarchies of a /proc/<pid>/cgroup file to the
// process's cgroup in each: "" for cgroup v2, "memory" for v1's memory
// controller.
func cgroupPaths(file string) map[string]string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	paths := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3) // id:controllers:path
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			paths[""] = parts[2]
		case containsField(parts[1], "memory"):
			paths["memory"] = parts[2]
		}
	}
	return paths
}

// A cgroupMount is a mounted cgroup hierarchy.
type cgroupMount struct {
	hierarchy string // "" for cgroup v2, "memory" for v1's memory controller
	root      string // the cgroup mounted, as /proc/<pid>/cgroup names it
	point     string // where
}

// cgroupMounts lists the cgroup v2 and v1 memory mounts of a
// /proc/<pid>/mountinfo file.
func cgroupMounts(file string) []cgroupMount {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var mounts []cgroupMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root point options [optional...] - type source super-options
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, field := range fields {
			if field == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+3 >= len(fields) {
			continue
		}
		m := cgroupMount{root: unescapeMount(fields[3]), point: unescapeMount(fields[4])}
		switch fsType, super := fields[sep+1], fields[sep+3]; {
		case fsType == "cgroup2":
			mounts = append(mounts, m)
		case fsType == "cgroup" && containsField(super, "memory"):
			m.hierarchy = "memory"
			mounts = append(mounts, m)
		}
	}
	return mounts
}

// walkLimits reads the limit files named (those left "" are not read) in
// dir and each of its parents up to top, keeping the lowest of each.
func walkLimits(dir, top, memFile, swapFile, memswFile string) cgroupLimit {
	l := cgroupLimit{dir: dir, mem: unlimited, swap: unlimited, memsw: unlimited}
	for d := dir; ; d = filepath.Dir(d) {
		if n := readLimit(d, memFile); n < l.mem {
			l.mem, l.dir = n, d
		}
		l.swap = min(l.swap, readLimit(d, swapFile))
		l.memsw = min(l.memsw, readLimit(d, memswFile))
		if d == top || !strings.HasPrefix(d, top+"/") {
			return l
		}
	}
}

// readLimit reads a limit file: a number of bytes, or "max" (or nothing
// readable) for no limit.
func readLimit(dir, name string) uint64 {
	if name == "" {
		return unlimited
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return unlimited
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return unlimited
	}
	return n
}

// containsField reports whether the comma-separated list holds s.
func containsField(list, s string) bool {
	for f := range strings.SplitSeq(list, ",") {
		if f == s {
			return true
		}
	}
	return false
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
