package shm

import (
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// attach finds, reopens, checks and maps pid's memfd called name.
func attach(pid int, name string, writable bool) (*Segment, string, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := memfdsNamed(dir, name)
	if err != nil {
		return nil, fmt.Sprintf("reading %s: %v", dir, err), withErrno(ErrNotFound, err)
	}
	if len(fds) == 0 {
		return nil, fmt.Sprintf("%s has no link to %s", dir, memfdTarget(name)), ErrNotFound
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

// memfdsNamed returns the descriptor numbers in dir linking to the memfd
// called name, in increasing order.
func memfdsNamed(dir, name string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if target, err := os.Readlink(dir + "/" + e.Name()); err == nil && target == memfdTarget(name) {
			fds = append(fds, n)
		}
	}
	slices.Sort(fds)
	return fds, nil
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

func takeAttached(fd int, name string, prot Prot) (*Segment, string, error) {
	if detail, err := checkMemfd(fd, name, ErrHeader); err != nil {
		return nil, detail, err
	}
	s, detail, err := mapShared(fd, prot, 0, ErrHeader)
	if err != nil {
		return nil, detail, err
	}
	s.name, s.backing = name, BackingMemfd
	if detail, err := adopt(s); err != nil {
		return nil, detail, err
	}
	s.file = os.NewFile(uintptr(fd), "memfd:"+name) // owned, and never pooled
	return s, "", nil
}
