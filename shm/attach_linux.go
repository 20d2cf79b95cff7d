package shm

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// attach finds, reopens, checks and maps pid's memfd called name.
func attach(pid int, name string, writable bool) (*Segment, string, error) {
	dir := procFDs(pid)
	all, err := memfds(dir)
	if err != nil {
		return nil, fmt.Sprintf("reading %s: %v", dir, err), withErrno(ErrNotFound, err)
	}
	fds := all[name]
	if len(fds) == 0 {
		return nil, fmt.Sprintf("%s has no link to a memfd of segment %q (%s)", dir, name, memfdTarget(name+":PID:TAG")), ErrNotFound
	}
	var detail string
	for _, n := range fds {
		var s *Segment
		s, detail, err = attachFD(fmt.Sprintf("%s/%d", dir, n), name, writable)
		if err == nil {
			return s, "", nil
		}
	}
	if len(fds) > 1 {
		detail = fmt.Sprintf("none of the %d candidates is valid; the last: %s", len(fds), detail)
	}
	return nil, detail, err
}

// procFDs is the directory of pid's descriptors.
func procFDs(pid int) string { return fmt.Sprintf("/proc/%d/fd", pid) }

// memfds maps the segment name of each memfd that the descriptors in dir
// link to (see memfdName; a memfd not named so, by its whole name) to
// those descriptors' numbers, in increasing order.
func memfds(dir string) (map[string][]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byName := map[string][]int{}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		if name, ok := cutMemfdTarget(target); ok {
			if segment, _, _, ok := parseMemfdName(name); ok {
				name = segment
			}
			byName[name] = append(byName[name], n)
		}
	}
	for _, fds := range byName {
		slices.Sort(fds)
	}
	return byName, nil
}

// segmentNames returns the names of the memfds pid holds open, sorted.
func segmentNames(pid int) ([]string, error) {
	byName, err := memfds(procFDs(pid))
	if err != nil {
		return nil, withErrno(ErrNotFound, err)
	}
	return slices.Sorted(maps.Keys(byName)), nil
}

// attachFD opens path, a /proc/<pid>/fd link, and takes it up as the
// segment name; on failure it closes what it opened.
func attachFD(path, name string, writable bool) (*Segment, string, error) {
	mode, prot := sys.ORdonly, ProtRead
	if writable {
		mode, prot = sys.ORdwr, ProtRead|ProtWrite
	}
	fd, err := sys.Open(path, mode, 0)
	if err != nil {
		return nil, fmt.Sprintf("open %s: %v", path, err), withErrno(ErrNotFound, err)
	}
	s, detail, err := takeAttached(fd, name, prot)
	if err != nil {
		sys.Close(fd)
		return nil, path + ": " + detail, err
	}
	return s, "", nil
}

// takeAttached validates, maps and adopts fd, opened from another
// process's descriptor of segment name, waiting for a segment that is
// still being made (awaitSeals).
func takeAttached(fd int, name string, prot Prot) (*Segment, string, error) {
	awaitSeals(fd)
	s, detail, err := mapHanded(fd, name, prot, 0, ErrHeader)
	if err != nil {
		return nil, detail, err
	}
	s.name, s.backing = name, BackingMemfd
	if detail, err := adopt(s); err != nil {
		return nil, detail, err
	}
	s.file = os.NewFile(uintptr(fd), "memfd:"+name) // owned by the segment
	return s, "", nil
}
